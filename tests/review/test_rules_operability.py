"""Operability rules: each fixture under fixtures/OP*/ triggers (positive*) or not (negative*) its rule,
plus the scope and severity decisions the fixtures alone cannot show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphrules_helpers import FIXTURES, cases, findings
from objrules_helpers import catalog_problems, check

from redline.fix.edits import Safety
from redline.model import Edge, Entrypoint, Skipped
from redline.review.rule import REGISTRY, Category, Finding, Severity
from redline.review.rules.operability._shared import _cron_interval_s
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


# ---------------------------------------------------------------------------------------- typed fixes


def _probe(f: Finding) -> dict[str, Any]:
    (edit,) = f.fix.edits
    assert isinstance(edit.value, dict)
    return edit.value


@pytest.mark.parametrize("code", ["OP001", "OP002"])
def test_datastore_probes_follow_the_engine_never_a_guessed_http_port(code: str) -> None:
    """The issue's worst case: `httpGet :8080/ready` for Postgres, MySQL, Kafka, Redis, RabbitMQ, SQL
    Server. Each gets the check its engine answers, or tcpSocket on the port it declares."""
    got = {f.component: _probe(f) for f in findings(FIXTURES / code / "positive_datastores.yaml", code)}
    handlers = {
        name: {k: v for k, v in p.items() if k in ("exec", "tcpSocket", "httpGet")} for name, p in got.items()
    }
    assert handlers == {
        "orders-db": {"exec": {"command": ["pg_isready", "-q"]}},
        "users-db": {"exec": {"command": ["mysqladmin", "ping", "-h", "127.0.0.1", "--silent"]}},
        "events": {"tcpSocket": {"port": 9092}},
        "cache": {"exec": {"command": ["redis-cli", "ping"]}},
        "broker": {"exec": {"command": ["rabbitmq-diagnostics", "-q", "ping"]}},
        "ledger-db": {"tcpSocket": {"port": 1433}},
    }
    for f in findings(FIXTURES / code / "positive_datastores.yaml", code):
        assert f.fix.safety is Safety.UNSAFE and "httpGet" not in f.fix.snippet


def test_readiness_without_a_known_port_is_advice_not_a_guess() -> None:
    (f,) = findings(FIXTURES / "OP001" / "positive_no_port.yaml", "OP001")
    assert f.fix.safety is Safety.ADVICE and f.fix.edits == [] and "8080" not in f.fix.snippet


def test_liveness_never_borrows_the_readiness_endpoint() -> None:
    """A readiness path may check dependencies; liveness on it restarts every pod when one is slow."""
    (f,) = findings(FIXTURES / "OP002" / "positive.yaml", "OP002")
    (edit,) = f.fix.edits
    assert edit.path[-1] == "livenessProbe" and str(edit.path[-2]) == "[name=server]"
    assert edit.value == {
        "tcpSocket": {"port": 8080},
        "periodSeconds": 10,
        "timeoutSeconds": 1,
        "failureThreshold": 6,
    }


def test_same_probe_fix_doubles_the_readiness_failures() -> None:
    (f,) = findings(FIXTURES / "OP003" / "positive.yaml", "OP003")
    (edit,) = f.fix.edits
    assert edit.path[-2:] == ("livenessProbe", "failureThreshold") and edit.value == 6


def test_probe_port_fix_only_when_the_container_has_one_port() -> None:
    (one,) = findings(FIXTURES / "OP004" / "positive.yaml", "OP004")
    assert one.fix.safety is Safety.UNSAFE and one.fix.edits[0].value == "http"
    (many,) = findings(FIXTURES / "OP004" / "positive_many_ports.yaml", "OP004")
    assert many.fix.safety is Safety.ADVICE and many.fix.edits == []
    (numeric,) = findings(FIXTURES / "OP004" / "positive_numeric.yaml", "OP004")
    assert numeric.fix.safety is Safety.ADVICE  # declare it, or fix the probe: not redline's call


@pytest.mark.parametrize(
    ("code", "case"),
    [
        ("OP005", "positive.yaml"),
        ("OP006", "positive.yaml"),
        ("OP007", "positive.yaml"),
        ("OP015", "positive.yaml"),
    ],
)
def test_values_that_would_be_guessed_are_advice(code: str, case: str) -> None:
    """Resource sizes, image versions and a Job's deadline are not in the files: no number is written."""
    for f in findings(FIXTURES / code / case, code):
        assert f.fix.safety is Safety.ADVICE and f.fix.edits == [] and not f.fix.applicable


def test_memory_limit_example_uses_the_stated_request() -> None:
    (f,) = findings(FIXTURES / "OP006" / "positive.yaml", "OP006")
    assert f.fix.example == {"resources": {"limits": {"memory": "128Mi"}}}


def test_grace_fixes_are_safe_when_longer_unsafe_when_shorter() -> None:
    (short,) = findings(FIXTURES / "OP008" / "positive.yaml", "OP008")
    assert short.fix.safety is Safety.SAFE and short.fix.edits[0].value == 30
    assert short.fix.edits[0].path == ("spec", "template", "spec", "terminationGracePeriodSeconds")
    (long,) = findings(FIXTURES / "OP009" / "positive.yaml", "OP009")
    assert long.fix.safety is Safety.UNSAFE and long.fix.edits[0].value == 300
    (raised,) = findings(FIXTURES / "OP008" / "positive.yaml", "OP008", termination_grace_min_s=45.5)
    assert raised.fix.edits[0].value == 46


def test_compose_fixes_use_compose_syntax_at_the_service_key(tmp_path: Path) -> None:
    """Two Compose projects with a service `db` each: components are `a/db` and `b/db`, but each edit
    goes to `services.db` of its own file, in Compose syntax."""
    for project in ("a", "b"):
        (tmp_path / project).mkdir()
        (tmp_path / project / "docker-compose.yml").write_text(
            "services:\n  api:\n    image: x/api:1\n    depends_on: [db]\n  db:\n    image: postgres:16\n"
        )
    system = scan(tmp_path)
    got = sorted(
        (f.rule, f.component, e.doc.file, e.doc.platform, e.path, e.value)
        for code in ("OP011", "OP012")
        for f in check(code, system)
        for e in f.fix.edits
        if f.component and f.component.endswith("/db")
    )
    check_value = {
        "test": ["CMD", "pg_isready", "-q"],
        "interval": "10s",
        "timeout": "5s",
        "retries": 5,
        "start_period": "30s",
    }
    assert got == [
        ("OP011", "a/db", "a/docker-compose.yml", "compose", ("services", "db", "healthcheck"), check_value),
        ("OP011", "b/db", "b/docker-compose.yml", "compose", ("services", "db", "healthcheck"), check_value),
        ("OP012", "a/db", "a/docker-compose.yml", "compose", ("services", "db", "restart"), "unless-stopped"),
        ("OP012", "b/db", "b/docker-compose.yml", "compose", ("services", "db", "restart"), "unless-stopped"),
    ]


def test_compose_healthcheck_for_an_application_image_is_advice() -> None:
    by_name = {f.component: f for f in findings(FIXTURES / "OP011" / "positive_engines.yaml", "OP011")}
    assert by_name["search"].fix.safety is Safety.ADVICE and "curl" not in by_name["search"].fix.snippet
    assert [by_name[n].fix.edits[0].value["test"][1] for n in ("cache", "queue", "users-db")] == [
        "redis-cli",
        "rabbitmq-diagnostics",
        "mysqladmin",
    ]


def test_restart_condition_none_is_fixed_where_it_is_stated() -> None:
    by_name = {f.component: f for f in findings(FIXTURES / "OP012" / "positive_stated_no.yaml", "OP012")}
    assert by_name["worker"].fix.edits[0].path == (
        "services",
        "worker",
        "deploy",
        "restart_policy",
        "condition",
    )
    assert by_name["worker"].fix.edits[0].value == "any"  # `restart:` does not accept Swarm's conditions
    assert by_name["api"].fix.edits[0].path == ("services", "api", "restart")


def test_cronjob_deadlines_come_from_the_schedule() -> None:
    (start,) = findings(FIXTURES / "OP013" / "positive_daily.yaml", "OP013")
    assert start.fix.safety is Safety.SAFE and start.fix.edits[0].value == 86400
    (active,) = findings(FIXTURES / "OP015" / "positive_cronjob.yaml", "OP015")
    assert active.fix.safety is Safety.UNSAFE
    assert active.fix.edits[0].path == ("spec", "jobTemplate", "spec", "activeDeadlineSeconds")
    assert active.fix.edits[0].value == 600


@pytest.mark.parametrize(
    ("schedule", "seconds"),
    [
        ("*/5 * * * *", 300),
        ("* * * * *", 60),
        ("0 * * * *", 3600),
        ("@daily", 86400),
        ("CRON_TZ=UTC 0 0 * * *", 86400),
        ("0 9,17 * * mon-fri", 8 * 3600),
        ("0 3 * * 0", 7 * 86400),
        ("0 3 * * 7", 7 * 86400),
        ("30 2 1 * *", 28 * 86400),  # February is the shortest gap between two firsts
        ("0 0 1,15 * 1", 86400),  # day of month or day of week, as cron reads both
        ("5/15 * * * *", 900),
        ("1-10/3 * * * *", 180),
        ("0 0 29 2 *", None),  # once in four years: no interval within the window
        ("61 * * * *", None),
        ("0 0 * *", None),
        ("@reboot", None),
        (None, None),
    ],
)
def test_cron_interval(schedule: str | None, seconds: int | None) -> None:
    assert _cron_interval_s(schedule) == seconds


def test_rule_safety_attribute_is_the_best_fix_its_fixtures_get() -> None:
    """`fix_safety` (what docs/rules.md shows) is the best fix the rule offers on its positive fixtures:
    an edit's safety when some fixture gets an edit, advice when none does."""
    got: dict[str, set[Safety]] = {}
    for code, path in POSITIVE:
        got.setdefault(code, set()).update(f.fix.safety for f in findings(path, code))
    best = {code: min(s, key=[Safety.SAFE, Safety.UNSAFE, Safety.ADVICE].index) for code, s in got.items()}
    assert best == {code: REGISTRY[code].fix_safety for code in got}
