"""The noise band: the sample-quantile variance it rests on, checked against sampled data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from redline.verify.band import RESOLUTION_PCT, Z95, StationLoad, autocorrelation, band_pct, quantile_density


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
