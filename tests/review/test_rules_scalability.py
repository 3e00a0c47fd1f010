"""Scalability rules: each fixture under fixtures/SC*/ triggers (positive*) or not (negative*) its rule;
HPA edits go to the HPA, never to a single-writer database (snapshots pin the text, these the choices)."""

from __future__ import annotations

from pathlib import Path

import pytest
import snapshots
from graphrules_helpers import FIXTURES, cases, findings

from redline.fix.edits import Safety

POSITIVE = [c for c in cases("SC", "positive") if not c[1].name.endswith(".expected.yaml")]
NEGATIVE = cases("SC", "negative")


@pytest.mark.parametrize(("code", "path"), POSITIVE, ids=[f"{c}-{p.name}" for c, p in POSITIVE])
def test_positive_fixture_triggers(code: str, path: Path) -> None:
    found = findings(path, code)
    assert found, f"{code} did not fire on {path}"
    for f in found:
        assert f.component and f.file and f.message and f.why and f.fix.title and f.tradeoff
        assert f.component in f.message or f"`{f.component}`" in f.message


@pytest.mark.parametrize(("code", "path"), NEGATIVE, ids=[f"{c}-{p.name}" for c, p in NEGATIVE])
def test_negative_fixture_is_silent(code: str, path: Path) -> None:
    assert findings(path, code) == []


def test_every_scalability_rule_has_both_fixtures() -> None:
    from redline.review.rule import REGISTRY

    for code in (c for c in REGISTRY if c.startswith("SC")):
        assert any(c == code for c, _ in POSITIVE), f"{code} has no positive fixture"
        assert any(c == code for c, _ in NEGATIVE), f"{code} has no negative fixture"


def test_every_positive_fixture_has_an_expected_block() -> None:
    missing = [p.name for _, p in POSITIVE if not snapshots.expected_path(p).exists()]
    assert missing == []


# ------------------------------------------------------------------------------------- fix decisions


def test_new_hpa_keeps_todays_replicas_as_its_minimum() -> None:
    (f,) = findings(FIXTURES / "SC001" / "positive", "SC001")
    assert f.fix.safety is Safety.UNSAFE and not f.fix.edits
    (hpa,) = f.fix.creates
    assert hpa.file_name == "api-hpa.yaml"
    spec = hpa.document["spec"]
    assert (spec["scaleTargetRef"], spec["minReplicas"], spec["maxReplicas"]) == (
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
        2,
        8,
    )


def test_no_hpa_without_a_cpu_request() -> None:
    (f,) = findings(FIXTURES / "SC001" / "positive_no_cpu_request.yaml", "SC001")
    assert f.fix.safety is Safety.ADVICE and not f.fix.creates
    assert "`api` have no CPU request" in (f.fix.advice or "")


@pytest.mark.parametrize(
    ("code", "case"), [("SC002", "positive_datastore.yaml"), ("SC003", "positive_datastore.yaml")]
)
def test_single_writer_database_gets_no_hpa_edit(code: str, case: str) -> None:
    (f,) = findings(FIXTURES / code / case, code)
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits and not f.fix.creates
    assert "single-writer" in (f.fix.advice or "") and "remove the HPA (SC007)" in (f.fix.advice or "")


def test_min_and_max_edits_agree_between_sc002_and_sc003() -> None:
    # min 1 = max 1: SC003 raises the minimum to 2 and the maximum to the 8 SC002 proposes for it.
    (f,) = findings(FIXTURES / "SC003" / "positive_max1.yaml", "SC003")
    assert [(e.doc.kind, e.path, e.value) for e in f.fix.edits] == [
        ("HorizontalPodAutoscaler", ("spec", "minReplicas"), 2),
        ("HorizontalPodAutoscaler", ("spec", "maxReplicas"), 8),
    ]
    (g,) = findings(FIXTURES / "SC003" / "positive_max1.yaml", "SC002")
    assert [(e.path, e.value) for e in g.fix.edits] == [(("spec", "maxReplicas"), 8)]


def test_cpu_target_edit_follows_the_api_version() -> None:
    (v2,) = findings(FIXTURES / "SC006" / "positive.yaml", "SC006")
    assert [(e.path, e.value) for e in v2.fix.edits] == [
        (("spec", "metrics", 0, "resource", "target", "averageUtilization"), 65)
    ]
    (v1,) = findings(FIXTURES / "SC006" / "positive_v1.yaml", "SC006")
    assert [(e.path, e.value) for e in v1.fix.edits] == [(("spec", "targetCPUUtilizationPercentage"), 65)]


def test_cpu_target_is_ten_points_under_a_lower_threshold() -> None:
    (f,) = findings(FIXTURES / "SC006" / "positive.yaml", "SC006", hpa_max_target=0.6)
    assert f.fix.edits[0].value == 50
    assert f.tradeoff == "Runs about 1.9x the pods at steady state."


def test_cpu_request_value_is_never_invented() -> None:
    (f,) = findings(FIXTURES / "SC004" / "positive.yaml", "SC004")
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits
    assert "spec.template.spec.containers[name=api].resources.requests.cpu" in (f.fix.advice or "")


def test_sticky_sessions_datastore_hpa_and_read_replicas_are_advice() -> None:
    for code, case in (
        ("SC005", "positive.yaml"),
        ("SC005", "positive_ingress.yaml"),
        ("SC007", "positive.yaml"),
        ("SC008", "positive"),
    ):
        (f,) = findings(FIXTURES / code / case, code)
        assert f.fix.safety is Safety.ADVICE and not f.fix.edits, (code, case)
