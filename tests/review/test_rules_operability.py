"""Operability rules: each fixture under fixtures/OP*/ triggers (positive*) or not (negative*) its rule,
plus the scope and severity decisions the fixtures alone cannot show."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphrules_helpers import FIXTURES, cases, findings
from objrules_helpers import catalog_problems, check

from redline.model import Edge, Entrypoint, Skipped
from redline.review.rule import Category, Severity
from redline.sources.scan import scan

POSITIVE = cases("OP", "positive")
NEGATIVE = cases("OP", "negative")


@pytest.mark.parametrize(("code", "path"), POSITIVE, ids=[f"{c}-{p.name}" for c, p in POSITIVE])
def test_positive_fixture_triggers(code: str, path: Path) -> None:
    found = findings(path, code)
    assert found, f"{code} did not fire on {path}"
    for f in found:
        assert f.component and f.file and f.line and f.message and f.why and f.fix and f.tradeoff
        assert f"`{f.component}`" in f.message


@pytest.mark.parametrize(("code", "path"), NEGATIVE, ids=[f"{c}-{p.name}" for c, p in NEGATIVE])
def test_negative_fixture_is_silent(code: str, path: Path) -> None:
    assert findings(path, code) == []


def test_catalog() -> None:
    assert catalog_problems("OP", Category.OPERABILITY) == []


def test_readiness_message_names_container_and_service() -> None:
    (f,) = findings(FIXTURES / "OP001" / "positive.yaml", "OP001")
    assert "`server`" in f.message and "Service `api`" in f.message
    assert f.severity is Severity.MEDIUM
    assert "readinessProbe" in f.fix.snippet


def test_readiness_severity_follows_blast_radius() -> None:
    """Two entry points that both need `api` make its missing probe worse than the base severity."""
    system = scan(FIXTURES / "OP001" / "positive.yaml")
    (api,) = system.components
    assert check("OP001", system)[0].severity is Severity.MEDIUM
    for door in ("web", "mobile"):
        system.components.append(api.model_copy(update={"name": door, "containers": []}))
        system.edges.append(Edge(**{"from": door, "to": "api"}))
        system.entrypoints.append(Entrypoint(name=door, component=door))
    (f,) = check("OP001", system)
    assert f.severity is Severity.HIGH


def test_same_probe_reports_both_probe_lines() -> None:
    (f,) = findings(FIXTURES / "OP003" / "positive.yaml", "OP003")
    assert "http :8080/health" in f.message
    assert len(f.evidence) == 2 and all("positive.yaml:" in e for e in f.evidence)


def test_probe_port_named_is_high_numeric_is_low() -> None:
    (named,) = findings(FIXTURES / "OP004" / "positive.yaml", "OP004")
    assert named.severity is Severity.HIGH and "`web`" in named.message and "http" in named.message
    (numeric,) = findings(FIXTURES / "OP004" / "positive_numeric.yaml", "OP004")
    assert numeric.severity is Severity.LOW and "9090" in numeric.message and "8080" in numeric.message


def test_untagged_datastore_image_is_worse_than_latest_web() -> None:
    (db,) = findings(FIXTURES / "OP007" / "positive_untagged.yaml", "OP007")
    assert "`mongo`" in db.message and "no tag" in db.message
    (web,) = findings(FIXTURES / "OP007" / "positive.yaml", "OP007")
    assert "`nginx:latest`" in web.message
    assert db.severity.rank < web.severity.rank


def test_grace_thresholds_are_configurable() -> None:
    assert findings(FIXTURES / "OP008" / "negative.yaml", "OP008") == []
    (f,) = findings(FIXTURES / "OP008" / "negative.yaml", "OP008", termination_grace_min_s=60)
    assert "30 s" in f.message and "60 s" in f.message
    assert findings(FIXTURES / "OP009" / "negative.yaml", "OP009", termination_grace_max_s=30)


def test_compose_healthcheck_message_names_dependents_and_engine_fix() -> None:
    (f,) = findings(FIXTURES / "OP011" / "positive.yaml", "OP011")
    assert f.component == "db" and "`api`" in f.message and "depends on it" in f.message
    assert f.severity is Severity.MEDIUM  # a datastore others wait for
    assert "pg_isready" in f.fix.snippet


def test_restart_policy_skips_swarm_and_one_shots_but_not_their_neighbours() -> None:
    assert findings(FIXTURES / "OP012" / "negative_swarm.yaml", "OP012") == []
    assert findings(FIXTURES / "OP012" / "negative_oneshot.yaml", "OP012") == []
    (f,) = findings(FIXTURES / "OP012" / "positive.yaml", "OP012")
    assert f.component == "api" and "restart: unless-stopped" in f.fix.snippet


def test_cronjob_rules_name_schedule() -> None:
    (f,) = findings(FIXTURES / "OP013" / "positive.yaml", "OP013")
    assert "`*/5 * * * *`" in f.message
    (g,) = findings(FIXTURES / "OP014" / "positive.yaml", "OP014")
    assert "concurrencyPolicy: Forbid" in g.fix.snippet


def test_batch_scope_excludes_probe_rules() -> None:
    """A Job never gets readiness/liveness/preStop findings, whatever it lacks."""
    system = scan(FIXTURES / "OP015" / "positive.yaml")
    for code in ("OP001", "OP002", "OP003", "OP005", "OP010"):
        assert check(code, system) == [], code


def test_integrity_partial_scan_does_not_change_operability() -> None:
    """Skipped files only soften integrity rules; an operability fact read is a fact."""
    system = scan(FIXTURES / "OP001" / "positive.yaml")
    system.skipped.append(Skipped(file="chart/templates/deploy.yaml", reason="Helm template"))
    (f,) = check("OP001", system)
    assert f.severity is Severity.MEDIUM
