"""A parallel fan-out's batch (redline.forecast.batch) against exact formulas and a SimPy simulation.

The occupancy is checked where closed forms exist: batches of one are M/M/c (Erlang C, the M/M/c mean
wait); one server is M^X/M/1 (``L = ρ/(1 − ρ)·(E[B²] + E[B])/(2E[B])``). The end-to-end percentiles are
checked against :func:`.lqn_sim.fan_out_latencies` (a front releasing its worker, then ``copies`` calls at
once to a FIFO back; nothing in it knows about batches), on the reference system's back-bound shape and
three others. Bounded to ~25 s: 60,000 requests per point, seeded.

Before batches were modelled, the forecast put the back-bound shape's p95 14% low at 50% load and 17%
low at 70% (calls taken as independent Poisson arrivals, their block as an independent max).
"""

from __future__ import annotations

import numpy as np
import pytest

from redline.forecast import forecast
from redline.forecast.batch import call_batch, occupancy
from redline.forecast.queueing import erlang_c, mmc_wait_time
from redline.model import System

from .helpers import make_system
from .lqn_sim import fan_out_latencies

FRONT_S = 0.001


def _system(rps: float, workers: int, back_s: float, copies: float) -> System:
    return make_system(
        {
            "entrypoints": [{"name": "web", "component": "front", "rps": rps}],
            "components": {
                "front": {
                    "workers": 1,
                    "async": True,
                    "service_time": FRONT_S,
                    "calls": [{"to": "back", "count": copies, "parallel": True}],
                },
                "back": {"workers": workers, "service_time": back_s},
            },
        }
    )


@pytest.mark.parametrize(("servers", "load"), [(1, 0.5), (2, 0.3), (4, 0.85), (16, 0.95)])
def test_batches_of_one_are_mmc(servers: int, load: float) -> None:
    hold = 0.01
    lam = load * servers / hold
    occ = occupancy(servers, [lam], hold)
    assert occ is not None
    p, w = occ.single_wait()
    assert p == pytest.approx(float(erlang_c(servers, lam * hold)), rel=1e-9)
    assert w == pytest.approx(mmc_wait_time(servers, lam, hold), rel=1e-9)


@pytest.mark.parametrize(("copies", "load"), [(2.0, 0.5), (3.0, 0.8), (2.5, 0.6)])
def test_one_server_is_mx_m_1(copies: float, load: float) -> None:
    hold = 0.004
    batch = call_batch(copies)
    rate = load / hold / copies  # batches per second
    larger = [rate * sum(q for b, q in batch.sizes if b > i) for i in range(batch.largest)]
    occ = occupancy(1, larger, hold)
    assert occ is not None
    mean_b = sum(b * q for b, q in batch.sizes)
    second_b = sum(b * b * q for b, q in batch.sizes)
    in_system = load / (1 - load) * (second_b + mean_b) / (2 * mean_b)
    # Little: the members' mean wait is L/λ − H; the members' average of member_wait must equal it.
    _, member = occ.member_wait(batch)
    assert member == pytest.approx(in_system / (rate * mean_b) - hold, rel=1e-9)


CASES = [  # back workers, back service (s), parallel copies, load (share of the back's capacity)
    (2, 0.004, 2.0, 0.5),  # the reference system's back-bound shape
    (2, 0.004, 2.0, 0.7),
    (1, 0.004, 3.0, 0.6),
    (4, 0.01, 2.0, 0.8),
    (3, 0.004, 2.5, 0.6),
]


@pytest.mark.parametrize(("workers", "back_s", "copies", "load"), CASES)
def test_percentiles_match_a_simulation(workers: int, back_s: float, copies: float, load: float) -> None:
    rps = load * workers / back_s / copies
    simulated = fan_out_latencies(rps, FRONT_S, (workers, back_s), copies, 60_000, seed=11)
    entry = forecast(_system(rps, workers, back_s, copies)).entrypoints[0]
    assert entry.p95_ms is not None and entry.p99_ms is not None and entry.p50_ms is not None
    q50, q95, q99 = (float(x) * 1000 for x in np.quantile(simulated, [0.5, 0.95, 0.99]))
    assert entry.p50_ms == pytest.approx(q50, rel=0.06)
    assert entry.p95_ms == pytest.approx(q95, rel=0.05)
    assert entry.p99_ms == pytest.approx(q99, rel=0.08)
