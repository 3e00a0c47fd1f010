"""The public ``forecast()``: JSON keys, growth plan, availability, cost, assumptions."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from redline.forecast import forecast

from .helpers import SHOP, make_system

HEALTHY: dict[str, Any] = {
    **SHOP,
    "entrypoints": [{"name": "web", "component": "frontend", "rps": 100}],
    "defaults": {"cost": {"replica_hour": 0.05}},
}


def test_json_keys_are_stable() -> None:
    data = json.loads(forecast(make_system(HEALTHY)).model_dump_json())
    assert {"entrypoints", "components", "availability", "assumptions", "growth", "cost"} <= set(data)
    assert {"name", "p50_ms", "p95_ms", "p99_ms", "saturation_rps", "slo_breach_rps", "bottleneck"} <= set(
        data["entrypoints"][0]
    )
    assert {"name", "arrival_rps", "utilization", "servers", "replicas_needed"} <= set(data["components"][0])
    assert {"entrypoint", "value", "slo", "budget_minutes_month", "weakest"} <= set(data["availability"][0])


def test_healthy_now_breaks_at_growth_target() -> None:
    result = forecast(make_system(HEALTHY))
    web = result.entrypoints[0]
    assert not web.saturated and web.slo_met
    assert web.p50_ms is not None and web.p95_ms is not None and web.p99_ms is not None
    assert web.p50_ms < web.p95_ms < web.p99_ms
    assert web.slo_breach_rps is not None and web.saturation_rps is not None
    assert 100 < web.slo_breach_rps <= web.saturation_rps < 1000
    assert web.summary.startswith(f"breaks at {web.saturation_rps:,.0f} rps")
    assert result.growth.target_rps == 1000 and result.breached
    planned = {c.component: c.planned for c in result.growth.changes}
    assert set(planned) >= {"catalog", "db"}
    assert result.growth.slo_met_after is True
    assert result.cost.known and result.cost.monthly_before == pytest.approx(6 * 0.05 * 730)
    assert result.cost.monthly_after is not None and result.cost.monthly_after > result.cost.monthly_before


def test_rps_and_growth_override() -> None:
    assert forecast(make_system(HEALTHY), rps=150).growth.target_rps == pytest.approx(150)
    result = forecast(make_system(HEALTHY), growth=1.2)
    assert result.growth.factor == 1.2 and not result.breached


def test_availability_single_datastore_dominates() -> None:
    result = forecast(make_system(HEALTHY))
    avail = result.availability[0]
    assert avail.weakest == "db"
    assert avail.budget_minutes_month == pytest.approx(43.2)
    assert avail.value == pytest.approx(0.9995, abs=2e-5)  # db's 99.95%, the replicated services ~1
    assert avail.meets_slo


def test_zones_and_kofn() -> None:
    spec = {**HEALTHY, "components": {**HEALTHY["components"]}}
    spec["components"]["db"] = {**spec["components"]["db"], "replicas": 2, "placement": {"zones": 2}}
    avail = forecast(make_system(spec)).availability[0]
    assert avail.value > 0.9999  # two replicas in two zones, 1 needed
    assert avail.weakest in {"db", "catalog", "frontend"}


def test_cost_unknown_is_said_not_invented() -> None:
    cost = forecast(make_system(SHOP)).cost
    assert not cost.known and cost.monthly_before is None and "unknown" in cost.note


def test_curves_span_current_and_target() -> None:
    result = forecast(make_system(HEALTHY), curves=True)
    points = result.curves["web"]
    assert points[0].rps == 0 and len(points) > 10
    finite = [p.p95_ms for p in points if p.p95_ms is not None]
    assert all(b >= a * (1 - 1e-3) for a, b in itertools.pairwise(finite))
    assert finite[-1] > finite[0]
