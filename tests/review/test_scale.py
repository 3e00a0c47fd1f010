"""Review stays linear and bounded at scale: indexed lookups, and path searches that survive cycles.

No test here is timed. Each pins a result that the old code got wrong or could not reach: a lookup that
scanned every edge per question is caught by counting passes over the edge list; a path search that was
exponential on cycles is run on a 30-node complete mesh (the old search enumerated 29^12 paths) and its
answer is checked exactly.
"""

from __future__ import annotations

import copy
import itertools
import pickle
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from redline.model import Component, Edge, Source, System
from redline.review.engine import ReviewConfig, review
from redline.review.rules._util import Chain, longest_paths
from redline.sources.scan import scan

SRC = Source(file="x.yaml", line=1)


def _system(n: int, edges: list[tuple[str, str]], aliases: dict[str, list[str]] | None = None) -> System:
    comps = [
        Component(name=f"c{i}", kind="service", source=SRC, aliases=(aliases or {}).get(f"c{i}", []))
        for i in range(n)
    ]
    return System(components=comps, edges=[Edge(**{"from": a, "to": b}) for a, b in edges])


class _CountingList(list[Any]):
    """A list that counts full passes over it (``for e in edges``)."""

    passes = 0

    def __iter__(self) -> Any:
        _CountingList.passes += 1
        return super().__iter__()


# ------------------------------------------------------------------------------------------------ System


def test_calls_from_and_to_index_the_edges_once() -> None:
    """Regression: ``calls_to`` scanned every edge per call, so a review was quadratic in components."""
    s = _system(50, [(f"c{i}", f"c{(i + 1) % 50}") for i in range(50)] + [("c0", "c7")])
    s.edges = _CountingList(s.edges)  # assignment is not validated: the list stays a _CountingList
    _CountingList.passes = 0
    got = {
        c.name: ([e.to for e in s.calls_from(c.name)], [e.from_ for e in s.calls_to(c.name)])
        for c in s.components
    }
    assert _CountingList.passes == 1  # one pass to build the index, none per question
    assert got["c0"] == (["c1", "c7"], ["c49"])
    assert got["c7"] == (["c8"], ["c6", "c0"])
    assert s.calls_to("nobody") == [] and s.calls_from("nobody") == []


def test_component_lookup_keeps_first_name_and_unambiguous_alias() -> None:
    s = _system(3, [], aliases={"c0": ["db", "shared"], "c1": ["shared"], "c2": ["c0"]})
    assert s.component("c0") is s.components[0]  # a name wins over another component's alias
    assert s.component("db") is s.components[0]
    assert s.component("shared") is None  # two components answer to it
    assert s.component("nope") is None


def test_lookups_follow_replaced_lists_renames_and_repointed_edges() -> None:
    s = _system(3, [("c0", "c1")])
    assert [e.to for e in s.calls_from("c0")] == ["c1"]
    s.edges = [*s.edges, Edge(**{"from": "c0", "to": "c2"})]  # a new list
    assert [e.to for e in s.calls_from("c0")] == ["c1", "c2"]
    s.edges.append(Edge(**{"from": "c2", "to": "c1"}))  # the same list, grown
    assert [e.from_ for e in s.calls_to("c1")] == ["c0", "c2"]
    s.components[1].name = "api"  # renamed in place
    assert s.component("api") is s.components[1] and s.component("c1") is None
    s.edges[0].to = "api"  # re-pointed in place
    assert [e.from_ for e in s.calls_to("api")] == ["c0"]
    assert [e.from_ for e in s.calls_to("c1")] == ["c2"]


def test_lookups_are_not_part_of_a_systems_value() -> None:
    s = _system(3, [("c0", "c1"), ("c1", "c2")])
    t = _system(3, [("c0", "c1"), ("c1", "c2")])
    s.calls_from("c0")  # s has built its index, t has not
    assert s == t
    for clone in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert clone == s
        assert [e.to for e in clone.calls_from("c1")] == ["c2"]
        assert clone.calls_from("c1")[0] is clone.edges[1]  # the clone's own edges, not the original's


# ------------------------------------------------------------------------------------------------ paths


def _brute(g: nx.DiGraph, start: str, weight: dict[tuple[str, str], float]) -> float:
    best = 0.0
    for target in g.nodes:
        if target == start:
            continue
        for p in nx.all_simple_paths(g, start, target):
            best = max(best, sum(weight[a, b] for a, b in itertools.pairwise(p)))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_longest_paths_match_brute_force_on_small_graphs(seed: int) -> None:
    """Exact, with and without cycles, when the budget is not hit; every path is a real simple path."""
    g = nx.gnp_random_graph(8, 0.25 if seed % 2 else 0.12, seed=seed, directed=True)
    g = nx.relabel_nodes(g, {i: f"n{i}" for i in g.nodes})
    weight = {
        (a, b): float((int(a[1:]) * 7 + int(b[1:]) * 3 + seed) % 5 + (seed % 3 == 0)) for a, b in g.edges
    }
    chains = longest_paths(g, list(g.nodes), weight=lambda a, b: weight[a, b])
    for start, chain in chains.items():
        assert chain.exact
        assert chain.path[0] == start and len(set(chain.path)) == len(chain.path)
        assert all(g.has_edge(a, b) for a, b in itertools.pairwise(chain.path))
        assert chain.value == pytest.approx(sum(weight[a, b] for a, b in itertools.pairwise(chain.path)))
        assert chain.value == pytest.approx(_brute(g, start, weight))


def test_longest_paths_on_a_deep_dag_are_exact_past_the_old_depth_cap() -> None:
    """Regression: the old search stopped at 12 hops even on a DAG ("exact on DAGs of sane depth")."""
    g = nx.DiGraph([(f"s{i}", f"s{i + 1}") for i in range(20)] + [("s0", "s5"), ("x", "s0")])
    chains = longest_paths(g, ["x", "s3", "missing"])
    assert chains["x"] == Chain(21.0, ("x", *(f"s{i}" for i in range(21))), True)
    assert chains["s3"].value == 17.0
    assert chains["missing"] == Chain(0.0, ("missing",), True)


def test_longest_paths_stop_at_the_budget_with_a_real_path() -> None:
    """Weights that defeat the pruning bound make the search spend its budget; it keeps the best found."""
    g = nx.complete_graph(12, create_using=nx.DiGraph)
    w = {(a, b): float((a * 7 + b * 3) % 11) for a, b in g.edges}
    chain = longest_paths(g, [0], weight=lambda a, b: w[a, b], budget=200)[0]
    assert not chain.exact
    assert chain.path[0] == 0 and len(set(chain.path)) == len(chain.path) > 2
    assert chain.value == sum(w[a, b] for a, b in itertools.pairwise(chain.path))


# ------------------------------------------------------------------------------------------------ rules


def _mesh(tmp_path: Path, n: int) -> Path:
    """``n`` components that all call each other with one retry, 10 ms each, a 100 ms SLO, entry m0."""
    lines = ["slo: {latency: {p99: 100ms}}", "entrypoints: [{name: site, component: m0}]", "components:"]
    for i in range(n):
        calls = ", ".join(
            f"{{to: m{j}, timeout: 1s, retries: 1, backoff: true, jitter: true}}" for j in range(n) if j != i
        )
        lines += [f"  m{i}:", "    replicas: 2", "    service_time: 10ms", f"    calls: [{calls}]"]
    (tmp_path / "redline.yaml").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_rs006_on_a_30_node_complete_mesh_names_one_hamiltonian_chain(tmp_path: Path) -> None:
    """Regression: the old RS006 search was exponential on cycles (an 11-node mesh took 13 s)."""
    report = review(scan(_mesh(tmp_path, 30)), ReviewConfig(select=["RS006"]))
    assert report.errors == []
    (f,) = report.findings
    chain = "m0 → m1 → m2 → m3 → m4 → m5 → m6 → m7 → … 18 more … → m26 → m27 → m28 → m29"
    assert (f.rule, f.component, f.file, f.line) == ("RS006", "m0", "redline.yaml", 4)
    assert f.message == f"entry point `m0` reaches a synchronous chain of 29 hops (limit 5): {chain}."


def test_rs004_and_rs007_on_a_30_node_complete_mesh(tmp_path: Path) -> None:
    """RS004 and RS007 search paths through the same cycle: bounded, and the numbers are the chain's."""
    report = review(scan(_mesh(tmp_path, 30)), ReviewConfig(select=["RS004", "RS007"]))
    assert report.errors == []
    rs004 = [f for f in report.findings if f.rule == "RS004"]
    assert len(rs004) == 30  # one per component: the heaviest path into each
    assert all(f"multiply to {2**29:g} attempts" in f.message for f in rs004)
    chains = [f for f in report.findings if f.rule == "RS007" and "service times" in f.message]
    assert [f.message for f in chains] == [
        "the stated service times along m0 → m1 → m2 → m3 → m4 → m5 → m6 → m7 → … 18 more … → m26 → m27 → "
        "m28 → m29 add up to 0.3 s, above the p99 objective of 0.1 s."
    ]


def test_rs006_reports_a_deep_chain_at_its_depth_in_a_bounded_message(tmp_path: Path) -> None:
    """Regression: a 40-hop chain was reported as 12 hops (the old search's depth cap); a 2,000-hop one
    named all 2,000 services in one message."""
    lines = ["entrypoints: [{name: site, component: s0}]", "components:"]
    for i in range(40):
        lines += [f"  s{i}:", "    replicas: 2", f"    calls: [{{to: s{i + 1}, timeout: 1s}}]"]
    lines += ["  s40: {replicas: 2}"]
    (tmp_path / "redline.yaml").write_text("\n".join(lines) + "\n")
    (f,) = review(scan(tmp_path), ReviewConfig(select=["RS006"])).findings
    assert f.message == (
        "entry point `s0` reaches a synchronous chain of 40 hops (limit 5): "
        "s0 → s1 → s2 → s3 → s4 → s5 → s6 → s7 → … 29 more … → s37 → s38 → s39 → s40."
    )


def test_shown_chain_keeps_short_chains_whole() -> None:
    from redline.review.rules._util import shown_chain

    assert shown_chain([f"n{i}" for i in range(13)]) == " → ".join(f"n{i}" for i in range(13))
    assert shown_chain(["2"] * 14, " × ") == "2 × 2 × 2 × 2 × 2 × 2 × 2 × 2 × … 2 more … × 2 × 2 × 2 × 2"
