"""The reader extension point (sources/registry.py): a new input format is one reader class.

The fake readers here live only in this test module: registering them gives ``scan`` a new format
(components, an edge, an unresolved host, with file:line) without touching any other module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import redline
from redline.model import Component, Evidence, Kind, SkipKind, Source
from redline.sources.registry import (
    InputFile,
    Phase,
    Registry,
    ScanState,
    SourceReader,
    default_registry,
)


class HostsDNS:
    """The fake format's name resolution: a name declared in a ``.hosts`` file of the scan."""

    def __init__(self) -> None:
        self.names: dict[str, Component] = {}

    def resolve(self, src: Component, host: str) -> tuple[list[Component], float, str]:
        target = self.names.get(host)
        return ([target], 1.0, "") if target else ([], 0.0, f"no host {host!r} in any .hosts file")


class HostsReader(SourceReader):
    """``name  callee:port ...`` per line; ``#`` starts a comment."""

    name = "hosts"
    phase = Phase.PLATFORM
    priority = 5
    suffixes = (".hosts",)

    def __init__(self) -> None:
        self.calls: list[tuple[Component, str, Source]] = []
        self.dns = HostsDNS()
        self.found: list[Component] = []

    def read(self, file: InputFile, scan: ScanState) -> bool:
        count = 0
        for number, line in enumerate(file.text.splitlines(), 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            here = Source(file=file.rel, line=number)
            comp = Component(name=words[0], kind=Kind.SERVICE, platform="redline", source=here)
            self.found.append(comp)
            self.calls.extend((comp, word, here) for word in words[1:])
            count += 1
        scan.file_read(file.rel, "hosts", count)
        return True

    def build(self, scan: ScanState) -> None:
        scan.components.extend(self.found)

    def resolvers(self, scan: ScanState) -> dict[str, HostsDNS]:  # type: ignore[override]
        self.dns.names = {c.name: c for c in self.found}
        return {"redline": self.dns}

    def link(self, scan: ScanState) -> None:
        for comp, word, where in self.calls:
            host = word.rsplit(":", 1)[0]
            targets, _, note = scan.resolver.resolve(comp, host)
            for t in targets:
                evidence = Evidence(
                    reason=f"hosts {comp.name} -> {word}", kind="declared", confidence=1.0, source=where
                )
                scan.builder.add(comp, t, evidence)
            if not targets:
                scan.builder.unresolved_ref(comp, host, note, where)


HOSTS = """\
# a made-up topology format
web   api:8080
api   db:5432 cache:6379
db
"""


def test_a_registered_reader_adds_components_and_edges_with_sources(tmp_path: Path) -> None:
    (tmp_path / "topology.hosts").write_text(HOSTS, encoding="utf-8")
    with default_registry().registered(HostsReader) as registry:
        system = redline.scan(tmp_path, registry=registry)
    assert [(c.name, c.source.file, c.source.line) for c in system.components] == [
        ("api", "topology.hosts", 3),
        ("db", "topology.hosts", 4),
        ("web", "topology.hosts", 2),
    ]
    edges = [(e.from_, e.to, e.evidence[0].reason, str(e.evidence[0].source)) for e in system.edges]
    assert edges == [
        ("api", "db", "hosts api -> db:5432", "topology.hosts:3"),
        ("web", "api", "hosts web -> api:8080", "topology.hosts:2"),
    ]
    assert [(u.from_, u.host, u.reason, str(u.source)) for u in system.unresolved] == [
        ("api", "cache", "no host 'cache' in any .hosts file", "topology.hosts:3")
    ]
    assert [(f.file, f.as_, f.objects) for f in system.files] == [("topology.hosts", "hosts", 3)]
    assert system.skipped == []
    assert "hosts" not in default_registry().names()  # registered only inside the block


def test_without_the_reader_the_walk_does_not_collect_the_format(tmp_path: Path) -> None:
    (tmp_path / "topology.hosts").write_text(HOSTS, encoding="utf-8")
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n", encoding="utf-8")
    system = redline.scan(tmp_path)
    assert [c.name for c in system.components] == ["web"]
    assert [f.file for f in system.files] == ["compose.yaml"]


def test_the_default_registry_orders_readers_by_phase() -> None:
    """Helm renders first (its output reaches every reader), kustomize and redline.yaml are claimed
    before any platform file, Compose tries a YAML file before Kubernetes."""
    readers = default_registry().create()
    assert [r.phase for r in readers] == sorted(r.phase for r in readers)
    builtin = {"helm", "kustomize", "redline.yaml", "compose", "kubernetes"}
    assert [(r.name, r.phase) for r in readers if r.name in builtin] == [
        ("helm", Phase.RENDER),
        ("kustomize", Phase.LAYOUT),
        ("redline.yaml", Phase.LAYOUT),
        ("compose", Phase.PLATFORM),
        ("kubernetes", Phase.PLATFORM),
    ]


class ManifestRenderer(SourceReader):
    """A fake renderer: takes ``*.tmpl`` files whole and hands a Kubernetes document per file on (named
    ``.yaml``, so the YAML readers claim it; cited as the template)."""

    name = "tmpl"
    phase = Phase.RENDER
    suffixes = (".tmpl",)

    def select(self, scan: ScanState) -> set[Path]:
        taken = {f for f in scan.found.files if f.suffix == ".tmpl"}
        for f in sorted(taken):
            name = f.read_text(encoding="utf-8").strip()
            doc = f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
            scan.add_input(InputFile(f.with_suffix(".yaml"), scan.rel(f), doc, parse=scan.parse))
        return taken


def test_a_render_phase_reader_feeds_the_platform_readers_and_kustomize_gates_them(tmp_path: Path) -> None:
    (tmp_path / "a.tmpl").write_text("alpha\n", encoding="utf-8")
    sub = tmp_path / "k"
    sub.mkdir()
    (sub / "b.tmpl").write_text("beta\n", encoding="utf-8")
    (sub / "kustomization.yaml").write_text("resources: []\n", encoding="utf-8")
    with default_registry().registered(ManifestRenderer) as registry:
        system = redline.scan(tmp_path, registry=registry)
    assert [(c.name, str(c.source)) for c in system.components] == [("alpha", "a.tmpl:1")]
    assert [(s.file, s.kind, s.reason) for s in system.skipped] == [
        ("k/b.tmpl", SkipKind.IGNORED, "not listed in k/kustomization.yaml: `kubectl apply -k` leaves it out")
    ]


class Broken(SourceReader):
    name = "broken"
    suffixes = (".hosts",)

    def read(self, file: InputFile, scan: ScanState) -> bool:
        raise RuntimeError("boom")

    def link(self, scan: ScanState) -> None:
        raise KeyError("also boom")


def test_a_reader_bug_costs_its_file_never_the_scan(tmp_path: Path) -> None:
    (tmp_path / "topology.hosts").write_text(HOSTS, encoding="utf-8")
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n", encoding="utf-8")
    with default_registry().registered(Broken) as registry:
        system = redline.scan(tmp_path, registry=registry)
    assert [c.name for c in system.components] == ["web"]
    assert [(s.file, s.kind, s.reason) for s in system.skipped] == [
        (
            "topology.hosts",
            SkipKind.UNREADABLE,
            "broken reader: internal error while reading (RuntimeError: boom); please report it",
        ),
        (
            ".",
            SkipKind.UNREADABLE,
            "broken reader (link): internal error while reading (KeyError: 'also boom'); please report it",
        ),
    ]


def test_a_registry_refuses_a_reader_without_a_name() -> None:
    class Nameless(SourceReader):
        pass

    with pytest.raises(ValueError, match="needs a name"):
        Registry().register(Nameless)
