"""Hypothesis settings of the fuzz folder: a derandomized slice sized for CI (see bench/fuzz_long.py for
the long randomized run)."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

#: CI: the same cases every run, no example database, no shrinking (a failing case is printed as drawn;
#: shrinking a case that takes 0.1 s per command could run for minutes).
CI = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much),
    print_blob=False,
)
