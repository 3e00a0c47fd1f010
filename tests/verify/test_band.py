"""The noise band: the sample-quantile variance it rests on, checked against sampled data."""

from __future__ import annotations

import heapq
import math
import random
import statistics

import numpy as np
import pytest

from redline.demo.systems import SYSTEMS, Config
from redline.forecast import forecast
from redline.sources.scan import scan
from redline.verify.band import (
    RESOLUTION_PCT,
    Z95,
    StationLoad,
    autocorrelation,
    band_pct,
    between_runs_pct,
    quantile_density,
)
from redline.verify.engine import predict_point


def _exp_quantiles(mean: float) -> tuple[float, float, float]:
    return tuple(-mean * math.log(1 - p) for p in (0.5, 0.95, 0.99))  # type: ignore[return-value]


@pytest.mark.parametrize("p", [0.5, 0.95, 0.99])
def test_the_density_read_off_three_percentiles_is_exact_for_an_exponential_law(p: float) -> None:
    mean = 8.0
    x = -mean * math.log(1 - p)
    assert quantile_density(p, *_exp_quantiles(mean)) == pytest.approx(math.exp(-x / mean) / mean, rel=1e-12)


@pytest.mark.parametrize("p", [0.5, 0.95, 0.99])
def test_for_independent_samples_the_band_matches_the_scatter_of_sampled_percentiles(p: float) -> None:
    """400 runs of 2,000 exponential samples: the sd of the measured percentile is what the band assumes."""
    rng = np.random.default_rng(20240601)
    mean, n, runs = 8.0, 2000, 400
    measured = np.quantile(rng.exponential(mean, size=(runs, n)), p, axis=1, method="inverted_cdf")
    predicted = _exp_quantiles(mean)
    half = band_pct(p, predicted, n, inflation=1.0)
    assert half is not None
    model_sd = (half - RESOLUTION_PCT) / Z95 / 100 * predicted[(0.5, 0.95, 0.99).index(p)]
    assert float(np.std(measured)) == pytest.approx(model_sd, rel=0.12)


def test_correlated_waits_shrink_the_sample_in_proportion_to_their_share_of_the_latency() -> None:
    # Daley's M/M/1 factor at rho 0.5: (2 + 2.5 - 1 + 0.125) / (1.5 * 0.25) = 9.6667
    assert autocorrelation([StationLoad(0.5, 1.0, 10.0)], mean_ms=10.0) == pytest.approx(9.6667, rel=1e-4)
    # the same station when waiting is a quarter of the mean latency
    assert autocorrelation([StationLoad(0.5, 1.0, 2.5)], mean_ms=10.0) == pytest.approx(
        1 + 8.6667 / 4, rel=1e-4
    )
    assert autocorrelation([StationLoad(0.9, 2.0, 0.0)], mean_ms=10.0) == 1.0  # no wait, no correlation
    wider = band_pct(0.95, _exp_quantiles(8.0), 4000, inflation=9.0)
    narrow = band_pct(0.95, _exp_quantiles(8.0), 4000, inflation=1.0)
    assert wider is not None and narrow is not None
    assert wider - RESOLUTION_PCT == pytest.approx(3 * (narrow - RESOLUTION_PCT), rel=1e-9)


def test_no_band_without_samples_or_with_a_degenerate_prediction() -> None:
    assert band_pct(0.95, _exp_quantiles(8.0), 0, 1.0) is None
    assert band_pct(0.99, (5.0, 7.0, 7.0), 100, 1.0) is None


def _mm2_latencies(lam: float, service: float, n: int, rng: random.Random) -> list[float]:
    """Response times of n customers of a FIFO M/M/2 queue (after 500 to warm up), by the recursion on
    the two servers' next free times."""
    free = [0.0, 0.0]
    t, out = 0.0, []
    for _ in range(n + 500):
        t += rng.expovariate(lam)
        start = max(t, heapq.heappop(free))
        done = start + rng.expovariate(1 / service)
        heapq.heappush(free, done)
        out.append(done - t)
    return out[500:]


@pytest.mark.parametrize("fraction", [0.5, 0.7])
def test_against_a_simulated_queue_the_band_is_the_scatter_of_20_second_runs_within_a_factor(
    fraction: float,
) -> None:
    """The single-tier reference system as a simulated M/M/2 (2 × 8 ms): 80 runs of 20 s each.

    Measured on this code: the band's sd is 0.9-1.0x the simulated scatter of p50 and 1.2-1.4x too small
    for p95/p99 (queueing tails correlate more than the mean wait the factor is taken from); pinned here.
    """
    system = scan(SYSTEMS[Config.SINGLE].folder)
    lam = 250.0 * fraction
    n = int(lam * 20)
    predicted, inflation, _ = predict_point(system, "web", lam)
    pred = (predicted.p50_ms, predicted.p95_ms, predicted.p99_ms)
    rng = random.Random(7)
    runs = [sorted(_mm2_latencies(lam, 0.008, n, rng)) for _ in range(80)]
    for p, x in zip((0.5, 0.95, 0.99), pred, strict=True):
        measured = [r[math.ceil(p * n) - 1] * 1000 for r in runs]
        assert statistics.fmean(measured) == pytest.approx(x, rel=0.05)  # the forecast is exact for M/M/2
        half = band_pct(p, pred, n, inflation)
        assert half is not None
        model_sd = (half - RESOLUTION_PCT) / Z95 / 100 * x
        assert 0.7 <= statistics.stdev(measured) / model_sd <= 1.6


def _fan_out_latencies(lam: float, n: int, rng: random.Random) -> list[float]:
    """The back-bound reference system simulated: a FIFO front of 4 × 1 ms, then two calls at once to a
    FIFO back of 2 × 4 ms (exponential services; the request ends when both return), after 500 to warm up.
    Back arrivals are taken in the order the front finishes."""
    front, back = [0.0] * 4, [0.0, 0.0]
    t, arrived, sent = 0.0, [], []
    for _ in range(n + 500):
        t += rng.expovariate(lam)
        done = max(t, heapq.heappop(front)) + rng.expovariate(1000.0)
        heapq.heappush(front, done)
        arrived.append(t)
        sent.append(done)
    out = [0.0] * len(sent)
    for i in sorted(range(len(sent)), key=sent.__getitem__):
        end = 0.0
        for _ in range(2):
            done = max(sent[i], heapq.heappop(back)) + rng.expovariate(250.0)
            heapq.heappush(back, done)
            end = max(end, done)
        out[i] = end - arrived[i]
    return out[500:]


@pytest.mark.parametrize("fraction", [0.5, 0.7])
def test_against_a_simulated_fan_out_the_forecast_and_its_band_hold(fraction: float) -> None:
    """The back-bound reference system simulated (batches of two at a 2-worker back): 60 runs of 20 s.

    The forecast's percentiles are the simulation's mean within 3% (the batch model; measured within 2%).
    Measured on this code with seeds 7, 11, 13: the simulated scatter is 0.52-1.3x the band's sd (p50
    0.52-0.81, p95 0.77-1.01, p99 0.74-1.3); pinned with the M/M/2 test's margin.
    """
    system = scan(SYSTEMS[Config.BACK_BOUND].folder)
    saturation = forecast(system).entrypoints[0].saturation_rps
    assert saturation is not None
    lam = saturation * fraction
    n = int(lam * 20)
    predicted, inflation, _ = predict_point(system, "web", lam)
    pred = (predicted.p50_ms, predicted.p95_ms, predicted.p99_ms)
    rng = random.Random(11)
    runs = [sorted(_fan_out_latencies(lam, n, rng)) for _ in range(60)]
    for p, x in zip((0.5, 0.95, 0.99), pred, strict=True):
        measured = [r[math.ceil(p * n) - 1] * 1000 for r in runs]
        assert statistics.fmean(measured) == pytest.approx(x, rel=0.03)
        half = band_pct(p, pred, n, inflation)
        assert half is not None
        model_sd = (half - RESOLUTION_PCT) / Z95 / 100 * x
        assert 0.4 <= statistics.stdev(measured) / model_sd <= 1.6


def test_three_or_more_repeats_measure_their_own_scatter() -> None:
    # t(0.975, 2) = 4.3027; sd of (10, 11, 12) is 1; 4.3027 / √3 / 11 × 100 = 22.58%, plus 0.5%
    assert between_runs_pct([10.0, 11.0, 12.0], 11.0) == pytest.approx(23.08, abs=0.01)
    assert between_runs_pct([10.0, 12.0], 11.0) is None
