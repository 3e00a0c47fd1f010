"""Recall and precision of scan's runtime calls against a ground truth read off real systems by hand.

Each file in tests/data/groundtruth/ lists, for one scan target in ../shared/samples, the runtime calls
its files *state* (env addresses, URLs, DSNs, command arguments, mounted configs, routes), with the
file and line that names the host. They were written by reading the files, never from redline's output
(tests/data/groundtruth/README.md says how). This module scans each target with ``redline.scan`` and
counts, per target:

* **stated**: distinct (caller, callee) pairs in ``calls``;
* **found**: of those, pairs redline reports as a runtime edge (``startup_only`` False);
* **invented**: pairs redline reports as a runtime edge that the truth does not list as a call;
* **entry points right**: whether review's inferred entry points (``Context.entrypoints``) are the truth's.

``PINS`` holds today's numbers. When a reader change moves them, the failure prints the whole table and
the missed and invented calls: update the pin deliberately (and docs/scan.md, "Recall and precision on
real systems"). Skipped cleanly when the samples are absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

import redline
from redline.model import Component, Edge, Kind, Source
from redline.review.context import Context
from redline.sources import helm
from tests.conftest import SAMPLES, samples_dir

pytestmark = pytest.mark.samples

GROUNDTRUTH = Path(__file__).resolve().parents[1] / "data" / "groundtruth"

Pair = tuple[str, str]


class Pin(NamedTuple):
    """Today's numbers for one target (see the module docstring)."""

    stated: int
    found: int
    invented: int
    entrypoints_right: bool


#: target file stem -> today's numbers. Update deliberately when fidelity moves (and docs/scan.md).
PINS: dict[str, Pin] = {
    "deathstarbench-daprapps-socialnetwork": Pin(0, 0, 0, True),
    "deathstarbench-hotelreservation-compose": Pin(0, 0, 0, True),
    "deathstarbench-hotelreservation-helm-chart": Pin(0, 0, 0, True),
    "deathstarbench-hotelreservation-kubernetes": Pin(0, 0, 0, True),
    "deathstarbench-mediamicroservices-compose": Pin(0, 0, 0, True),
    "deathstarbench-mediamicroservices-helm-chart": Pin(0, 0, 0, True),
    "deathstarbench-socialnetwork-compose": Pin(0, 0, 0, True),
    "deathstarbench-socialnetwork-helm-chart": Pin(0, 0, 0, True),
    "deathstarbench-socialnetwork-openshift": Pin(0, 0, 0, True),
    "full-stack-fastapi-template": Pin(6, 6, 0, True),
    "online-boutique-helm-chart": Pin(16, 16, 0, True),
    "online-boutique-kubernetes-manifests": Pin(15, 15, 0, True),
    "online-boutique-kustomize": Pin(16, 16, 0, True),
    "retail-store-sample-app-compose": Pin(12, 12, 0, True),
    "retail-store-sample-app-helm-chart": Pin(4, 4, 0, True),
    "sock-shop-docker-compose": Pin(2, 2, 0, True),
    "sock-shop-helm-chart": Pin(3, 3, 0, True),
    "sock-shop-kubernetes-manifests": Pin(1, 1, 0, True),
    "spring-petclinic-microservices": Pin(4, 4, 0, True),
}


@dataclass(frozen=True)
class Truth:
    """One ground-truth file, reduced to what is compared."""

    name: str
    target: str
    calls: frozenset[Pair]
    startup_only: frozenset[Pair]
    entrypoints: frozenset[str]
    names: frozenset[str]
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Measured:
    """What redline found for one target, in the truth's names."""

    truth: Truth
    runtime: frozenset[Pair]
    startup: frozenset[Pair]
    entrypoints: frozenset[str]

    @property
    def found(self) -> frozenset[Pair]:
        return self.truth.calls & self.runtime

    @property
    def missed(self) -> frozenset[Pair]:
        return self.truth.calls - self.runtime

    @property
    def invented(self) -> frozenset[Pair]:
        return self.runtime - self.truth.calls

    @property
    def pin(self) -> Pin:
        return Pin(
            len(self.truth.calls),
            len(self.found),
            len(self.invented),
            self.entrypoints == self.truth.entrypoints,
        )


def _pairs(entries: list[dict[str, Any]] | None) -> frozenset[Pair]:
    return frozenset((str(e["from"]), str(e["to"])) for e in entries or [])


def load_truth(path: Path) -> Truth:
    """Read one ground-truth YAML file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    calls, startup = _pairs(raw.get("calls")), _pairs(raw.get("startup_only"))
    entrypoints = frozenset(str(e["component"]) for e in raw.get("entrypoints") or [])
    names = {n for pair in calls | startup for n in pair} | entrypoints | set(raw.get("tooling") or [])
    return Truth(path.stem, raw["target"], calls, startup, entrypoints, frozenset(names), raw)


def truth_files() -> list[Path]:
    return sorted(GROUNDTRUTH.glob("*.yaml"))


def _namer(system: redline.System, truth_names: frozenset[str]) -> dict[str, str]:
    """redline component name -> the truth's name: itself, an alias, or the plain part of ``group/name``."""
    out: dict[str, str] = {}
    for c in system.components:
        candidates = [c.name, *c.aliases, c.name.rsplit("/", 1)[-1]]
        out[c.name] = next((n for n in candidates if n in truth_names), c.name)
    return out


def compare(truth: Truth, system: redline.System) -> Measured:
    """Express ``system``'s edges and inferred entry points in the truth's names."""
    rename = _namer(system, truth.names)
    edges = [((rename.get(e.from_, e.from_), rename.get(e.to, e.to)), e.startup_only) for e in system.edges]
    runtime = frozenset(p for p, startup in edges if not startup)
    startup = frozenset(p for p, startup in edges if startup)
    entrypoints = frozenset(rename.get(n, n) for n in Context(system).entrypoints)
    return Measured(truth, runtime, startup, entrypoints)


@cache
def measure(name: str) -> Measured:
    """Scan the target of ``name``'s ground truth (each target once per test run) and compare."""
    truth = load_truth(GROUNDTRUTH / f"{name}.yaml")
    target = samples_dir(*truth.target.split("/"))
    if helm._engine() is None and any(target.rglob("Chart.yaml")):
        pytest.skip(f"{truth.target} holds a Helm chart and no renderer is installed (pip install '.[helm]')")
    return compare(truth, redline.scan(target))


def _fmt(pairs: frozenset[Pair]) -> str:
    return ", ".join(f"{a}->{b}" for a, b in sorted(pairs)) or "none"


def table() -> str:
    """Every target's measured numbers, as a table a reader can paste into PINS and docs/scan.md."""
    lines = ["target | stated | found | recall | invented | precision | entry points right"]
    for path in truth_files():
        m = measure(path.stem)
        p = m.pin
        reported = p.found + p.invented
        recall = f"{100 * p.found / p.stated:.0f}%" if p.stated else "-"
        precision = f"{100 * p.found / reported:.0f}%" if reported else "-"
        lines.append(
            f"{path.stem} | {p.stated} | {p.found} | {recall} | {p.invented} | {precision} | {p.entrypoints_right}"
        )
        lines.append(f'    "{path.stem}": {p!r},  # paste into PINS')
    return "\n".join(lines)


def report(m: Measured) -> str:
    """The failure message: the whole table, then this target's differences in full."""
    return (
        f"\n{table()}\n\n{m.truth.name}: pinned {PINS.get(m.truth.name)!r}, measured {m.pin!r}\n"
        f"  missed:   {_fmt(m.missed)}\n  invented: {_fmt(m.invented)}\n"
        f"  entry points: redline {sorted(m.entrypoints)}, truth {sorted(m.truth.entrypoints)}\n"
        f"  startup-only per redline: {_fmt(m.startup)}\n  startup-only per truth: {_fmt(m.truth.startup_only)}"
    )


@pytest.mark.parametrize("name", [p.stem for p in truth_files()])
def test_recall_and_precision_are_pinned(name: str) -> None:
    m = measure(name)
    assert m.pin == PINS.get(name), report(m)


def test_every_ground_truth_is_pinned() -> None:
    assert sorted(PINS) == [p.stem for p in truth_files()]


@pytest.mark.parametrize("name", [p.stem for p in truth_files()])
def test_ground_truth_cites_real_lines(name: str) -> None:
    """Every cited file exists and its cited line names the callee (``host:`` when the text differs)."""
    truth = load_truth(GROUNDTRUTH / f"{name}.yaml")
    system_root = samples_dir(truth.target.split("/")[0])
    assert (SAMPLES / truth.target).exists()
    for key in ("calls", "startup_only", "dangling", "not_deployed"):
        for entry in truth.raw.get(key) or []:
            lines = (system_root / entry["file"]).read_text(encoding="utf-8").splitlines()
            line = int(entry["line"])
            assert 1 <= line <= len(lines), f"{name}: {key} {entry}: no line {line}"
            host = str(entry.get("host", entry.get("to")))
            assert host.lower() in lines[line - 1].lower(), (
                f"{name}: {key} {entry}: line does not name {host}"
            )
    assert truth.calls.isdisjoint(truth.startup_only), f"{name}: a pair is both a call and startup-only"
    assert truth.entrypoints <= truth.names


def test_comparison_maps_qualified_names_and_keeps_startup_only_edges_apart() -> None:
    """The matching itself, on a hand-built system: ``group/name`` maps to the truth's plain name through
    its alias, a startup-only edge is not a runtime call, an edge the truth lacks is invented, and entry
    points come from review's inference (a published port on a service nobody calls)."""
    truth = Truth(
        "t",
        "x",
        calls=frozenset({("web", "api"), ("api", "db")}),
        startup_only=frozenset({("api", "cache")}),
        entrypoints=frozenset({"web"}),
        names=frozenset({"web", "api", "db", "cache"}),
        raw={},
    )
    src = Source(file="compose.yaml", line=1)
    system = redline.System(
        components=[
            Component(
                name="p1/web",
                aliases=["web"],
                kind=Kind.SERVICE,
                source=src,
                exposure=["published port 80:80"],
            ),
            Component(name="p1/api", aliases=["api"], kind=Kind.SERVICE, source=src),
            Component(name="db", kind=Kind.DATASTORE, source=src),
            Component(name="cache", kind=Kind.CACHE, source=src),
        ],
        edges=[
            Edge(**{"from": "p1/web", "to": "p1/api"}),
            Edge(**{"from": "p1/api", "to": "db", "startup_only": True}),
            Edge(**{"from": "p1/api", "to": "cache"}),
        ],
    )
    m = compare(truth, system)
    assert m.found == {("web", "api")}
    assert m.missed == {("api", "db")}
    assert m.invented == {("api", "cache")}
    assert m.startup == {("api", "db")}
    assert m.pin == Pin(stated=2, found=1, invented=1, entrypoints_right=True)
