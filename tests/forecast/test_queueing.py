"""Single-station formulas against published values, and the operational laws on every station."""

from __future__ import annotations

import math

import numpy as np
import pytest

from redline.forecast.graph import compile_system
from redline.forecast.network import evaluate
from redline.forecast.queueing import erlang_b, erlang_c, mmc_response_time, mmc_wait_cdf, station_wait

from .helpers import SHOP, make_system


def test_pdq_readme_mmc_example() -> None:
    # PDQ (Gunther) README, "M/M/4": arrival rate 0.35/min, service time 10 min -> residence 24.7572 min.
    assert mmc_response_time(4, 0.35, 10.0) == pytest.approx(24.7572, abs=5e-5)


@pytest.mark.parametrize(
    ("servers", "erlangs"),
    [
        # Erlang B table, 1% grade of service (e.g. ITU-T E.500-series tables; any teletraffic handbook):
        (5, 1.361),
        (10, 4.461),
        (20, 12.031),
        (50, 37.901),
        (100, 84.064),
    ],
)
def test_erlang_b_table_one_percent(servers: int, erlangs: float) -> None:
    assert float(erlang_b(servers, erlangs)) == pytest.approx(0.01, abs=2e-5)


@pytest.mark.parametrize(
    ("servers", "erlangs", "expected"),
    [
        (1, 0.5, 0.5),  # M/M/1: P(wait) = ρ
        (2, 1.0, 1 / 3),  # Kleinrock vol. 1 §3.5: M/M/2 at ρ = 1/2
        (3, 2.0, 4 / 9),  # Gross & Harris ex. 2.6-style M/M/3 at ρ = 2/3
        (10, 8.0, 0.4092),  # Erlang C tables (call-centre staffing): 10 agents, 8 Erlangs -> 40.9%
    ],
)
def test_erlang_c_published(servers: int, erlangs: float, expected: float) -> None:
    assert float(erlang_c(servers, erlangs)) == pytest.approx(expected, abs=1e-4)


def test_erlang_c_large_and_saturated() -> None:
    # Stable for thousands of servers (no factorial overflow), and 1 at or beyond saturation.
    value = float(erlang_c(5000, 4900.0))
    assert 0.0 < value < 1.0
    assert float(erlang_c(4, 4.0)) == 1.0
    assert float(erlang_c(4, 9.0)) == 1.0
    assert float(erlang_c(4, 0.0)) == 0.0


def test_station_wait_saturated_is_infinite_not_negative() -> None:
    _, wq, rho = station_wait(4, 0.5, 10.0)
    assert float(rho) == pytest.approx(1.25)
    assert math.isinf(float(wq)) and float(wq) > 0


def test_allen_cunneen_scales_by_scv() -> None:
    _, w1, _ = station_wait(4, 0.3, 10.0, 1.0)
    _, w0, _ = station_wait(4, 0.3, 10.0, 0.0)  # deterministic service: M/D/c ≈ half the M/M/c wait
    _, w3, _ = station_wait(4, 0.3, 10.0, 3.0)
    assert float(w0) == pytest.approx(float(w1) / 2)
    assert float(w3) == pytest.approx(float(w1) * 2)


def test_wait_cdf_atom_and_tail() -> None:
    c, lam, s = 4, 0.35, 10.0
    p_wait = float(erlang_c(c, lam * s))
    assert mmc_wait_cdf(0.0, c, lam, s) == pytest.approx(1 - p_wait)
    # Mean of the waiting-time law equals the Erlang C mean wait.
    ts = np.linspace(0, 2000, 200001)
    tail = np.array([1 - mmc_wait_cdf(t, c, lam, s) for t in ts[::1000]])
    assert tail[0] == pytest.approx(p_wait)
    assert float(np.trapezoid([1 - mmc_wait_cdf(t, c, lam, s) for t in ts[::100]], ts[::100])) == (
        pytest.approx(mmc_response_time(c, lam, s) - s, rel=1e-3)
    )


def test_littles_law_and_utilization_law_on_every_station() -> None:
    system = make_system({**SHOP, "entrypoints": [{"name": "web", "component": "frontend", "rps": 150}]})
    net = compile_system(system)
    state = evaluate(net, 1.0)
    assert not state.infinite.any()
    # frontend's 24 tokens can fill catalog's 8 workers: its wait is the layered one. catalog's 8 tokens
    # never queue at db's 16 workers, and db calls nothing: their waits are M/G/c.
    assert [bool(state.bind_call[i] >= 0) for i in range(net.n)] == [True, False, False]
    for i in range(net.n):
        lam, hold, servers = state.lam[i], state.hold[i], state.servers[i]
        # Utilization law: U = X·S / c (S = time a server is held per visit).
        assert state.rho[i] == pytest.approx(lam * hold / servers)
        busy = lam * hold  # mean busy servers = λ·H (Little on the servers)
        assert busy == pytest.approx(state.rho[i] * servers)
        # A request's response is its wait for a server (token) plus the time it holds one.
        assert state.r_mean[i] == pytest.approx(state.wq[i] + hold, rel=1e-12)
        if state.bind_call[i] >= 0:
            continue
        # Little's law on the queue: Lq = λ·Wq. Compute the M/M/c queue length independently (Gross &
        # Harris: Lq = C·ρ/(1−ρ)), with the Allen–Cunneen factor applied.
        rho = state.rho[i]
        lq = state.p_wait[i] * rho / (1 - rho) * (1 + state.hold_scv[i]) / 2
        assert lam * state.wq[i] == pytest.approx(lq, rel=1e-9, abs=1e-12)
    # The response time of the root is the visit-weighted waits and service times of every station, each
    # wait as its visits see it (frontend's wait for catalog's workers counted at catalog).
    v = net.visits[0]
    total_busy_time = float(np.sum(v * (state.wait_seen + net.service)))
    assert state.r_mean[net.entry_root[0]] == pytest.approx(total_busy_time, rel=1e-9)
