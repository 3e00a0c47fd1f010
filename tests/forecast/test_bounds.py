"""The engine's bounds and guards: any System handed to ``forecast()`` ends in a result or a clear error.

Every value here was reproduced against the engine before these guards: 2**63 replicas or workers raised
``OverflowError``; a growth factor of 0 was silently ignored and NaN went through; negative prices gave
negative monthly costs; ``zones: 1000000000`` never returned.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import pytest

from redline.forecast import ForecastInputError, forecast
from redline.forecast.availability import component_availability
from redline.forecast.limits import MAX_CALL_COUNT, MAX_REPLICAS, MAX_RETRIES, MAX_WORKERS, MAX_ZONES

from .helpers import SHOP, make_system

# SHOP's lines in make_system: frontend 1, its call 2, catalog 3, its call 4, db 5.


def _shop(**patch: dict[str, Any]) -> dict[str, Any]:
    """SHOP with some components' fields replaced (``db={"replicas": 3}``)."""
    spec = copy.deepcopy(SHOP)
    for name, fields in patch.items():
        spec["components"][name].update(fields)
    return spec


def _problems(spec: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(ForecastInputError) as err:
        forecast(make_system(spec), **kwargs)
    return err.value.problems


@pytest.mark.parametrize(
    ("patch", "problem"),
    [
        (
            {"db": {"replicas": 2**63}},
            "test.yaml:5: db: replicas must lie in [1, 1,000,000] (got 9,223,372,036,854,775,808)",
        ),
        (
            {"db": {"workers": 2**63}},
            "test.yaml:5: db: workers must lie in [1, 1,000,000] (got 9,223,372,036,854,775,808)",
        ),
        (
            {"db": {"placement": {"zones": 1_000_000_000}}},
            "test.yaml:5: db: zones must lie in [1, 1,000] (got 1,000,000,000)",
        ),
        ({"db": {"placement": {"zones": -2}}}, "test.yaml:5: db: zones must lie in [1, 1,000] (got -2)"),
        (
            {"db": {"pools": [{"name": "conns", "size": 2**40, "to": ["x"]}]}},
            "test.yaml:5: db: pool conns size must lie in [1, 1,000,000] (got 1,099,511,627,776)",
        ),
        (
            {"catalog": {"calls": [{"to": "db", "count": 1e18}]}},
            "test.yaml:4: catalog -> db: count must be positive, at most 10,000 (got 1e+18)",
        ),
        (
            {"catalog": {"calls": [{"to": "db", "retries": 2**63, "failure_rate": 0.5}]}},
            "test.yaml:4: catalog -> db: retries must lie in [0, 1,000] (got 9,223,372,036,854,775,808)",
        ),
        (
            {"catalog": {"calls": [{"to": "db", "count": 6000, "retries": 3, "failure_rate": 0.5}]}},
            "test.yaml:4: catalog -> db: count × expected attempts must be at most 10,000 "
            "(got 6000 × 1.875 at failure_rate 0.5)",
        ),
    ],
)
def test_counts_past_the_bounds_are_a_clear_error(patch: dict[str, Any], problem: str) -> None:
    assert _problems(_shop(**patch)) == [problem]


def test_fan_out_multiplied_past_the_visit_bound_is_refused() -> None:
    spec = {
        "entrypoints": [{"name": "e", "component": "a", "rps": 1}],
        "components": {
            "a": {"service_time": 0.001, "calls": [{"to": "b", "count": 10_000}]},
            "b": {"service_time": 0.001, "calls": [{"to": "c", "count": 10_000}]},
            "c": {"service_time": 0.001},
        },
    }
    within = forecast(make_system(spec))  # 1e8 visits of c per request: within the bound
    assert [c.arrival_rps for c in within.components] == [1.0, 10_000.0, 1e8]
    spec["components"]["c"]["calls"] = [{"to": "d", "count": 100}]
    spec["components"]["d"] = {"service_time": 0.001}
    assert _problems(spec) == [
        "test.yaml:7: d: visits per request of entry point 'e' must be at most 1,000,000,000 "
        "(got 1e+10: call counts multiply along the path)"
    ]


def test_every_bound_at_once_finishes_quickly() -> None:
    # The largest values the engine accepts, together: a million replicas over a thousand zones (the
    # availability sums), a million workers, a 10,000-way parallel fan-out with 1,000 retries (the max
    # of 10,000 copies is 14 Clark doublings, not 10,000 folds). Measured at 0.06-0.08 s; 5 s is the budget.
    spec = _shop(
        db={"replicas": MAX_REPLICAS, "placement": {"zones": MAX_ZONES}},
        catalog={"workers": MAX_WORKERS},
        frontend={
            "calls": [{"to": "catalog", "count": MAX_CALL_COUNT, "parallel": True, "retries": MAX_RETRIES}]
        },
    )
    start = time.perf_counter()
    result = forecast(make_system(spec), curves=True)
    assert time.perf_counter() - start < 5.0
    db = next(c for c in result.components if c.name == "db")
    assert db.arrival_rps == pytest.approx(300 * 10_000 * 3) and db.replicas == MAX_REPLICAS
    assert db.availability == pytest.approx(1.0, abs=1e-12)  # k of a million, over a thousand zones
    assert result.entrypoints[0].saturation_rps == pytest.approx(461, rel=0.01)
    assert result.growth.notes == []


def test_availability_sums_cost_the_same_for_any_count() -> None:
    # k of n with n = 1,000,000 and k = 999,000 was a Python loop of 999,000 log-gamma terms per component.
    start = time.perf_counter()
    a = component_availability(0.999, MAX_REPLICAS, MAX_REPLICAS - 1000, MAX_ZONES)
    one_zone = component_availability(0.999, MAX_REPLICAS, MAX_REPLICAS - 1000, None)
    assert time.perf_counter() - start < 1.0
    assert one_zone == pytest.approx(0.5, abs=0.02)  # expected failures 1,000: the median of Binomial
    assert a == pytest.approx(one_zone * 0.9999**MAX_ZONES, rel=1e-3)  # any zone down loses 1,000 replicas
    assert component_availability(0.999, 3, 1, None) == pytest.approx(1 - 1e-9, abs=1e-15)
    assert component_availability(0.999, 2, 1, 2) == pytest.approx(0.99999879021999, abs=1e-14)


def test_a_plan_past_the_replica_bound_stops_there_and_says_so() -> None:
    # A day of service per visit at a million times the load: the sizing would ask for ~10^14 replicas
    # (an int64 overflow before the bound); it stops at the bound, with a note.
    result = forecast(make_system(_shop(db={"service_time": 86_400})), growth=1e6)
    assert [(c.component, c.planned) for c in result.growth.changes] == [("db", MAX_REPLICAS)]
    assert result.growth.notes[0] == "db: needs at least 1,000,000 replicas, the most the forecast plans for"
    assert result.growth.target_rps == 3e8


@pytest.mark.parametrize(
    ("patch", "problem"),
    [
        (
            {"db": {"cost": {"replica_hour": -32.6}}},
            "test.yaml:5: db: cost.replica_hour must be a finite number in [0, 1,000,000] (got -32.6)",
        ),
        (
            {"db": {"cost": {"replica_hour": math.nan}}},
            "test.yaml:5: db: cost.replica_hour must be a finite number in [0, 1,000,000] (got nan)",
        ),
        ({"db": {"availability": 1.5}}, "test.yaml:5: db: availability must lie in (0, 1] (got 1.5)"),
        ({"db": {"availability": 0.0}}, "test.yaml:5: db: availability must lie in (0, 1] (got 0.0)"),
        ({"db": {"availability": math.nan}}, "test.yaml:5: db: availability must lie in (0, 1] (got nan)"),
        (
            {"db": {"service_time": math.nan}},
            "test.yaml:5: db: service_time must be a finite number in (0, 86,400] (got nan)",
        ),
        (
            {"db": {"service_time": math.inf}},
            "test.yaml:5: db: service_time must be a finite number in (0, 86,400] (got inf)",
        ),
        (
            {"db": {"scv": math.nan}},
            "test.yaml:5: db: service_time_scv must be a finite number in [0, 100] (got nan)",
        ),
        (
            {"db": {"cache_hit_ratio": math.nan}},
            "test.yaml:5: db: cache_hit_ratio must lie in [0, 1] (got nan)",
        ),
        (
            {"catalog": {"calls": [{"to": "db", "failure_rate": -0.1}]}},
            "test.yaml:4: catalog -> db: failure_rate must lie in [0, 1) (got -0.1)",
        ),
        (
            {"catalog": {"calls": [{"to": "db", "retries": 2, "failure_rate": math.nan}]}},
            "test.yaml:4: catalog -> db: failure_rate must lie in [0, 1) (got nan)",
        ),
        (
            {"catalog": {"autoscaling": {"min_replicas": 5, "max_replicas": 2}}},
            "test.yaml:3: catalog: autoscaling min_replicas 5 is above max_replicas 2",
        ),
        (
            {"catalog": {"autoscaling": {"max_replicas": 0}}},
            "test.yaml:3: catalog: autoscaling.max_replicas must lie in [1, 1,000,000] (got 0)",
        ),
    ],
)
def test_values_the_engine_refuses(patch: dict[str, Any], problem: str) -> None:
    assert _problems(_shop(**patch)) == [problem]


@pytest.mark.parametrize(
    ("defaults", "problem"),
    [
        # SHOP at 0.05/replica-hour costs 6 × 0.05 × 730 = 219.0; a negative default gave a negative cost.
        (
            {"cost": {"replica_hour": -5.4}},
            "redline.yaml defaults.cost.replica_hour must be a finite number in [0, 1,000,000] (got -5.4)",
        ),
        (
            {"cost": {"replica_hour": "nan"}},
            "redline.yaml defaults.cost.replica_hour must be a finite number in [0, 1,000,000] (got nan)",
        ),
        ({"availability": "0%"}, "redline.yaml defaults.availability must lie in (0, 1] (got 0.0)"),
        ({"workers": 0}, "redline.yaml defaults.workers: workers must lie in [1, 1,000,000] (got 0)"),
        (
            {"workers": 10**30},
            f"redline.yaml defaults.workers: workers must lie in [1, 1,000,000] (got {10**30!r})",
        ),
    ],
)
def test_bad_defaults_are_refused_once(defaults: dict[str, Any], problem: str) -> None:
    spec = {**_shop(), "defaults": defaults}
    for comp in spec["components"].values():
        comp.pop("workers")
    assert _problems(spec) == [problem]


@pytest.mark.parametrize(
    ("growth", "problem"),
    [
        (0.0, "test.yaml:9: growth.factor must be a finite number in (0, 1,000,000] (got 0.0)"),
        (-2.0, "test.yaml:9: growth.factor must be a finite number in (0, 1,000,000] (got -2.0)"),
        (math.inf, "test.yaml:9: growth.factor must be a finite number in (0, 1,000,000] (got inf)"),
        (math.nan, "test.yaml:9: growth.factor must be a finite number in (0, 1,000,000] (got nan)"),
    ],
)
def test_growth_factor_must_be_finite_and_positive(growth: float, problem: str) -> None:
    # Before: 0 was read as "not stated" (target = current load), NaN and inf went through.
    spec = {**_shop(), "growth": {"factor": growth, "source": {"file": "test.yaml", "line": 9}}}
    assert _problems(spec) == [problem]


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"growth": math.nan}, "--growth must be a finite number in (0, 1,000,000] (got nan)"),
        ({"growth": math.inf}, "--growth must be a finite number in (0, 1,000,000] (got inf)"),
        ({"rps": 1e12}, "--rps must be a finite number in (0, 1,000,000,000] (got 1000000000000.0)"),
        ({"target_utilization": 0.0}, "target utilization must lie in (0, 1] (got 0.0)"),
        ({"target_utilization": 1.5}, "target utilization must lie in (0, 1] (got 1.5)"),
    ],
)
def test_options_out_of_bounds(kwargs: dict[str, Any], problem: str) -> None:
    assert _problems(_shop(), **kwargs) == [problem]


def test_a_target_load_past_the_rps_bound_is_refused() -> None:
    spec = {**_shop(), "entrypoints": [{"name": "web", "component": "frontend", "rps": 10_000}]}
    assert _problems(spec, growth=1e6) == [
        "target load 1e+10 rps (--growth) must be at most 1,000,000,000 rps"
    ]


def test_slo_availability_outside_0_1_is_refused_and_a_nan_latency_limit_ignored() -> None:
    spec = {**_shop(), "slo": {"availability": 1.2, "source": {"file": "test.yaml", "line": 8}}}
    assert _problems(spec) == ["test.yaml:8: slo.availability must lie in (0, 1] (got 1.2)"]
    spec["slo"] = {"availability": 0.999, "latency_s": {"p95": math.nan, "p99": 1.0}}
    result = forecast(make_system(spec))
    assert result.warnings == [
        "SLO latency key 'p95' ignored: use p50, p95, p99 with a positive, finite limit (got nan)"
    ]
    assert result.entrypoints[0].slo_ms == {"p99": 1000.0}
