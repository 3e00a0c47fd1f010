"""Monotonicity: more load never lowers latency; more replicas never raise it (hypothesis).

How many examples, and whether they are random, is the profile's choice (tests/conftest.py): "ci" by
default, derandomized; ``HYPOTHESIS_PROFILE=long`` for a randomized search by hand.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from redline.forecast.graph import Network, compile_system
from redline.forecast.latency import entry_distribution
from redline.forecast.network import evaluate

from .helpers import make_system

# Means are compared up to a relative 1e-9 and an absolute nanosecond: a held pool at a fraction of a rps
# has waits of 1e-17 to 1e-11 s, whose order can flip with the closed forms' rounding; nothing measurable.
NS = 1e-9


@st.composite
def networks(draw: st.DrawFn) -> Network:
    n = draw(st.integers(2, 6))
    comps: dict[str, dict[str, object]] = {}
    for i in range(n):
        calls = []
        for j in range(i + 1, n):  # edges only forward: a DAG by construction
            if draw(st.booleans()):
                calls.append(
                    {"to": f"c{j}", "count": draw(st.sampled_from([1, 2, 0.5, 1.5])),
                     "parallel": draw(st.booleans())}
                )  # fmt: skip
        comps[f"c{i}"] = {
            "replicas": draw(st.integers(1, 3)),
            "workers": draw(st.integers(1, 8)),
            "service_time": draw(st.floats(0.0005, 0.02)),
            "scv": draw(st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0, 4.0])),
            "async": draw(st.booleans()),
            "cache_hit_ratio": draw(st.sampled_from([0.0, 0.0, 0.5])),
            "calls": calls,
        }
    spec = {
        "entrypoints": [{"name": "e", "component": "c0", "rps": draw(st.floats(1, 50))}],
        "components": comps,
    }
    return compile_system(make_system(spec))


def _p(net: Network, factor: float, replicas: np.ndarray | None = None) -> tuple[list[float], float]:
    """Percentiles, and the grid step they were read at (their resolution)."""
    state = evaluate(net, factor, replicas=replicas)
    dist = entry_distribution(net, state, 0)
    return ([math.inf] * 3, 0.0) if dist is None else (dist.quantiles([0.5, 0.95, 0.99]), dist.dt)


@given(networks(), st.floats(0.1, 3.0), st.floats(1.01, 2.0))
def test_more_load_never_lowers_latency(net: Network, f: float, step: float) -> None:
    lo, hi = evaluate(net, f), evaluate(net, f * step)
    assert np.all(hi.r_mean >= lo.r_mean * (1 - 1e-9) - NS)
    assert np.all((hi.rho >= lo.rho - 1e-12) | ~np.isfinite(hi.rho))
    (lo_q, lo_dt), (hi_q, hi_dt) = _p(net, f), _p(net, f * step)
    for a, b in zip(lo_q, hi_q, strict=True):
        assert b >= a - 2 * max(lo_dt, hi_dt)  # monotone up to the grid's resolution


@given(networks(), st.floats(0.1, 3.0), st.data())
def test_more_replicas_never_raise_latency(net: Network, f: float, data: st.DataObject) -> None:
    more = net.replicas.copy()
    i = data.draw(st.integers(0, net.n - 1))
    more[i] += data.draw(st.integers(1, 3))
    base, grown = evaluate(net, f), evaluate(net, f, replicas=more)
    assert np.all(grown.r_mean <= base.r_mean * (1 + 1e-9) + NS)
    (base_q, base_dt), (more_q, more_dt) = _p(net, f), _p(net, f, more)
    for a, b in zip(base_q, more_q, strict=True):
        assert b <= a + 2 * max(base_dt, more_dt)


def test_a_station_without_traffic_still_sees_its_saturated_callee() -> None:
    # Found by test_more_load_never_lowers_latency: c1 gets no traffic but calls c2, which c0's traffic
    # saturates. c1's response time (what a request to it would see) must not drop to its bare service
    # time when c2 saturates: it becomes unbounded, like c2's.
    spec = {
        "entrypoints": [{"name": "e", "component": "c0", "rps": 30}],
        "components": {
            "c0": {"replicas": 1, "workers": 1, "service_time": 0.001, "calls": [{"to": "c2"}]},
            "c1": {"replicas": 1, "workers": 1, "service_time": 0.015625, "calls": [{"to": "c2"}]},
            "c2": {"replicas": 1, "workers": 1, "service_time": 0.015625},
        },
    }
    net = compile_system(make_system(spec))
    calm, saturated = evaluate(net, 1.0), evaluate(net, 3.0)
    c1 = net.names.index("c1")
    assert calm.lam[c1] == 0 and np.isfinite(calm.r_mean[c1]) and calm.r_mean[c1] > 0.015625
    assert math.isinf(saturated.r_mean[net.names.index("c2")]) and math.isinf(saturated.r_mean[c1])


def test_a_quantile_on_a_flat_stretch_of_the_cdf_does_not_jump_back_as_load_rises() -> None:
    # Found by the long profile: a cache hit ratio of 0.5 and deterministic services make the CDF flat at
    # exactly 0.5 between the hit path and the miss path. p50 was read anywhere on that stretch, as grid
    # noise fell: 41.3 ms at load 3.0, 39.1 ms at 4.5. It is the stretch's left end, and never falls.
    spec = {
        "entrypoints": [{"name": "e", "component": "c0", "rps": 11}],
        "components": {
            "c0": {"replicas": 2, "workers": 5, "service_time": 0.017578125, "scv": 0.0,
                   "cache_hit_ratio": 0.5, "calls": [{"to": "c3", "count": 1.5}]},
            "c3": {"workers": 3, "service_time": 0.01171875, "scv": 0.0, "calls": [{"to": "c4", "count": 2}]},
            "c4": {"workers": 2, "service_time": 0.0078125, "scv": 0.0},
        },
    }  # fmt: skip
    net = compile_system(make_system(spec))
    (lo, _), (hi, _) = _p(net, 3.0), _p(net, 4.5)
    assert all(b >= a for a, b in zip(lo, hi, strict=True)), (lo, hi)
