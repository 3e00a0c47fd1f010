"""The forecast's percentiles against a discrete-event simulation (ciw) of the same network.

What is simulated, and why it is the same model: five stations, Poisson arrivals, exponential service,
FCFS, ``replicas × workers`` servers each. Fan-out (a caller making several calls, one of them a
fractional count) is a *route*: ciw's process-based routing sends each request through every call of its
call tree in order, so the request's end-to-end sojourn is the sum of its station sojourns — exactly what
the forecast composes. All components are ``async`` because a simulated customer is at one station at a
time: it cannot hold a caller's worker while it visits a callee. (Held workers are tested analytically.)
"""

from __future__ import annotations

import random

import numpy as np
import pytest

ciw = pytest.importorskip("ciw")

from redline.forecast.graph import compile_system  # noqa: E402
from redline.forecast.latency import entry_distribution  # noqa: E402
from redline.forecast.network import evaluate  # noqa: E402

from .helpers import make_system  # noqa: E402

GW, A, B, DB, CACHE = 1, 2, 3, 4, 5
SERVICE = {GW: 0.005, A: 0.010, B: 0.004, DB: 0.003, CACHE: 0.001}
SERVERS = {GW: 2, A: 3, B: 2, DB: 4, CACHE: 1}


def _system(rps: float):  # type: ignore[no-untyped-def]
    comp = {"async": True, "replicas": 1}
    return make_system(
        {
            "entrypoints": [{"name": "api", "component": "gw", "rps": rps}],
            "components": {
                "gw": {**comp, "workers": 2, "service_time": SERVICE[GW],
                       "calls": [{"to": "a", "count": 1}, {"to": "b", "count": 1}]},
                "a": {**comp, "workers": 3, "service_time": SERVICE[A],
                      "calls": [{"to": "db", "count": 2}, {"to": "cache", "count": 1.5}]},
                "b": {**comp, "workers": 2, "service_time": SERVICE[B],
                      "calls": [{"to": "db", "count": 1}]},
                "db": {**comp, "kind": "datastore", "workers": 4, "service_time": SERVICE[DB]},
                "cache": {**comp, "kind": "cache", "workers": 1, "service_time": SERVICE[CACHE]},
            },
        }
    )  # fmt: skip


def _route(rng: random.Random) -> list[int]:
    # gw's call tree after its own visit: a (db, db, cache ×1.5), then b (db).
    caches = [CACHE] * (1 + (rng.random() < 0.5))
    return [A, DB, DB, *caches, B, DB]


def _simulate(rps: float, horizon: float, seed: int) -> np.ndarray:
    rng = random.Random(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rps), None, None, None, None],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / SERVICE[k]) for k in range(1, 6)],
        number_of_servers=[SERVERS[k] for k in range(1, 6)],
        routing=ciw.routing.ProcessBased(lambda ind, sim: _route(rng)),
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon)
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    visits: dict[int, int] = {}
    for rec in sim.get_all_records():
        first[rec.id_number] = min(first.get(rec.id_number, np.inf), rec.arrival_date)
        last[rec.id_number] = max(last.get(rec.id_number, 0.0), rec.exit_date)
        visits[rec.id_number] = visits.get(rec.id_number, 0) + 1
    warmup = horizon * 0.1
    done = [last[i] - first[i] for i in first if first[i] > warmup and visits[i] >= 7 and last[i] < horizon]
    return np.asarray(done)


@pytest.mark.parametrize("rps", [150.0, 240.0])
def test_percentiles_match_simulation(rps: float) -> None:
    net = compile_system(_system(rps))
    state = evaluate(net, 1.0)
    util = state.rho
    assert util.max() <= 0.8 + 1e-9 and util.max() >= 0.5  # the regime the claim is made for
    dist = entry_distribution(net, state, 0)
    assert dist is not None
    predicted = np.array(dist.quantiles([0.5, 0.95, 0.99]))
    sojourns = _simulate(rps, horizon=40_000 / rps, seed=7)
    assert len(sojourns) > 25_000
    observed = np.quantile(sojourns, [0.5, 0.95, 0.99])
    # Means agree exactly in theory (product form); percentiles within 5%.
    assert float(sojourns.mean()) == pytest.approx(float(state.r_mean[net.entry_root[0]]), rel=0.03)
    np.testing.assert_allclose(predicted, observed, rtol=0.05)
