"""``scan``: a repository in, one :class:`~redline.model.System` out.

The pipeline, in order: discover files -> parse YAML (once each) -> classify (kustomization, redline.yaml,
Compose, Kubernetes, or skipped with a reason) -> build components and objects -> drop duplicate
definitions -> give every component a unique name -> link Kubernetes objects -> infer dependency edges ->
apply redline.yaml. Nothing here raises on bad input: what cannot be read is recorded in
``System.skipped`` or ``System.warnings`` with file and line, and the rest is still read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from redline._gc import paused_gc
from redline.model import Component, SkipKind, Skipped, System, entrypoints
from redline.sources import kustomize
from redline.sources.diagnostics import Collector
from redline.sources.discover import DEFAULT_MAX_BYTES, Discovery, discover, read_text
from redline.sources.registry import (
    InputFile,
    Registry,
    ScanOptions,
    ScanState,
    SourceReader,
    default_registry,
    internal_error,
)
from redline.sources.yamlio import YamlError, load_documents

Progress = Callable[[int, int, str], None]
T = TypeVar("T")


class ScanError(Exception):
    """The path cannot be scanned at all (it does not exist, or is not a directory or YAML file)."""


def scan(
    path: str | Path,
    *,
    overlay: str | Path | None = None,
    exclude: Iterable[str] = (),
    max_file_bytes: int = DEFAULT_MAX_BYTES,
    render_helm: bool = True,
    progress: Progress | None = None,
    repo_root: str | Path | None = None,
    helm_values: Sequence[str | Path] = (),
    helm_set: Sequence[str] = (),
    registry: Registry | None = None,
) -> System:
    """Read a repository (or one file) into a :class:`System`.

    ``overlay`` names a redline.yaml to apply instead of the one at the root of ``path``.
    ``repo_root`` bounds how far kustomize resources outside ``path`` are followed (an overlay's
    ``../../base``); by default it is the git root above ``path`` (the nearest folder holding ``.git``),
    else ``path`` itself. When such files are read, every file is cited relative to ``repo_root``.
    ``helm_values`` and ``helm_set`` are Helm's ``--values FILE`` and ``--set k=v``, for every chart.
    ``registry`` holds the readers (default: :func:`~redline.sources.registry.default_registry`).
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
            helm_values=helm_values,
            helm_set=helm_set,
            registry=registry,
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
    helm_values: Sequence[str | Path],
    helm_set: Sequence[str],
    registry: Registry | None,
) -> System:
    root = Path(path)
    if not root.exists():
        raise ScanError(f"{path}: no such file or directory")
    if not root.is_dir() and not root.is_file():
        raise ScanError(f"{path}: not a file or directory")
    readers = (registry or default_registry()).create()
    out = Collector()
    wanted = _wanted(readers)
    found = _discover_with_bases(root, out, exclude, repo_root, max_file_bytes, wanted)
    overlay_path = Path(overlay).resolve() if overlay is not None else None
    if overlay_path is not None and not overlay_path.is_file():
        raise ScanError(f"{overlay}: overlay file not found")
    options = ScanOptions(
        scanned=root.resolve() if root.is_dir() else root.resolve().parent,
        overlay=overlay_path,
        max_file_bytes=max_file_bytes,
        render_helm=render_helm,
        helm_values=tuple(Path(v) for v in helm_values),
        helm_set=tuple(helm_set),
    )
    state = ScanState(found, options, out)
    state.parse = _parse

    taken: set[Path] = set()
    for reader in readers:
        taken |= _guarded(reader, "select", lambda r: r.select(state), state) or set()
    inputs = _read_texts(found, state, taken, progress)
    _offer(readers, state, [*inputs, *state.added])

    for reader in readers:
        _guarded(reader, "build", lambda r: r.build(state), state)
    _unique_names(state.components)
    for reader in readers:
        state.resolver.platforms.update(
            _guarded(reader, "resolvers", lambda r: r.resolvers(state), state) or {}
        )
    for reader in readers:
        _guarded(reader, "link", lambda r: r.link(state), state)

    system = state.system
    system.components = [*state.components, *state.builder.externals.values()]
    system.edges = state.builder.finish()
    system.unresolved = state.builder.unresolved
    system.objects = state.objects
    for reader in readers:  # redline.yaml here, last: it overrides what the infra files said
        _guarded(reader, "finish", lambda r: r.finish(state), state)

    system.components.sort(key=lambda c: c.name)
    system.warnings = out.warnings
    entrypoints.with_inferred(system)  # inferred entry points (none stated) and the empty-graph warning
    system.skipped = out.skipped
    return system


def _wanted(readers: list[SourceReader]) -> Callable[[str], bool]:
    """Which file names the walk collects: those some reader wants."""
    return lambda name: any(r.wants(name) for r in readers)


def _read_texts(
    found: Discovery, state: ScanState, taken: set[Path], progress: Progress | None
) -> list[InputFile]:
    """Every discovered file's text (what cannot be read is reported), except files taken by path."""
    inputs: list[InputFile] = []
    total = len(found.files)
    overlay = state.options.overlay
    for i, file in enumerate(found.files):
        if progress is not None and (i % 50 == 0 or i == total - 1):
            progress(i + 1, total, found.rel(file))
        if file in taken or file == overlay:
            continue
        rel = found.rel(file)
        text = read_text(file, rel, state.out, state.options.max_file_bytes)
        if text is not None:
            inputs.append(InputFile(file, rel, text, parse=_parse))
    return inputs


def _offer(readers: list[SourceReader], state: ScanState, inputs: list[InputFile]) -> None:
    """Offer each input to the readers phase by phase; the first that reads it consumes it.

    Before a reader of a later phase sees a file, every reader of the earlier phases may leave it out
    (``admit``). A YAML file nobody read is reported as not infrastructure (an ``ignored`` entry)."""
    phases = sorted({r.phase for r in readers})
    pending = inputs
    for phase in phases:
        group = [r for r in readers if r.phase == phase]
        gates = [r for r in readers if r.phase < phase]
        state.pending = pending
        rest: list[InputFile] = []
        for file in pending:
            if not all(g.admit(file, state) for g in gates[file.admitted :]):
                continue
            file.admitted = len(gates)
            if any(_reads(r, file, state) for r in group):
                file.release()
            elif phase == phases[-1]:
                _unread(file, state.out)
            else:
                rest.append(file)
        pending = rest
    state.pending = []


def _unread(file: InputFile, out: Collector) -> None:
    """A file no reader took: a YAML file is reported as not infrastructure (an ``ignored`` entry)."""
    docs = file.documents(out) if file.is_yaml else []
    file.release()
    if docs:
        out.skip(file.rel, _not_ours(docs[0]), kind=SkipKind.IGNORED)


def _reads(reader: SourceReader, file: InputFile, state: ScanState) -> bool:
    """Whether ``reader`` read ``file``; a reader bug costs that file (a gating skip), never the scan."""
    try:
        return reader.claims(file, state) and reader.read(file, state)
    except Exception as exc:
        state.out.skip(file.rel, f"{reader.name} reader: {internal_error(exc)}")
        return True


def _guarded(
    reader: SourceReader, hook: str, call: Callable[[SourceReader], T], state: ScanState
) -> T | None:
    """``call(reader)``; a reader bug costs what that reader would have added, never the scan."""
    try:
        return call(reader)
    except Exception as exc:
        state.out.skip(".", f"{reader.name} reader ({hook}): {internal_error(exc)}")
        return None


def find_repo_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``.git`` (a folder, or a worktree's file)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _discover_with_bases(
    root: Path,
    out: Collector,
    exclude: Iterable[str],
    repo_root: str | Path | None,
    max_file_bytes: int,
    wanted: Callable[[str], bool] | None = None,
) -> Discovery:
    """Walk ``root``, then follow its kustomizations' resources outside it as far as the repository root.

    When any such file is read, the returned discovery is rooted at the repository root, so every file
    (and every skip recorded during the walk) is cited relative to it.
    """
    walked = Collector()
    found = discover(root, walked, exclude, wanted)
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


__all__ = ["ScanError", "find_repo_root", "outside_root", "scan"]
