"""Parallel blocks with non-exponential service times: one parallel call is the same call made in sequence.

The bug these pin: a block's CDF was turned back into masses with its "no call made" mass (``1 − frac``)
on the first grid point, twelve steps *before* t = 0; smoothing then wrapped part of it to the far end of
the periodic grid. One ``parallel: true`` call with count 0.5 at SCV 4 read p99 = 1,292 ms where the same
call in sequence reads 156 ms. The moment pass had its own version: ``rint(count)`` copies, so a call made
half the time held workers as if it were made every time.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from redline.forecast.graph import Network, compile_system
from redline.forecast.latency import Distribution, entry_distribution
from redline.forecast.network import evaluate
from redline.forecast.search import saturation_factors

from .helpers import make_system

QS = (0.5, 0.95, 0.99)


def _net(calls: list[dict[str, Any]], scv: float, rps: float = 10.0) -> Network:
    leaf = {"workers": 4, "service_time": 0.02, "scv": scv}
    spec = {
        "entrypoints": [{"name": "e", "component": "a", "rps": rps}],
        "components": {"a": {"workers": 4, "service_time": 0.005, "calls": calls}, "b": leaf, "c": leaf},
    }
    return compile_system(make_system(spec))


def _dist(net: Network, factor: float = 1.0) -> Distribution:
    dist = entry_distribution(net, evaluate(net, factor), 0)
    assert dist is not None
    return dist


@pytest.mark.parametrize(("scv", "count"), itertools.product([0.25, 1.0, 2.0, 4.0], [0.5, 1.0]))
def test_one_parallel_call_is_the_same_call_in_sequence(scv: float, count: float) -> None:
    par = _net([{"to": "b", "count": count, "parallel": True}], scv)
    seq = _net([{"to": "b", "count": count}], scv)
    s_par, s_seq = evaluate(par, 1.0), evaluate(seq, 1.0)
    assert s_par.r_mean[0] == pytest.approx(s_seq.r_mean[0], rel=1e-12)  # moments: exact
    assert s_par.r_var[0] == pytest.approx(s_seq.r_var[0], rel=1e-12)
    d_par, d_seq = _dist(par), _dist(seq)
    assert d_par.dt == d_seq.dt  # the same grid
    for q in QS:  # the block's CDF is smoothed once more: within one grid step
        assert d_par.quantile(q) == pytest.approx(d_seq.quantile(q), abs=d_par.dt)


@pytest.mark.parametrize("scv", [0.25, 1.0, 2.0, 4.0])
def test_a_parallel_call_made_three_times_is_the_max_of_three(scv: float) -> None:
    # Repeats of a parallel call run concurrently (docs/forecast.md): P(block ≤ t) = P(R_b ≤ t)³. a does
    # 5 ms of deterministic work with workers to spare; R_b is read off b as an entry point of its own at
    # the same load (30 rps), so the check does not go through the block code at all.
    par = compile_system(
        make_system(
            {
                "entrypoints": [{"name": "e", "component": "a", "rps": 10}],
                "components": {
                    "a": {"workers": 1000, "service_time": 0.005, "scv": 0.0,
                          "calls": [{"to": "b", "count": 3, "parallel": True}]},
                    "b": {"workers": 4, "service_time": 0.02, "scv": scv},
                },
            }
        )
    )  # fmt: skip
    alone = compile_system(
        make_system(
            {
                "entrypoints": [{"name": "e", "component": "b", "rps": 30}],
                "components": {"b": {"workers": 4, "service_time": 0.02, "scv": scv}},
            }
        )
    )
    block, b = _dist(par), _dist(alone)
    for q in QS:
        expected = 0.005 + b.quantile(q ** (1 / 3))
        assert block.quantile(q) == pytest.approx(expected, abs=2 * max(block.dt, b.dt))
    seq = _dist(_net([{"to": "b", "count": 3}], scv))
    assert all(block.quantile(q) < seq.quantile(q) for q in QS)  # the max of three is less than the sum


@pytest.mark.parametrize(("scv", "count"), itertools.product([0.25, 2.0, 4.0], [0.5, 1.5, 3.0]))
def test_percentiles_of_parallel_blocks_never_fall_as_load_rises(scv: float, count: float) -> None:
    calls = [{"to": "b", "count": count, "parallel": True}, {"to": "c", "count": 0.5, "parallel": True}]
    net = _net(calls, scv)
    f_sat = saturation_factors(net)[0]
    assert f_sat is not None
    prev = [0.0] * len(QS)
    for f in np.linspace(0.02, 0.98, 25) * f_sat:
        now = _dist(net, float(f)).quantiles(QS)
        assert all(b >= a for a, b in zip(prev, now, strict=True)), (f, prev, now)
        prev = now
