"""``scan``: a repository in, one :class:`~redline.model.System` out.

The pipeline, in order: discover files -> parse YAML (once each) -> classify (kustomization, redline.yaml,
Compose, Kubernetes, or skipped with a reason) -> build components and objects -> drop duplicate
definitions -> give every component a unique name -> link Kubernetes objects -> infer dependency edges ->
apply redline.yaml. Nothing here raises on bad input: what cannot be read is recorded in
``System.skipped`` or ``System.warnings`` with file and line, and the rest is still read.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redline._gc import paused_gc
from redline.model import (
    Component,
    Evidence,
    FileRead,
    K8sObject,
    Kind,
    SkipKind,
    Skipped,
    System,
    entrypoints,
)
from redline.sources import compose, kubernetes, kustomize, native
from redline.sources.diagnostics import Collector, Reader
from redline.sources.discover import DEFAULT_MAX_BYTES, Discovery, discover, read_text
from redline.sources.infer import CONFIDENCE, EdgeBuilder, Resolver, infer_env
from redline.sources.link import KubeIndex, link
from redline.sources.yamlio import LineDict, YamlError, load_documents

Progress = Callable[[int, int, str], None]


class ScanError(Exception):
    """The path cannot be scanned at all (it does not exist, or is not a directory or YAML file)."""


@dataclass
class _Parsed:
    """A file read as text; parsed only when its turn comes, so every file's YAML is never held at once
    (holding it all took 30% of the peak memory of a 50,000-object scan, bench/RESULTS.md)."""

    path: Path
    rel: str
    text: str

    def parse(self, out: Collector) -> list[Any]:
        return _parse(self.text, self.rel, out)


def scan(
    path: str | Path,
    *,
    overlay: str | Path | None = None,
    exclude: Iterable[str] = (),
    max_file_bytes: int = DEFAULT_MAX_BYTES,
    render_helm: bool = True,
    progress: Progress | None = None,
    repo_root: str | Path | None = None,
) -> System:
    """Read a repository (or one file) into a :class:`System`.

    ``overlay`` names a redline.yaml to apply instead of the one at the root of ``path``.
    ``repo_root`` bounds how far kustomize resources outside ``path`` are followed (an overlay's
    ``../../base``); by default it is the git root above ``path`` (the nearest folder holding ``.git``),
    else ``path`` itself. When such files are read, every file is cited relative to ``repo_root``.
    Raises :class:`ScanError` only when ``path`` (or ``repo_root``) itself is unusable.
    """
    with paused_gc():
        return _scan(
            path,
            overlay=overlay,
            exclude=exclude,
            max_file_bytes=max_file_bytes,
            render_helm=render_helm,
            progress=progress,
            repo_root=repo_root,
        )


def _scan(
    path: str | Path,
    *,
    overlay: str | Path | None,
    exclude: Iterable[str],
    max_file_bytes: int,
    render_helm: bool,
    progress: Progress | None,
    repo_root: str | Path | None,
) -> System:
    root = Path(path)
    if not root.exists():
        raise ScanError(f"{path}: no such file or directory")
    if not root.is_dir() and not root.is_file():
        raise ScanError(f"{path}: not a file or directory")
    out = Collector()
    found = _discover_with_bases(root, out, exclude, repo_root, max_file_bytes)
    scanned = root.resolve() if root.is_dir() else root.resolve().parent
    overlay_path = Path(overlay).resolve() if overlay is not None else None
    if overlay_path is not None and not overlay_path.is_file():
        raise ScanError(f"{overlay}: overlay file not found")

    system = System(root=str(found.root))
    chart_files, rendered = _helm(found, out, render_helm)

    parsed: list[_Parsed] = []
    total = len(found.files)
    for i, file in enumerate(found.files):
        if progress is not None and (i % 50 == 0 or i == total - 1):
            progress(i + 1, total, found.rel(file))
        if file in chart_files or (overlay_path is not None and file == overlay_path):
            continue
        rel = found.rel(file)
        text = read_text(file, rel, out, max_file_bytes)
        if text is None:
            continue
        parsed.append(_Parsed(file, rel, text))
    for rel, text in rendered:
        parsed.append(_Parsed(found.root / rel, rel, text))

    # Kustomizations first: they decide which files are opt-in components and which get a namespace.
    kusts: list[kustomize.Kustomization] = []
    natives: list[_Parsed] = []
    rest: list[_Parsed] = []
    for p in parsed:
        if p.path.name in kustomize.KUSTOMIZATION_NAMES:
            kdocs = p.parse(out)
            k = kustomize.read(kdocs[0] if kdocs else None, p.path, p.rel, out)
            if k is not None:
                kusts.append(k)
                system.files.append(FileRead(**{"file": p.rel, "as": "kustomization", "objects": 0}))
        elif p.path.name in native.NATIVE_NAMES and p.path.parent == scanned and overlay_path is None:
            natives.append(p)  # parsed (and its problems reported, once) when it is applied, last
        else:
            rest.append(p)
    optional = kustomize.component_files(kusts)
    unlisted = kustomize.unlisted_files(kusts, [p.path for p in rest])
    kust_ns = kustomize.namespaces(kusts)

    kube = kubernetes.KubeRead()
    compose_files: list[compose.ComposeFile] = []
    for p in rest:
        component_of = optional.get(p.path) or next(
            (rel for d, rel in optional.items() if d in p.path.parents), None
        )
        if p.path in unlisted:
            out.skip(
                p.rel,
                f"not listed in {unlisted[p.path]}: `kubectl apply -k` leaves it out",
                kind=SkipKind.IGNORED,
            )
            continue
        if component_of is not None:
            out.skip(
                p.rel,
                f"part of the kustomize Component {component_of}, an opt-in feature not in the base system",
                kind=SkipKind.IGNORED,
            )
            continue
        docs = p.parse(out)  # freed after this file is read; files left out above are never parsed
        if not docs:
            continue
        first = docs[0]
        if (
            compose.is_compose_name(p.path.name) and isinstance(first, LineDict) and "apiVersion" not in first
        ) or (compose.looks_like_compose(first)):
            compose_files.append(compose.ComposeFile(p.path, p.rel, first))
            continue
        k8s_docs = [d for d in docs if kubernetes.is_kubernetes(d)]
        if k8s_docs:
            before_w, before_o = len(kube.workloads), len(kube.objects)
            try:
                n = kubernetes.read(k8s_docs, Reader(p.rel, out), kube)
            except Exception as exc:  # a reader bug must cost one file, never the scan
                del kube.workloads[before_w:], kube.objects[before_o:]
                out.skip(
                    p.rel, f"internal error while reading ({type(exc).__name__}: {exc}); please report it"
                )
                continue
            ns = kust_ns.get(p.path) or next((v for d, v in kust_ns.items() if d in p.path.parents), None)
            if ns:
                _set_namespace(kube, before_w, before_o, ns)
            system.files.append(FileRead(**{"file": p.rel, "as": "kubernetes", "objects": n}))
            others = len([d for d in docs if d is not None]) - len(k8s_docs)
            if others:
                out.warn(
                    p.rel, None, f"{others} document(s) in this file are not Kubernetes objects; ignored"
                )
            continue
        out.skip(p.rel, _not_ours(first), kind=SkipKind.IGNORED)

    components: list[Component] = []

    # Compose projects.
    def load_other(target: Path) -> LineDict | None:
        return compose.load_compose_doc(target, max_file_bytes)

    projects: list[compose.Project] = []
    included = compose.included_files(compose_files)
    planned = {f.path for plan in compose.plan_projects(compose_files) for f in plan}
    for f in compose_files:
        if f.path not in planned:
            out.skip(
                f.rel,
                "a Compose add-on (its services extend the main file's; used with `-f`): opt-in, not merged",
                kind=SkipKind.IGNORED,
            )
    for plan in compose.plan_projects(compose_files):
        if plan[0].path in included:
            continue  # a part of the project that includes it, not a project of its own
        try:
            project = compose.assemble(plan, found.root, out, load_other)
        except Exception as exc:  # a reader bug must cost one project, never the scan
            out.skip(
                plan[0].rel, f"internal error while reading ({type(exc).__name__}: {exc}); please report it"
            )
            continue
        for f in plan:
            services = f.doc.get("services")
            count = len(services) if isinstance(services, dict) else 0
            system.files.append(FileRead(**{"file": f.rel, "as": "compose", "objects": count}))
        if project is not None:
            projects.append(project)
        else:
            out.warn(plan[0].rel, None, "no Compose service defined (no `services:` mapping with a service)")
    compose_by_project: dict[str, list[Component]] = {}
    seen_projects: Counter[str] = Counter()
    for project in list(projects):
        seen_projects[project.name] += 1
        if seen_projects[project.name] > 1:
            project.name = f"{project.name}-{seen_projects[project.name]}"
        try:
            comps = compose.components(project, found.root, out)
        except Exception as exc:
            out.skip(
                project.files[0],
                f"internal error while reading ({type(exc).__name__}: {exc}); please report it",
            )
            projects.remove(project)  # nothing of it was read: no links either
            continue
        compose_by_project[project.name] = comps
        components.extend(comps)

    # Kubernetes: first definition wins; later duplicates are reported once per file pair.
    workloads = _dedupe_workloads(kube.workloads, out)
    objects = _dedupe_objects(kube.objects, out)
    ingress_pairs = _ingress_components(objects)
    ingress_components = [c for c, _ in ingress_pairs]
    k8s_components = [w.component for w in workloads]
    components.extend(k8s_components)
    components.extend(ingress_components)
    _unique_names(components)

    index = KubeIndex(workloads, objects)
    link(index, out)

    # Dependency inference.
    resolver = Resolver()
    for project_name, comps in compose_by_project.items():
        for c in comps:
            plain = c.name.rsplit("/", 1)[-1]
            for host in [plain, *c.aliases]:
                resolver.compose.setdefault((project_name, host.lower()), c)
    by_name = {c.name: c for c in components}
    for obj in objects:
        resolver.namespaces.add(obj.namespace)
        if obj.kind == "Service":
            resolver.k8s_services[(obj.namespace, obj.name)] = [
                by_name[n] for n in obj.selects if n in by_name
            ]
    for c in k8s_components:
        resolver.namespaces.add(c.namespace or "default")
        resolver.k8s_workloads[(c.namespace or "default", c.name.rsplit("/", 1)[-1])] = c
    builder = EdgeBuilder()
    for project in projects:
        comps_by_plain = {c.name.rsplit("/", 1)[-1]: c for c in compose_by_project[project.name]}
        for src_name, target, how, source, reason in compose.declared_links(project, out):
            src = comps_by_plain.get(src_name)
            dst = resolver.compose.get((project.name, target.lower()))
            if src is None:
                continue
            if dst is None:
                builder.unresolved_ref(
                    src, target, f"{reason}: no such service in Compose project {project.name}", source
                )
                continue
            evidence = Evidence(reason=reason, kind=how, confidence=CONFIDENCE[how], source=source)
            builder.add(src, dst, evidence)
    infer_env(components, resolver, builder)
    _traefik_routes(compose_by_project, builder)
    for comp, obj in ingress_pairs:
        for svc in obj.refs:
            for backend in resolver.k8s_services.get((obj.namespace, svc), []):
                builder.add(
                    comp,
                    backend,
                    Evidence(
                        reason=f"Ingress {obj.name} routes to Service {svc}",
                        kind="ingress",
                        confidence=CONFIDENCE["ingress"],
                        source=obj.source,
                    ),
                )
    components.extend(builder.externals.values())
    system.components = components
    system.edges = builder.finish()
    system.unresolved = builder.unresolved
    system.objects = objects

    # redline.yaml last: it overrides what the infra files said.
    overlay_files = [overlay_path] if overlay_path is not None else [p.path for p in natives]
    for ov in overlay_files:
        rel = found.rel(ov)
        text = read_text(ov, rel, out, max_file_bytes)
        if text is None:
            continue
        docs = _parse(text, rel, out)
        if not docs:
            continue
        spec = native.parse(docs[0], rel, out)
        if spec is not None:
            native.apply(system, spec, docs[0], rel, out)
            system.files.append(FileRead(**{"file": rel, "as": "redline", "objects": len(spec.components)}))

    system.components.sort(key=lambda c: c.name)
    system.warnings = out.warnings
    entrypoints.with_inferred(system)  # inferred entry points (none stated) and the empty-graph warning
    system.skipped = out.skipped
    return system


def find_repo_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``.git`` (a folder, or a worktree's file)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _discover_with_bases(
    root: Path, out: Collector, exclude: Iterable[str], repo_root: str | Path | None, max_file_bytes: int
) -> Discovery:
    """Walk ``root``, then follow its kustomizations' resources outside it as far as the repository root.

    When any such file is read, the returned discovery is rooted at the repository root, so every file
    (and every skip recorded during the walk) is cited relative to it.
    """
    walked = Collector()
    found = discover(root, walked, exclude)
    top = _repository_root(found.root, repo_root)
    kusts = [f for f in found.files if f.name in kustomize.KUSTOMIZATION_NAMES]
    followed = kustomize.follow(kusts, found.root, top, lambda f: _first_doc(f, max_file_bytes))
    if followed.files:
        prefix = found.root.relative_to(top).as_posix()
        for s in walked.skipped:
            s.file = f"{prefix}/{s.file}" if prefix != "." else s.file
        found = Discovery(root=top, files=found.files + followed.files, charts=found.charts)
    out.skipped.extend(walked.skipped)
    out.warnings.extend(walked.warnings)
    for o in followed.outside:
        out.skip(
            found.rel(o.kustomization),
            f"resource {o.item} {_OUTSIDE} {top}: not read (use --root)",
            line=o.line,
        )
    return found


_OUTSIDE = "lies outside the repository root"


def outside_root(skipped: list[Skipped]) -> list[str]:
    """The kustomize resources (as written, once each) that were not read for lying beyond the root."""
    return list(dict.fromkeys(s.reason.split(" ", 2)[1] for s in skipped if _OUTSIDE in s.reason))


def _repository_root(scanned: Path, given: str | Path | None) -> Path:
    if given is None:
        return find_repo_root(scanned) or scanned
    top = Path(given).resolve()
    if not top.is_dir():
        raise ScanError(f"--root {given}: not a directory")
    if top != scanned and top not in scanned.parents:
        raise ScanError(f"--root {given} does not contain the scanned path {scanned}")
    return top


def _first_doc(path: Path, max_file_bytes: int) -> Any:
    """The first YAML document of ``path``, or None; problems are reported when the file is read for real."""
    text = read_text(path, path.name, Collector(), max_file_bytes)
    if text is None:
        return None
    docs = _parse(text, path.name, Collector())
    return docs[0] if docs else None


def _traefik_routes(projects: dict[str, list[Component]], builder: EdgeBuilder) -> None:
    """Traefik routes requests to Compose services by their labels, not by any env var: a
    ``traefik.http.routers.<name>.rule`` label makes the project's Traefik a caller of that service."""
    for comps in projects.values():
        proxies = [c for c in comps if c.engine == "traefik"]
        if not proxies:
            continue
        for c in comps:
            if c.labels.get("traefik.enable", "true").lower() == "false":
                continue
            rules = sorted(
                k for k in c.labels if k.startswith("traefik.http.routers.") and k.endswith(".rule")
            )
            if not rules:
                continue
            reason = f"Traefik router label {rules[0]}={c.labels[rules[0]]}"
            for proxy in proxies:
                builder.add(
                    proxy, c, Evidence(reason=reason, kind="ingress", confidence=0.9, source=c.source)
                )


# A Go template action: `{{ .x }}`, `{{ $v }}`, `{{- ... -}}`, `{{ if ...`, `{{ include ...`, `{{/* */}}`.
_GO_ACTION = re.compile(
    r"\{\{-?\s*(?:[.$]|/\*|(?:if|else|end|range|with|define|template|block|include|tpl|toYaml|toJson"
    r"|required|default|printf|quote|lookup)\b)|-\}\}"
)
# Actions only a Helm (or Go text/template) file holds: control flow, includes, Helm's built-in objects.
# A config string such as Prometheus' "{{ $value }}" or sed's {{PROJECT_ID}} is none of these.
_HELM_ACTION = re.compile(
    r"\{\{-|-\}\}|\{\{\s*(?:\.(?:Values|Release|Chart|Capabilities|Files|Template)\b"
    r"|(?:if|else|end|range|with|define|template|block|include)\b)"
)
_TEMPLATE = "Go/Helm template, not plain YAML: render it (`helm template`) and scan the output"
MAX_GAPS = 10  # gaps listed one by one per file; the rest are counted in one more entry


def _parse(text: str, rel: str, out: Collector) -> list[Any]:
    """Every document of ``text`` that could be read; what could not is reported to ``out``.

    A YAML error skips the file from its line on (the documents before it are kept). Values the
    platforms would refuse the file for (a list used as a key, nesting beyond the bound) are dropped
    alone, each a gating skip with its line. A Go/Helm template, recognised by a template action on the
    line that failed or a Helm action anywhere in the file, is skipped whole with the advice to render it.
    """
    docs: list[Any] = []
    problems: list[tuple[int | None, str]] = []  # values the YAML layer dropped or changed
    gaps: list[tuple[int | None, str]] = []  # values dropped that the platforms would refuse the file for
    error: YamlError | None = None
    try:
        for doc in load_documents(text, problems, gaps):
            docs.append(doc)
    except YamlError as exc:
        error = exc
    failed = [line for line, _ in gaps] + ([error.line] if error is not None else [])
    if failed and _is_template(text, failed):
        out.skip(rel, _TEMPLATE, line=failed[0])
        return []
    for line, reason in gaps[:MAX_GAPS]:
        out.skip(rel, reason, line=line)
    if len(gaps) > MAX_GAPS:
        out.skip(rel, f"{len(gaps) - MAX_GAPS} more values dropped the same way", line=gaps[MAX_GAPS][0])
    if error is not None:
        out.skip(rel, _error_reason(error, text, len(docs)), line=error.line)
    for line, message in problems:
        out.warn(rel, line, message)
    return docs


def _is_template(text: str, lines: list[int | None]) -> bool:
    """Whether a failure at ``lines`` comes from a Go/Helm template rather than from broken YAML."""
    rows = text.splitlines()
    if any(line and line <= len(rows) and _GO_ACTION.search(rows[line - 1]) for line in lines):
        return True
    return _HELM_ACTION.search(text) is not None


def _error_reason(error: YamlError, text: str, read: int) -> str:
    """The skip reason for a YAML error, with a hint for a tab or Terraform template syntax."""
    reason = error.message
    lines = text.splitlines()
    line_text = lines[error.line - 1] if error.line and error.line <= len(lines) else ""
    if "%{" in text or ("${" in line_text and "directive" in reason):
        reason = "Terraform template syntax (%{ }), not plain YAML: scan the rendered file instead"
    elif "\t" in line_text:
        reason += " (a tab character on this line: YAML forbids tabs for indentation)"
    if read:
        reason += f"; the {read} document(s) before it were read"
    return reason


def _not_ours(doc: Any) -> str:
    if isinstance(doc, dict):
        if "jobs" in doc and ("on" in doc or True in doc):
            return "YAML, not Kubernetes or Compose (a CI workflow)"
        if "apiVersion" in doc or "kind" in doc:
            return "YAML with apiVersion or kind missing or not a string: not a Kubernetes object"
        return "YAML, but not Kubernetes, Compose, kustomize or redline.yaml"
    return "YAML, but not a mapping: not Kubernetes, Compose, kustomize or redline.yaml"


def _set_namespace(kube: kubernetes.KubeRead, before_w: int, before_o: int, ns: str) -> None:
    """Put a kustomization's objects in its ``namespace:``, as kustomize does (it overrides the files')."""
    for w in kube.workloads[before_w:]:
        w.component.namespace = w.component.group = ns
    for o in kube.objects[before_o:]:
        o.namespace = ns


def _dedupe_workloads(items: list[kubernetes.Workload], out: Collector) -> list[kubernetes.Workload]:
    kept: dict[tuple[str, str, str], kubernetes.Workload] = {}
    dups: Counter[tuple[str, str]] = Counter()
    for w in items:
        c = w.component
        key = (c.workload or "", c.namespace or "default", c.name)
        if key in kept:
            dups[(c.source.file, kept[key].component.source.file)] += 1
        else:
            kept[key] = w
    _report_dups(dups, out)
    return list(kept.values())


def _dedupe_objects(items: list[K8sObject], out: Collector) -> list[K8sObject]:
    kept: dict[tuple[str, str, str], K8sObject] = {}
    dups: Counter[tuple[str, str]] = Counter()
    for o in items:
        key = (o.kind, o.namespace, o.name)
        if key in kept:
            dups[(o.source.file, kept[key].source.file)] += 1
        else:
            kept[key] = o
    _report_dups(dups, out)
    return list(kept.values())


def _report_dups(dups: Counter[tuple[str, str]], out: Collector) -> None:
    """One warning per (folder of the duplicates, file of the first definitions): a release bundle that
    repeats 30 per-service files is one fact, not 30."""
    grouped: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for (file, first), n in sorted(dups.items()):
        folder = file.rsplit("/", 1)[0] if "/" in file else "."
        grouped.setdefault((folder, first), []).append((file, n))
    for (folder, first), items in grouped.items():
        total = sum(n for _, n in items)
        where = items[0][0] if len(items) == 1 else f"{folder}/ ({len(items)} files)"
        out.warn(
            where,
            None,
            f"{total} object(s) already defined in {first} (same kind, namespace and name); "
            "kept the first definition",
        )


def _ingress_components(objects: list[K8sObject]) -> list[tuple[Component, K8sObject]]:
    """Each Ingress is a gateway hop on the request path: the controller that serves it is not in the repo."""
    result = []
    for o in objects:
        if o.kind == "Ingress":
            result.append(
                (
                    Component(
                        name=f"ingress/{o.name}",
                        kind=Kind.GATEWAY,
                        kind_reason="Kubernetes Ingress",
                        platform="kubernetes",
                        group=o.namespace,
                        namespace=o.namespace,
                        workload="Ingress",
                        annotations=o.annotations,
                        source=o.source,
                        exposure=[f"Ingress {o.name}"],
                    ),
                    o,
                )
            )
    return result


def _unique_names(components: list[Component]) -> None:
    """Qualify names that two deployment groups share as ``group/name``; keep the plain name as an alias."""
    groups: dict[str, set[tuple[str, str | None]]] = {}
    for c in components:
        groups.setdefault(c.name, set()).add((c.platform, c.group))
    for c in components:
        if len(groups[c.name]) > 1:
            plain = c.name
            c.name = f"{c.group}/{plain}"
            if plain not in c.aliases:
                c.aliases.insert(0, plain)
    counts = Counter(c.name for c in components)
    for c in components:
        if counts[c.name] > 1:  # a compose project and a namespace with the same name
            c.name = f"{c.platform}:{c.name}"


def _helm(found: Discovery, out: Collector, render: bool) -> tuple[set[Path], list[tuple[str, str]]]:
    """Files that belong to Helm charts, and the charts' rendered output when a ``helm`` binary exists.

    Templates are Go text, not YAML: reading them as YAML would report hundreds of false parse errors.
    """
    files: set[Path] = set()
    rendered: list[tuple[str, str]] = []
    top = [c for c in found.charts if not any(p in found.charts for p in c.parents)]
    helm = shutil.which("helm") if render else None
    for chart in top:
        members = [f for f in found.files if chart in f.parents]
        files.update(members)
        templates = [f for f in members if "templates" in f.relative_to(chart).parts]
        rel = found.rel(chart) + "/"
        if helm is None:
            out.skip(
                rel,
                f"Helm chart ({len(templates)} templates) not rendered: "
                f"run `helm template {rel}` and scan the output",
                kind=SkipKind.NOT_RENDERED,
            )
            continue
        try:
            proc = subprocess.run([helm, "template", str(chart)], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            out.skip(rel, f"Helm chart: `helm template` failed: {exc}")
            continue
        if proc.returncode != 0:
            last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
            out.skip(rel, f"Helm chart: `helm template` failed: {last}")
            continue
        out.warn(rel, None, "Helm chart rendered with its default values (`helm template`)")
        rendered.append((f"{rel}(helm template output)", proc.stdout))
    return files, rendered


__all__ = ["ScanError", "find_repo_root", "outside_root", "scan"]
