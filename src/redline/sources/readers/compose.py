"""Compose files as a registered reader, and Compose's name resolution (service names and aliases)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from redline.model import Component, Evidence, SkipKind
from redline.sources import compose
from redline.sources.infer import CONFIDENCE, PlatformResolver, infer_env
from redline.sources.registry import InputFile, Phase, ScanState, SourceReader, internal_error, register
from redline.sources.yamlio import LineDict


@dataclass
class ComposeDNS:
    """Compose's network DNS: a service's name and aliases, inside its own project."""

    hosts: dict[tuple[str, str], Component] = field(default_factory=dict)  # (project, host) -> component

    def add(self, project: str, comp: Component) -> None:
        for host in [comp.name.rsplit("/", 1)[-1], *comp.aliases]:
            self.hosts.setdefault((project, host.lower()), comp)

    def get(self, project: str, host: str) -> Component | None:
        return self.hosts.get((project, host.lower()))

    def resolve(self, src: Component, host: str) -> tuple[list[Component], float, str]:
        target = self.hosts.get((src.group or "", host))
        if target is None and "." in host:
            target = self.hosts.get((src.group or "", host.split(".", 1)[0]))
        if target is not None:
            return [target], 1.0, ""
        return [], 0.0, f"no service or alias {host!r} in Compose project {src.group}"


@register
class ComposeReader(SourceReader):
    """Compose files (``compose.yaml``, ``docker-compose*.yml``, or any YAML shaped like one)."""

    name = "compose"
    phase = Phase.PLATFORM
    priority = 10
    suffixes = (".yaml", ".yml")

    def __init__(self) -> None:
        self.files: list[compose.ComposeFile] = []
        self.projects: list[compose.Project] = []
        self.by_project: dict[str, list[Component]] = {}
        self.dns = ComposeDNS()

    def read(self, file: InputFile, scan: ScanState) -> bool:
        docs = file.documents(scan.out)
        first = docs[0] if docs else None
        if not isinstance(first, LineDict):
            return False
        named = compose.is_compose_name(file.path.name) and "apiVersion" not in first
        if named or compose.looks_like_compose(first):
            self.files.append(compose.ComposeFile(file.path, file.rel, first))
            return True
        return False

    def build(self, scan: ScanState) -> None:
        out, root = scan.out, scan.root
        max_bytes = scan.options.max_file_bytes

        def load_other(target: Path) -> LineDict | None:
            return compose.load_compose_doc(target, max_bytes)

        included = compose.included_files(self.files)
        plans = compose.plan_projects(self.files)
        planned = {f.path for plan in plans for f in plan}
        for f in self.files:
            if f.path not in planned:
                out.skip(
                    f.rel,
                    "a Compose add-on (its services extend the main file's; used with `-f`): "
                    "opt-in, not merged",
                    kind=SkipKind.IGNORED,
                )
        for plan in plans:
            if plan[0].path in included:
                continue  # a part of the project that includes it, not a project of its own
            try:
                project = compose.assemble(plan, root, out, load_other)
            except Exception as exc:  # a reader bug must cost one project, never the scan
                out.skip(plan[0].rel, internal_error(exc))
                continue
            for f in plan:
                services = f.doc.get("services")
                scan.file_read(f.rel, "compose", len(services) if isinstance(services, dict) else 0)
            if project is not None:
                self.projects.append(project)
            else:
                out.warn(
                    plan[0].rel, None, "no Compose service defined (no `services:` mapping with a service)"
                )
        self._components(scan)

    def _components(self, scan: ScanState) -> None:
        seen: Counter[str] = Counter()
        for project in list(self.projects):
            seen[project.name] += 1
            if seen[project.name] > 1:
                project.name = f"{project.name}-{seen[project.name]}"
            try:
                comps = compose.components(project, scan.root, scan.out)
            except Exception as exc:
                scan.out.skip(project.files[0], internal_error(exc))
                self.projects.remove(project)  # nothing of it was read: no links either
                continue
            self.by_project[project.name] = comps
            scan.components.extend(comps)

    def resolvers(self, scan: ScanState) -> dict[str, PlatformResolver]:
        for project_name, comps in self.by_project.items():
            for c in comps:
                self.dns.add(project_name, c)
        return {"compose": self.dns}

    def link(self, scan: ScanState) -> None:
        builder = scan.builder
        one_shot: dict[str, str] = {}  # component name -> the service that waits for it to complete
        for project in self.projects:
            comps_by_plain = {c.name.rsplit("/", 1)[-1]: c for c in self.by_project[project.name]}
            for name, waiter in compose.run_to_completion(project).items():
                if name in comps_by_plain:
                    one_shot[comps_by_plain[name].name] = waiter
            for src_name, target, how, source, reason in compose.declared_links(project, scan.out):
                src = comps_by_plain.get(src_name)
                dst = self.dns.get(project.name, target)
                if src is None:
                    continue
                if dst is None:
                    builder.unresolved_ref(
                        src, target, f"{reason}: no such service in Compose project {project.name}", source
                    )
                    continue
                builder.add(
                    src, dst, Evidence(reason=reason, kind=how, confidence=CONFIDENCE[how], source=source)
                )
        infer_env([c for comps in self.by_project.values() for c in comps], scan.resolver, builder, one_shot)
        self._traefik_routes(scan)

    def _traefik_routes(self, scan: ScanState) -> None:
        """Traefik routes requests to Compose services by their labels, not by any env var: a
        ``traefik.http.routers.<name>.rule`` label makes the project's Traefik a caller of that service."""
        for comps in self.by_project.values():
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
                    scan.builder.add(
                        proxy, c, Evidence(reason=reason, kind="ingress", confidence=0.9, source=c.source)
                    )
