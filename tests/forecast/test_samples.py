"""End to end on a shared real-world sample: Online Boutique's manifests + our illustrative overlay."""

from __future__ import annotations

from pathlib import Path

import pytest

import redline
from redline.forecast import forecast

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / ".." / "shared" / "samples"
BOUTIQUE = SAMPLES / "online-boutique" / "kubernetes-manifests"
OVERLAY = ROOT / "tests" / "data" / "overlays" / "online-boutique.redline.yaml"

pytestmark = [
    pytest.mark.samples,
    pytest.mark.skipif(not BOUTIQUE.is_dir(), reason="../shared/samples is not present"),
]


def test_online_boutique_forecast() -> None:
    system = redline.scan(BOUTIQUE, overlay=OVERLAY)
    result = forecast(system)
    (front,) = result.entrypoints
    assert front.component == "frontend" and not front.saturated
    assert front.p50_ms is not None and front.p95_ms is not None and front.p99_ms is not None
    assert front.p50_ms < front.p95_ms < front.p99_ms < 1000
    # Six sequential calls per page to a single-threaded currencyservice: it binds, and the frontend's
    # held workers are what fill up waiting for it.
    assert front.saturation_rps is not None and 100 < front.saturation_rps < 500
    assert front.bottleneck == "currencyservice" and front.bottleneck_through == ["frontend"]
    assert "binds through the held pool of frontend" in (front.bottleneck_reason or "")
    by_name = {c.name: c for c in result.components}
    assert by_name["currencyservice"].arrival_rps == pytest.approx(600 + 5 * 4)
    assert by_name["productcatalogservice"].arrival_rps == pytest.approx(100 * (1.2 + 0.4 + 0.05 * 3))
    assert result.breached  # 5x growth saturates it as deployed (1 replica each)
    assert result.growth.slo_met_after is True
    assert any(ch.component == "currencyservice" for ch in result.growth.changes)
    assert result.cost.known
    # loadgenerator.yaml is not listed in the kustomization, so it is not part of the system.
    assert "loadgenerator" not in {c.name for c in result.components}
