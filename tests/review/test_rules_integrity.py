"""Integrity rules: fixtures under fixtures/IN*/, and how a partial scan softens what they claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphrules_helpers import FIXTURES, cases, findings
from objrules_helpers import catalog_problems, check

from redline.model import Skipped
from redline.review.rule import Category, Severity
from redline.sources.scan import scan

POSITIVE = cases("IN", "positive")
NEGATIVE = cases("IN", "negative")


@pytest.mark.parametrize(("code", "path"), POSITIVE, ids=[f"{c}-{p.name}" for c, p in POSITIVE])
def test_positive_fixture_triggers(code: str, path: Path) -> None:
    found = findings(path, code)
    assert found, f"{code} did not fire on {path}"
    for f in found:
        assert f.file and f.line and f.message and f.why and f.fix and f.tradeoff


@pytest.mark.parametrize(("code", "path"), NEGATIVE, ids=[f"{c}-{p.name}" for c, p in NEGATIVE])
def test_negative_fixture_is_silent(code: str, path: Path) -> None:
    assert findings(path, code) == []


def test_catalog() -> None:
    assert catalog_problems("IN", Category.INTEGRITY) == []


def test_service_selecting_nothing_names_selector_and_near_miss() -> None:
    (f,) = findings(FIXTURES / "IN001" / "positive.yaml", "IN001")
    assert "`payments`" in f.message and "app=payments" in f.message
    assert "app=payments-v2" in f.message  # the workload that was probably meant
    assert f.severity is Severity.HIGH


def test_partial_scan_lowers_severity_and_says_why() -> None:
    system = scan(FIXTURES / "IN001" / "positive.yaml")
    system.skipped.append(
        Skipped(file="chart/templates/deployment.yaml", reason="Helm template not rendered")
    )
    (f,) = check("IN001", system)
    assert f.severity is Severity.MEDIUM
    assert "skipped 1 Helm template" in f.message


def test_hpa_target_named() -> None:
    (f,) = findings(FIXTURES / "IN002" / "positive.yaml", "IN002")
    assert "`Deployment/front-end`" in f.message and "`frontend`" in f.message


def test_ingress_missing_service_and_missing_port_are_told_apart() -> None:
    (svc,) = findings(FIXTURES / "IN003" / "positive.yaml", "IN003")
    assert "Service `web`" in svc.message and "not defined" in svc.message
    (port,) = findings(FIXTURES / "IN003" / "positive_port.yaml", "IN003")
    assert "port `https`" in port.message and "http" in port.message and "80" in port.message


def test_pdb_selecting_nothing() -> None:
    (f,) = findings(FIXTURES / "IN004" / "positive.yaml", "IN004")
    assert "`checkout`" in f.message and "app=checkout" in f.message


def test_dangling_dependency_names_host_and_variable() -> None:
    (f,) = findings(FIXTURES / "IN005" / "positive.yaml", "IN005")
    assert f.component == "frontend" and "`payments`" in f.message and "PAYMENTS_ADDR" in f.message


def test_healthy_condition_without_healthcheck_points_at_the_dependency() -> None:
    (f,) = findings(FIXTURES / "IN007" / "positive.yaml", "IN007")
    assert f.component == "db" and "`api` waits for `db`" in f.message and f.severity is Severity.HIGH
    assert f.evidence and "service_healthy" in f.evidence[0]


def test_named_target_port_missing() -> None:
    (f,) = findings(FIXTURES / "IN008" / "positive.yaml", "IN008")
    assert "targetPort `http`" in f.message and "named ports: web" in f.message


def test_numeric_target_port_is_never_reported() -> None:
    """containerPort declarations are optional: a numeric targetPort proves nothing."""
    assert findings(FIXTURES / "OP004" / "negative_undeclared.yaml", "IN008") == []
