"""Held workers as a layered queueing network: the finite-source station, saturation, naming, overhead.

The reference numbers are computed here, independently of the code under test: the closed network of
``N`` tokens (a think time, then a ``c``-server exponential station) is a birth-death chain, summed state
by state. Issue 13's testbed: a front of 5 ms whose workers are held while it calls a back of 4 workers
× 25 ms (capacity 160/s); the open model forecast saturation at 127 rps with 6 front workers, the exact
layered solution and the real server said 158 and 150–155.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import redline
from redline.forecast import forecast
from redline.forecast.graph import compile_system
from redline.forecast.latency import entry_distribution
from redline.forecast.layered import closed_station
from redline.forecast.network import evaluate

from .helpers import make_system


def _chain(tokens: int, servers: int, hold: float, think: float) -> np.ndarray:
    """Stationary distribution of the number at the station: birth (K − k)/Z, death min(k, c)/H."""
    log_q = np.zeros(tokens + 1)
    for k in range(1, tokens + 1):
        log_q[k] = log_q[k - 1] + math.log((tokens - k + 1) / think) - math.log(min(k, servers) / hold)
    q = np.exp(log_q - log_q.max())
    return np.asarray(q / q.sum())


def _exact(tokens: int, servers: int, hold: float, think: float) -> tuple[float, float, float]:
    """Utilization, mean wait (Little) and the probability an arrival waits (it sees K − 1 others)."""
    k = np.arange(tokens + 1)
    q = _chain(tokens, servers, hold, think)
    throughput = float((np.minimum(k, servers) * q).sum()) / hold
    wait = float((np.maximum(k - servers, 0) * q).sum()) / throughput
    seen = _chain(tokens - 1, servers, hold, think)
    return throughput * hold / servers, wait, float(seen[servers:].sum())


@pytest.mark.parametrize(
    ("tokens", "servers", "hold", "think"),
    [(6, 4, 0.025, 0.005), (64, 4, 0.025, 0.005), (5, 4, 0.025, 0.1), (20, 1, 1.0, 3.0),
     (200, 16, 0.01, 0.05), (17, 16, 0.01, 0.0001), (300, 100, 0.01, 0.2), (9, 8, 0.002, 0.002)],
)  # fmt: skip
def test_closed_station_is_the_finite_source_chain(
    tokens: int, servers: int, hold: float, think: float
) -> None:
    util, wait, p_wait = (float(x[0]) for x in closed_station(tokens, servers, hold, think))
    e_util, e_wait, e_p = _exact(tokens, servers, hold, think)
    assert util == pytest.approx(e_util, rel=1e-6)
    assert wait == pytest.approx(e_wait, rel=1e-6, abs=1e-12)
    assert p_wait == pytest.approx(e_p, rel=1e-6, abs=1e-12)


def test_closed_station_edges() -> None:
    # K ≤ c never waits; each token is busy H of every H + Z.
    util, wait, p_wait = closed_station(4, 4, 0.025, 0.075)
    assert (float(util[0]), float(wait[0]), float(p_wait[0])) == (0.25, 0.0, 0.0)
    # Past MAX_TOKENS: saturated, the queue holds every token but c and those thinking (K − c − y).
    util, wait, p_wait = closed_station(20_000_000, 8, 0.01, 0.001)
    assert float(util[0]) == 1.0 and float(p_wait[0]) == 1.0
    assert float(wait[0]) == pytest.approx((20_000_000 - 8) * 0.01 / 8 - 0.001)


def _front_back(workers: int, rps: float = 50.0, **call: Any) -> dict[str, Any]:
    return {
        "entrypoints": [{"name": "web", "component": "front", "rps": rps}],
        "components": {
            "front": {"workers": workers, "service_time": 0.005, "calls": [{"to": "back", **call}]},
            "back": {"workers": 4, "service_time": 0.025},
        },
    }


@pytest.mark.parametrize("workers", [2, 4, 6, 8, 16, 32, 64])
def test_saturation_is_the_closed_network_throughput(workers: int) -> None:
    # Saturated, every front token is busy: a closed network of `workers` tokens (5 ms think, then the
    # back). Its throughput is where the front's queue starts to grow.
    k = np.arange(workers + 1)
    q = _chain(workers, 4, 0.025, 0.005)
    exact = float((np.minimum(k, 4) * q).sum()) / 0.025
    entry = forecast(make_system(_front_back(workers))).entrypoints[0]
    assert entry.saturation_rps == pytest.approx(exact, rel=2e-4)


def test_issue_13_six_front_workers_back_binds() -> None:
    entry = forecast(make_system(_front_back(6))).entrypoints[0]
    assert entry.saturation_rps == pytest.approx(157.94, abs=0.05)  # the open model said 126.6
    assert (entry.bottleneck, entry.bottleneck_through) == ("back", ["front"])
    assert entry.bottleneck_reason == (
        "back (4 workers × 25 ms, 99% busy) binds through the held pool of front: front's 6 workers all "
        "held, 38 ms each (5 ms own work)"
    )
    assert entry.summary.startswith("breaks at 158 rps: back (4 workers")
    sixteen = forecast(make_system(_front_back(16))).entrypoints[0]
    assert sixteen.saturation_rps == pytest.approx(160.0, abs=0.05)  # the open model said 149.0


def test_two_front_workers_bind_themselves() -> None:
    # Two tokens can never queue at four back workers: the front's own workers bind, at 2 / 30 ms.
    entry = forecast(make_system(_front_back(2))).entrypoints[0]
    assert entry.saturation_rps == pytest.approx(2 / 0.030, rel=2e-4)
    assert (entry.bottleneck, entry.bottleneck_through) == ("front", [])
    assert entry.bottleneck_reason == (
        "front saturates (2 workers × 30 ms held: 5 ms own work + 25 ms waiting on calls; back at 42% utilization)"
    )


def test_two_tier_database_binds_through_the_front() -> None:
    # Issue 13: front 3 × 64 workers, database 8 workers. The headline must name the database.
    spec = {
        "entrypoints": [{"name": "web", "component": "front", "rps": 1000}],
        "components": {
            "front": {"replicas": 3, "workers": 64, "service_time": 0.002, "calls": [{"to": "db"}]},
            "db": {"kind": "datastore", "workers": 8, "service_time": 0.002},
        },
    }
    entry = forecast(make_system(spec)).entrypoints[0]
    assert entry.saturation_rps == pytest.approx(4000.0, rel=2e-4)
    assert (entry.bottleneck, entry.bottleneck_through) == ("db", ["front"])
    assert entry.summary.startswith(
        "breaks at 4,000 rps: db (8 workers × 2 ms, 100% busy) binds through the held pool of front"
    )


def test_a_chain_of_held_pools_is_named_outermost_first() -> None:
    spec = {
        "entrypoints": [{"name": "web", "component": "f", "rps": 50}],
        "components": {
            "f": {"workers": 32, "service_time": 0.002, "calls": [{"to": "m"}]},
            "m": {"workers": 8, "service_time": 0.002, "calls": [{"to": "d"}]},
            "d": {"kind": "datastore", "workers": 2, "service_time": 0.010},
        },
    }
    entry = forecast(make_system(spec)).entrypoints[0]
    assert entry.saturation_rps == pytest.approx(200.0, rel=2e-4)
    assert (entry.bottleneck, entry.bottleneck_through) == ("d", ["f", "m"])
    assert "binds through the held pools of f → m" in (entry.bottleneck_reason or "")


def test_a_single_station_is_still_exact_erlang_c() -> None:
    # M/M/4, S = 25 ms at 128 rps (ρ = 0.8): the layered model changes nothing without held callers.
    spec = {"entrypoints": [{"name": "e", "component": "back", "rps": 128}],
            "components": {"back": {"workers": 4, "service_time": 0.025}}}  # fmt: skip
    net = compile_system(make_system(spec))
    state = evaluate(net, 1.0)
    a = 3.2
    b = 1.0
    for k in range(1, 5):
        b = a * b / (k + a * b)
    erlang = b / (1 - 0.8 * (1 - b))
    assert state.p_wait[0] == pytest.approx(erlang, rel=1e-12)
    assert state.r_mean[0] == pytest.approx(0.025 + erlang * 0.025 / (4 - a), rel=1e-12)


def test_overhead_adds_to_held_time_and_latency() -> None:
    plain = compile_system(make_system(_front_back(2, rps=10)))
    slow = compile_system(make_system(_front_back(2, rps=10, overhead=0.0008)))
    a, b = evaluate(plain, 1.0), evaluate(slow, 1.0)
    assert b.hold_free[0] == pytest.approx(a.hold_free[0] + 0.0008)  # the caller holds its worker
    assert b.capacity[0] == pytest.approx(2 / 0.0308)
    da, db = entry_distribution(plain, a, 0), entry_distribution(slow, b, 0)
    assert da is not None and db is not None
    assert db.quantile(0.01) - da.quantile(0.01) == pytest.approx(0.0008, abs=2 * db.dt)
    entry = forecast(make_system(_front_back(2, overhead=0.0008))).entrypoints[0]
    assert entry.saturation_rps == pytest.approx(2 / 0.0308, rel=2e-4)


def test_overhead_from_redline_yaml(tmp_path: Path) -> None:
    (tmp_path / "redline.yaml").write_text(
        "defaults: {call_overhead: 0.5ms}\n"
        "entrypoints: [{name: web, component: front, rps: 10}]\n"
        "components:\n"
        "  front: {workers: 2, service_time: 5ms, calls: [{to: back, overhead: 0.4ms}, {to: cache}]}\n"
        "  back: {workers: 4, service_time: 25ms}\n"
        "  cache: {kind: cache, workers: 4, service_time: 1ms, calls: [{to: back, overhead: 200}]}\n"
    )
    system = redline.scan(tmp_path)
    stated = {(e.from_, e.to): e.overhead_s for e in system.edges}
    assert stated == {("front", "back"): 0.0004, ("front", "cache"): None, ("cache", "back"): None}
    assert [s.reason for s in system.skipped] == [
        "redline.yaml: components.cache.calls.0.overhead: a bare number is ambiguous here: expected a "
        "duration such as 500ms or 2s, got 200; write 200ms or 200s"
    ]
    result = forecast(system)
    assert "call overhead = 0.5 ms for 2 of 3 calls (defaults.call_overhead)" in result.assumptions
    net = compile_system(system)
    assert sorted(net.call_overhead.tolist()) == [0.0004, 0.0005, 0.0005]


def test_no_overhead_stated_is_an_assumption() -> None:
    result = forecast(make_system(_front_back(6)))
    assert (
        "call overhead = 0 ms for 1 of 1 calls (not stated: set calls[].overhead or defaults.call_overhead)"
        in result.assumptions
    )


def test_capacity_is_reported_per_component() -> None:
    result = forecast(make_system(_front_back(6)))
    capacity = {c.name: c.capacity_rps for c in result.components}
    assert capacity["front"] == pytest.approx(157.94, abs=0.01)
    assert capacity["back"] == pytest.approx(160.0)


def _closed_two_stations(
    tokens: int, think: float, first: tuple[int, float], second: tuple[int, float]
) -> float:
    """Exact throughput of ``tokens`` cycling through a think time, then two FIFO stations in turn.

    The continuous-time Markov chain over (at the first station, at the second), solved directly: each
    token thinks (rate 1/think each), joins the first (``c₁`` servers, mean ``s₁``), then the second.
    """
    (c1, s1), (c2, s2) = first, second
    states = [(a, b) for a in range(tokens + 1) for b in range(tokens + 1 - a)]
    index = {st: i for i, st in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for (a, b), i in index.items():
        moves = [((a + 1, b), (tokens - a - b) / think), ((a - 1, b + 1), min(a, c1) / s1),
                 ((a, b - 1), min(b, c2) / s2)]  # fmt: skip
        for to, rate in moves:
            if rate > 0:
                q[i, index[to]] += rate
                q[i, i] -= rate
    a_mat = np.vstack([q.T, np.ones(len(states))])
    rhs = np.zeros(len(states) + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(a_mat, rhs, rcond=None)[0]
    return float(sum(p * min(b, c2) / s2 for p, (_, b) in zip(pi, states, strict=True)))


@pytest.mark.parametrize("workers", [4, 8, 16])
def test_two_callees_saturation_near_the_exact_closed_network(workers: int) -> None:
    # One held pool, two sequential callees that both queue: not exact in the layered model (only the
    # binding callee piles up tokens; the other's wait enters its think time), checked against the chain.
    spec = {
        "entrypoints": [{"name": "web", "component": "front", "rps": 10}],
        "components": {
            "front": {"workers": workers, "service_time": 0.005, "calls": [{"to": "b"}, {"to": "c"}]},
            "b": {"workers": 4, "service_time": 0.025},
            "c": {"workers": 2, "service_time": 0.010},
        },
    }
    exact = _closed_two_stations(workers, 0.005, (4, 0.025), (2, 0.010))
    entry = forecast(make_system(spec)).entrypoints[0]
    assert entry.saturation_rps is not None
    assert entry.saturation_rps == pytest.approx(exact, rel=0.03)
    assert entry.bottleneck == ("front" if workers == 4 else "b")
