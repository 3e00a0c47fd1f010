"""The layered forecast against a SimPy simulation of held workers (issue 13's testbed, simulated).

A front of 5 ms whose worker is held while it calls a back of 4 workers × 25 ms (exponential services,
FIFO pools, :mod:`.lqn_sim`), fronts of 2 to 64 workers. Saturation is measured in the simulation (the
closed system's throughput) and must be forecast within 3%; p95 at 30/50/70/85% of that saturation
within 10%.

Bounded to ~20 s: 30,000 completions per saturation run, 40,000 requests per p95 run at 30–70% load and
250,000 at 85% (where a run's p95 scatters most), the 85% runs for four of the seven fronts. The sweep
over every front, three testbeds and longer runs is ``bench/lqn_bench.py`` (bench/RESULTS.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from redline.forecast import forecast
from redline.model import System

from .helpers import make_system
from .lqn_sim import latencies, saturation

FRONT_S, BACK_WORKERS, BACK_S = 0.005, 4, 0.025
BACKS = [(BACK_WORKERS, BACK_S)]
FRONTS = [2, 4, 6, 8, 16, 32, 64]
SIMULATED: dict[int, float] = {}  # saturation per front, simulated once for both tests


def _system(front_workers: int, rps: float) -> System:
    return make_system(
        {
            "entrypoints": [{"name": "web", "component": "front", "rps": rps}],
            "components": {
                "front": {"workers": front_workers, "service_time": FRONT_S, "calls": [{"to": "back"}]},
                "back": {"workers": BACK_WORKERS, "service_time": BACK_S},
            },
        }
    )


def _simulated_saturation(front_workers: int) -> float:
    if front_workers not in SIMULATED:
        SIMULATED[front_workers] = saturation(
            front_workers, FRONT_S, BACKS, completions=30_000, seed=front_workers
        )
    return SIMULATED[front_workers]


@pytest.mark.parametrize("front_workers", FRONTS)
def test_saturation_within_3_percent(front_workers: int) -> None:
    simulated = _simulated_saturation(front_workers)
    forecast_rps = forecast(_system(front_workers, 0.5 * simulated)).entrypoints[0].saturation_rps
    assert forecast_rps is not None
    assert forecast_rps == pytest.approx(simulated, rel=0.03)


@pytest.mark.parametrize(
    ("front_workers", "load"),
    [(f, x) for f in FRONTS for x in (0.3, 0.5, 0.7)] + [(f, 0.85) for f in (2, 6, 16, 64)],
)
def test_p95_within_10_percent(front_workers: int, load: float) -> None:
    rps = load * _simulated_saturation(front_workers)
    requests = 250_000 if load > 0.8 else 40_000
    simulated = latencies(rps, front_workers, FRONT_S, BACKS, requests, seed=7)
    p95_ms = forecast(_system(front_workers, rps)).entrypoints[0].p95_ms
    assert p95_ms is not None
    assert p95_ms / 1000 == pytest.approx(float(np.quantile(simulated, 0.95)), rel=0.10)
