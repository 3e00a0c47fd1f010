"""Visit counts, held workers, pools, parallel fan-out, exact single-station percentiles, bad input."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from redline.forecast import ForecastInputError, forecast
from redline.forecast.graph import compile_system
from redline.forecast.latency import entry_distribution
from redline.forecast.network import evaluate
from redline.forecast.queueing import erlang_c

from .helpers import SHOP, make_system


def _one(**body: Any) -> dict[str, Any]:
    return {"entrypoints": [{"name": "e", "component": "a", "rps": body.pop("rps", 100)}], "components": body}


def test_visits_count_fanout_retries_and_cache() -> None:
    spec = _one(
        a={"service_time": 0.001, "cache_hit_ratio": 0.25,
           "calls": [{"to": "b", "count": 2, "retries": 2, "failure_rate": 0.1}]},
        b={"service_time": 0.001, "calls": [{"to": "c", "count": 3}]},
        c={"kind": "datastore", "service_time": 0.001},
    )  # fmt: skip
    net = compile_system(make_system(spec))
    attempts = 1 + 0.1 + 0.01  # Σ_{k=0..2} p^k
    v = dict(zip(net.names, net.visits[0], strict=True))
    assert v["b"] == pytest.approx(0.75 * 2 * attempts)
    assert v["c"] == pytest.approx(0.75 * 2 * attempts * 3)
    assert evaluate(net, 1.0).lam[net.names.index("c")] == pytest.approx(100 * v["c"])


def test_held_workers_include_downstream_time_async_does_not() -> None:
    base = {"b": {"kind": "datastore", "workers": 1, "service_time": 0.004}}
    held = compile_system(make_system(_one(a={"service_time": 0.002, "calls": [{"to": "b"}]}, **base)))
    free = compile_system(
        make_system(_one(a={"service_time": 0.002, "async": True, "calls": [{"to": "b"}]}, **base))
    )
    sh, sf = evaluate(held, 1.0), evaluate(free, 1.0)
    # b is M/M/1 at ρ = 0.4: R_b = S/(1-ρ)
    r_b = 0.004 / (1 - 0.4)
    assert sh.r_mean[1] == pytest.approx(r_b)
    # a's 8 tokens can fill b's queue: the layered model counts b's wait in a's own, and with 8 tokens
    # before a 1-worker b, all of it is b's M/M/1 wait. A token is held for a's response less the share of
    # that wait spent waiting for a token (all 8 busy: rare here).
    assert sh.r_mean[0] == pytest.approx(0.002 + r_b)
    assert 0 < sh.wq[0] < 1e-5
    assert sh.hold[0] == pytest.approx(0.002 + r_b - sh.wq[0])
    assert sf.hold[0] == pytest.approx(0.002)
    assert sh.rho[0] > sf.rho[0]
    # Same end-to-end mean either way: holding changes queueing at a, not the path.
    assert sf.r_mean[0] == pytest.approx(sf.wq[0] + 0.002 + r_b)


def test_slow_database_fills_callers_worker_pool_first() -> None:
    spec = _one(
        rps=100,
        a={"workers": 4, "service_time": 0.005, "calls": [{"to": "db"}]},
        db={"kind": "datastore", "workers": 16, "service_time": 0.100},
    )
    result = forecast(make_system(spec))
    entry = result.entrypoints[0]
    # db alone could take 160 rps; a's 4 workers are held ≥ 105 ms each: a saturates below 38 rps.
    assert entry.bottleneck == "a"
    assert entry.saturation_rps is not None and entry.saturation_rps < 4 / 0.105
    assert "waiting on calls" in (entry.bottleneck_reason or "")
    assert result.breached


def test_pool_is_a_station() -> None:
    spec = _one(
        rps=200,
        a={"workers": 64, "service_time": 0.001, "calls": [{"to": "db", "pool": "pg"}],
           "pools": [{"name": "pg", "size": 2, "to": ["db"]}]},
        db={"kind": "datastore", "workers": 32, "service_time": 0.005},
    )  # fmt: skip
    net = compile_system(make_system(spec))
    state = evaluate(net, 1.0)
    assert state.pool_rho[0] == pytest.approx(200 * 0.005 / 2)
    assert state.pool_p_wait[0] == pytest.approx(float(erlang_c(2, 1.0)))
    result = forecast(make_system(spec), rps=400)
    # a's 64 workers wait on the 2-connection pool: the pool's 2 × 5 ms bind (400 rps), through a's held
    # workers, which all fill up waiting for a connection.
    entry = result.entrypoints[0]
    assert (entry.bottleneck, entry.bottleneck_pool, entry.bottleneck_through) == ("a", "pg", ["a"])
    assert (entry.bottleneck_reason or "").startswith("a's pool pg (2 connections × 5 ms, 100% busy) binds")
    assert 399 < (entry.saturation_rps or 0) < 400
    assert result.pools[0].size_needed == 3  # 400 × 5 ms / 0.7 = 2.86


def test_parallel_fanout_takes_the_max() -> None:
    calls = [{"to": "b", "parallel": True}, {"to": "c", "parallel": True}]
    leaf = {"kind": "datastore", "workers": 64, "service_time": 0.010, "scv": 0.0}
    spec = _one(rps=1, a={"workers": 64, "service_time": 0.001, "scv": 0.0, "calls": calls}, b=leaf, c=leaf)
    net = compile_system(make_system(spec))
    state = evaluate(net, 1.0)
    dist = entry_distribution(net, state, 0)
    assert dist is not None
    assert state.r_mean[0] == pytest.approx(0.011, rel=1e-3)
    assert dist.quantile(0.5) == pytest.approx(0.011, rel=0.02)
    seq = _one(rps=1, a={"workers": 64, "service_time": 0.001, "scv": 0.0,
                         "calls": [{"to": "b"}, {"to": "c"}]}, b=leaf, c=leaf)  # fmt: skip
    assert evaluate(compile_system(make_system(seq)), 1.0).r_mean[0] == pytest.approx(0.021)


def test_single_station_percentiles_are_exact_mmc() -> None:
    # M/M/4, S = 10 ms, λ = 300/s: P(R > t) = e^{-μt}·(1 + C·μ·t) because cμ − λ = μ here.
    net = compile_system(make_system(_one(rps=300, a={"workers": 4, "service_time": 0.01})))
    state = evaluate(net, 1.0)
    dist = entry_distribution(net, state, 0)
    assert dist is not None
    c = float(state.p_wait[0])
    for q in (0.5, 0.95, 0.99, 0.999):
        t = dist.quantile(q)
        assert 1 - math.exp(-100 * t) * (1 + c * 100 * t) == pytest.approx(q, abs=2e-4)


def test_fractional_count_is_floor_plus_bernoulli() -> None:
    leaf = {"kind": "datastore", "workers": 64, "service_time": 0.010, "scv": 0.0}
    spec = _one(rps=0.001, a={"workers": 64, "service_time": 0.001, "scv": 0.0,
                              "calls": [{"to": "b", "count": 1.5}]}, b=leaf)  # fmt: skip
    net = compile_system(make_system(spec))
    dist = entry_distribution(net, evaluate(net, 1.0), 0)
    assert dist is not None
    assert dist.quantile(0.25) == pytest.approx(0.011, rel=0.02)  # one call half the time
    assert dist.quantile(0.75) == pytest.approx(0.021, rel=0.02)  # two calls the other half


def test_startup_only_edges_used_only_without_runtime_calls() -> None:
    system = make_system(
        _one(a={"service_time": 0.001, "calls": [{"to": "b"}, {"to": "c", "startup_only": True}]},
             b={"service_time": 0.001, "calls": [{"to": "c", "startup_only": True}]},
             c={"kind": "datastore", "service_time": 0.001})
    )  # fmt: skip
    net = compile_system(system)
    pairs = {(net.names[s], net.names[d]) for s, d in zip(net.call_src, net.call_dst, strict=True)}
    assert pairs == {("a", "b"), ("b", "c")}
    assert any("depends_on" in a.reason for a in net.assumptions)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"calls": [{"to": "nope"}]}, "test.yaml:2: a calls unknown component 'nope'"),
        ({"replicas": 0}, "test.yaml:1: a: replicas must lie in [1, 1,000,000] (got 0)"),
        ({"workers": -1}, "test.yaml:1: a: workers must lie in [1, 1,000,000] (got -1)"),
        (
            {"service_time": -0.1},
            "test.yaml:1: a: service_time must be a finite number in (0, 86,400] (got -0.1)",
        ),
        (
            {"calls": [{"to": "b", "count": 0}]},
            "test.yaml:2: a -> b: count must be positive, at most 10,000 (got 0.0)",
        ),
        ({"cache_hit_ratio": 1.5}, "test.yaml:1: a: cache_hit_ratio must lie in [0, 1] (got 1.5)"),
        (
            {"calls": [{"to": "b", "retries": 1, "failure_rate": 1.0}]},
            "test.yaml:2: a -> b: failure_rate must lie in [0, 1) (got 1.0)",
        ),
    ],
)
def test_bad_input_is_a_clear_error(patch: dict[str, Any], message: str) -> None:
    spec = _one(a={"service_time": 0.001, **patch}, b={"service_time": 0.001})
    with pytest.raises(ForecastInputError) as err:
        forecast(make_system(spec))
    assert err.value.problems == [message]


def test_cycle_is_reported_with_sources() -> None:
    spec = _one(
        a={"service_time": 0.001, "calls": [{"to": "b"}]},
        b={"service_time": 0.001, "calls": [{"to": "c"}]},
        c={"service_time": 0.001, "calls": [{"to": "a"}]},
    )
    with pytest.raises(ForecastInputError) as err:
        forecast(make_system(spec))
    (problem,) = err.value.problems
    assert "cycle in the call graph" in problem and "test.yaml:" in problem
    assert "a -> b -> c -> a" in problem or "b -> c -> a -> b" in problem or "c -> a -> b -> c" in problem


def test_unknown_entrypoint_and_missing_rps() -> None:
    spec = {"entrypoints": [{"name": "e", "component": "ghost", "rps": 1}], "components": {"a": {}}}
    with pytest.raises(ForecastInputError, match="unknown component 'ghost'"):
        forecast(make_system(spec))
    spec = {"entrypoints": [{"name": "e", "component": "a"}], "components": {"a": {}}}
    with pytest.raises(ForecastInputError, match="--rps"):
        forecast(make_system(spec))
    assert forecast(make_system(spec), rps=50).entrypoints[0].rps == 50


def test_missing_service_times_are_defaulted_and_listed() -> None:
    spec = _one(a={"calls": [{"to": "b"}]}, b={"kind": "datastore"})
    result = forecast(make_system({**spec, "defaults": {"service_time": "20ms", "workers": 4}}))
    text = "\n".join(result.assumptions)
    assert "defaulted for 2 of 2 components" in text
    assert "a: service_time = 20 ms (defaults.service_time)" in text
    assert "b: workers = 4 (defaults.workers)" in text


def test_saturated_reports_null_latency_never_negative() -> None:
    spec = {**SHOP, "entrypoints": [{"name": "web", "component": "frontend", "rps": 5000}]}
    result = forecast(make_system(spec))
    entry = result.entrypoints[0]
    assert entry.saturated and entry.p95_ms is None and entry.p99_ms is None
    data = result.model_dump(mode="json")
    for comp in data["components"]:
        for key in ("utilization", "wait_ms", "response_ms", "hold_ms"):
            assert comp[key] is None or (np.isfinite(comp[key]) and comp[key] >= 0)
