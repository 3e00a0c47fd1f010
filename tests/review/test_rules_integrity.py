"""Integrity rules: fixtures under fixtures/IN*/, and how a partial scan softens what they claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphrules_helpers import FIXTURES, cases, findings
from objrules_helpers import catalog_problems, check

from redline.fix.edits import Match, Op, Safety
from redline.model import Skipped
from redline.review.rule import REGISTRY, Category, Finding, Severity
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


# ---------------------------------------------------------------------------------------------- fixes


def _one(code: str, name: str) -> Finding:
    (f,) = findings(FIXTURES / code / name, code)
    return f


def test_fix_safety_of_each_integrity_rule() -> None:
    """Every IN rule states the safety of its usual fix; only IN005 (which side is wrong) is advice."""
    want = {code: Safety.UNSAFE for code in ("IN001", "IN002", "IN003", "IN004", "IN006", "IN007", "IN008")}
    want["IN005"] = Safety.ADVICE
    assert {code: REGISTRY[code].fix_safety for code in want} == want


def test_service_fix_selects_the_workloads_own_pods() -> None:
    f = _one("IN001", "positive.yaml")
    assert f.fix.safety is Safety.UNSAFE
    (edit,) = f.fix.edits
    assert (edit.doc.kind, edit.doc.name, edit.op, edit.path, edit.value) == (
        "Service",
        "payments",
        Op.SET,
        ("spec", "selector"),
        {"app": "payments-v2"},
    )


def test_partial_scan_makes_the_fix_advice() -> None:
    system = scan(FIXTURES / "IN001" / "positive.yaml")
    system.skipped.append(
        Skipped(file="chart/templates/deployment.yaml", reason="Helm template not rendered")
    )
    (f,) = check("IN001", system)
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits
    assert "skipped 1 Helm template" in (f.fix.advice or "")


def test_hpa_on_a_single_writer_database_is_advice_not_a_scale_target() -> None:
    f = _one("IN002", "positive_single_writer.yaml")
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits
    assert "single-writer" in (f.fix.advice or "") and f.fix.example is None
    assert "scaleTargetRef" not in f.fix.snippet


def test_hpa_fix_names_the_workload_named_like_it() -> None:
    (edit,) = _one("IN002", "positive.yaml").fix.edits  # `front-end` is `frontend`; kind and API agree
    assert (edit.path, edit.value) == (("spec", "scaleTargetRef", "name"), "frontend")
    (plural,) = _one("IN002", "positive_plural.yaml").fix.edits  # `cart` is one letter from `carts`
    assert plural.value == "carts"


def test_ingress_fix_only_for_a_service_named_alike() -> None:
    assert _one("IN003", "positive.yaml").fix.safety is Safety.ADVICE  # `web` is like no Service
    (edit,) = _one("IN003", "positive_renamed.yaml").fix.edits  # `front-end` is `frontend`
    assert edit.path == ("spec", "rules", 0, "http", "paths", 0, "backend", "service", "name")
    assert edit.value == "frontend"
    (port,) = _one("IN003", "positive_port.yaml").fix.edits  # the Service's only port
    assert port.path[-1] == "port" and port.value == {"name": "http"}


def test_pdb_on_a_label_the_whole_app_shares_is_advice_not_a_selector() -> None:
    f = _one("IN004", "positive_shared_label.yaml")
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits
    assert "also selects the pods of `cart`" in (f.fix.advice or "")
    assert f.fix.example is None  # no selector is shown to copy


def test_pdb_fix_uses_the_workloads_own_selector() -> None:
    (edit,) = _one("IN004", "positive.yaml").fix.edits
    assert (edit.path, edit.value) == (("spec", "selector"), {"matchLabels": {"app": "checkoutservice"}})


def test_pdb_that_would_block_every_drain_is_advice() -> None:
    f = _one("IN004", "positive_single_replica.yaml")
    assert f.fix.safety is Safety.ADVICE and "block every node drain" in (f.fix.advice or "")


def test_dangling_dependency_is_advice_with_a_redline_yaml_example() -> None:
    f = _one("IN005", "positive.yaml")
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits
    assert f.fix.example == {"components": {"payments": {"kind": "external"}}}


@pytest.mark.parametrize(
    ("name", "safety", "says"),
    [
        ("positive.yaml", Safety.ADVICE, "No caller of `redis-cart` is known"),
        ("positive_blocked.yaml", Safety.ADVICE, "do not admit `checkout`"),
        ("positive_shared_label.yaml", Safety.ADVICE, "also selects the pods of `cart`"),
        ("positive_callers.yaml", Safety.UNSAFE, ""),
    ],
)
def test_network_policy_is_turned_on_only_when_every_known_caller_is_admitted(
    name: str, safety: Safety, says: str
) -> None:
    f = _one("IN006", name)
    assert f.fix.safety is safety
    assert says in (f.fix.advice or "")
    if safety is Safety.UNSAFE:
        (edit,) = f.fix.edits
        assert (edit.path, edit.value) == (("spec", "podSelector"), {"matchLabels": {"app": "redis-cart"}})


def test_postgres_dependency_gets_pg_isready_never_an_http_check() -> None:
    f = _one("IN007", "positive.yaml")
    (edit,) = f.fix.edits
    assert edit.doc.platform == "compose" and edit.path == ("services", "db", "healthcheck")
    assert edit.value["test"] == ["CMD", "pg_isready", "-q"]
    assert not any(word in f.fix.snippet for word in ("httpGet", "curl", "wget", "spec"))


def test_disabled_redis_healthcheck_is_replaced_by_redis_cli_ping() -> None:
    (edit,) = _one("IN007", "positive_disabled.yaml").fix.edits
    assert edit.value["test"] == ["CMD", "redis-cli", "ping"]


def test_application_image_healthcheck_is_advice() -> None:
    f = _one("IN007", "positive_app.yaml")
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits


def test_target_port_fix_points_at_the_pods_port_name() -> None:
    (edit,) = _one("IN008", "positive.yaml").fix.edits
    assert edit.path == ("spec", "ports", Match(key="name", value="http"), "targetPort")
    assert edit.value == "web"
