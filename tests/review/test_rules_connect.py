"""Connect rules (CN###): fixtures under fixtures/CN*/, exact findings, and silence on the samples."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphrules_helpers import FIXTURES, cases, findings
from objrules_helpers import catalog_problems

from redline.fix.edits import Op, Safety, path_text
from redline.review.engine import ReviewConfig, review
from redline.review.rule import Category, Finding, Severity
from redline.sources.scan import scan

# CN001-CN019 are this module's; CN020 and up belong to network.py and are tested there.
POSITIVE = [(c, p) for c, p in cases("CN", "positive") if int(c[2:]) < 20]
NEGATIVE = [(c, p) for c, p in cases("CN", "negative") if int(c[2:]) < 20]
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


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
    mine = [p for p in catalog_problems("CN", Category.CONNECT) if int(p[2:5]) < 20]
    assert mine == []


def test_cn001_service_forwards_to_a_port_the_pod_does_not_serve() -> None:
    (f,) = findings(FIXTURES / "CN001" / "positive.yaml", "CN001")
    assert (f.rule, f.component, f.file, f.line, f.severity) == (
        "CN001",
        "web",
        "positive.yaml",
        19,
        Severity.HIGH,
    )
    assert f.message == "Service `web` forwards port 80 to 8000, but `web` serves only on 8080"
    assert f.evidence == ["positive.yaml:1 pods of web serve on 8080"]
    assert "targetPort: 8080" in f.fix.snippet


def test_cn001_silent_for_declared_default_runtime_and_undeclared_ports() -> None:
    # negative.yaml: declared 8080, redis default 6379, `--listen :9000` in args, a pod declaring nothing.
    assert findings(FIXTURES / "CN001" / "negative.yaml", "CN001") == []


def test_cn001_named_target_port_is_left_to_in008(tmp_path: Path) -> None:
    text = (FIXTURES / "CN001" / "positive.yaml").read_text().replace("targetPort: 8000", "targetPort: http")
    (tmp_path / "app.yaml").write_text(text)
    assert findings(tmp_path / "app.yaml", "CN001") == []
    (in008,) = findings(tmp_path / "app.yaml", "IN008")
    assert in008.component == "web"


def test_cn002_call_to_database_scaled_to_zero_names_the_caller() -> None:
    (f,) = findings(FIXTURES / "CN002" / "positive.yaml", "CN002")
    assert (f.rule, f.component, f.file, f.line, f.severity) == (
        "CN002",
        "db",
        "positive.yaml",
        20,
        Severity.HIGH,
    )
    assert f.message == "`db` runs 0 replicas and no autoscaler raises it, but `api` calls it"
    assert f.evidence == ["positive.yaml:17 api calls db"]


def test_cn002_scaling_to_zero_no_longer_makes_the_review_greener() -> None:
    # At 1 replica the database is reported (single replica / SPOF); at 0 it must still be reported.
    report = review(scan(FIXTURES / "CN002" / "positive.yaml"), ReviewConfig())
    assert [f.component for f in report.findings if f.rule == "CN002"] == ["db"]


def test_cn002_two_callers_are_both_named(tmp_path: Path) -> None:
    text = (FIXTURES / "CN002" / "positive.yaml").read_text()
    extra = text.split("---")[0].replace("name: api", "name: worker").replace("app: api", "app: worker")
    (tmp_path / "app.yaml").write_text(text + "---\n" + extra)
    (f,) = findings(tmp_path / "app.yaml", "CN002")
    assert f.message == "`db` runs 0 replicas and no autoscaler raises it, but `api`, `worker` call it"


def test_cn002_compose_service_scaled_to_zero(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n"
        "  api:\n"
        "    image: example/api:1\n"
        "    environment:\n"
        "      DATABASE_URL: postgres://db:5432/app\n"
        "  db:\n"
        "    image: postgres:16\n"
        "    deploy:\n"
        "      replicas: 0\n"
    )
    (f,) = findings(tmp_path, "CN002")
    assert (f.component, f.file, f.line, f.severity) == ("db", "docker-compose.yml", 6, Severity.HIGH)
    assert f.message == "`db` runs 0 replicas and no autoscaler raises it, but `api` calls it"


def test_cn003_host_network_without_cluster_first_with_host_net() -> None:
    (f,) = findings(FIXTURES / "CN003" / "positive.yaml", "CN003")
    assert (f.rule, f.component, f.file, f.line, f.severity) == (
        "CN003",
        "api",
        "positive.yaml",
        1,
        Severity.MEDIUM,
    )
    assert f.message == (
        "`api` calls `orders` by cluster name, but has hostNetwork: true with no dnsPolicy, so it uses "
        "the node's resolver"
    )
    assert f.evidence == ["positive.yaml:18 api calls orders"]


def test_cn003_dns_policy_none_with_public_resolvers_only() -> None:
    (f,) = findings(FIXTURES / "CN003" / "positive_dns_none.yaml", "CN003")
    assert (f.component, f.file, f.line, f.severity) == ("api", "positive_dns_none.yaml", 1, Severity.MEDIUM)
    assert f.message == (
        "`api` calls `orders` by cluster name, but has dnsPolicy: None with only public nameservers "
        "(8.8.8.8, 1.1.1.1)"
    )


def test_cn003_host_network_pod_that_calls_nothing_is_silent(tmp_path: Path) -> None:
    text = (FIXTURES / "CN003" / "positive.yaml").read_text().replace("ORDERS_URL", "LOG_LEVEL")
    (tmp_path / "app.yaml").write_text(text.replace("http://orders:8080", "debug"))
    assert findings(tmp_path / "app.yaml", "CN003") == []


SAMPLE_TARGETS = [
    "online-boutique/kubernetes-manifests",
    "online-boutique",
    "sock-shop",
    "full-stack-fastapi-template",
    "spring-petclinic-microservices",
    "deathstarbench",
    "retail-store-sample-app",
]


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not present")
@pytest.mark.parametrize("rel", SAMPLE_TARGETS)
def test_samples_have_no_connect_findings(rel: str) -> None:
    # Every finding of these rules on the samples was read against its file:line and found false, then
    # narrowed away (multi-port Services of jaeger and rabbitmq, whose containers serve undeclared ports).
    codes = sorted({c for c, _ in POSITIVE})
    report = review(scan(SAMPLES / rel), ReviewConfig(select=codes))
    assert [f for f in report.findings if f.rule in codes] == []


# ---------------------------------------------------------------------------------------------- fixes


def _edits(f: Finding) -> list[tuple[Op, str, object]]:
    return [(e.op, path_text(e.path), e.value) for e in f.fix.edits]


def test_cn001_fix_forwards_to_the_one_port_the_pods_serve() -> None:
    (f,) = findings(FIXTURES / "CN001" / "positive.yaml", "CN001")
    assert f.fix.safety is Safety.UNSAFE and f.fix.edits[0].doc.kind == "Service"
    assert _edits(f) == [(Op.SET, "spec.ports[0].targetPort", 8080)]


def test_cn002_database_scaled_to_zero_gets_exactly_one_replica_never_more() -> None:
    """A single-writer database is given back its one writer; more replicas would be divergent copies."""
    (f,) = findings(FIXTURES / "CN002" / "positive.yaml", "CN002")
    assert f.fix.safety is Safety.UNSAFE
    assert [(e.doc.kind, e.doc.name) for e in f.fix.edits] == [("StatefulSet", "db")]
    assert _edits(f) == [(Op.SET, "spec.replicas", 1)]


@pytest.mark.parametrize("name", ["positive_compose.yml", "positive_compose_deploy.yml"])
def test_cn002_compose_fix_uses_compose_syntax(name: str) -> None:
    (f,) = findings(FIXTURES / "CN002" / name, "CN002")
    assert {e.doc.platform for e in f.fix.edits} == {"compose"}
    assert _edits(f) == [(Op.REMOVE, "services.db.scale", None), (Op.SET, "services.db.deploy.replicas", 1)]
    assert "spec" not in f.fix.snippet


def test_cn002_count_stated_in_redline_yaml_is_advice(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n"
        "  api:\n"
        "    image: example/api:1\n"
        "    environment:\n"
        "      DATABASE_URL: postgres://db:5432/app\n"
        "  db:\n"
        "    image: postgres:16\n"
    )
    (tmp_path / "redline.yaml").write_text("components:\n  db: {replicas: 0}\n")
    (f,) = findings(tmp_path, "CN002")
    assert f.fix.safety is Safety.ADVICE and "redline.yaml" in (f.fix.advice or "")


@pytest.mark.parametrize(
    ("name", "policy"),
    [("positive.yaml", "ClusterFirstWithHostNet"), ("positive_dns_none.yaml", "ClusterFirst")],
)
def test_cn003_fix_sets_a_cluster_dns_policy(name: str, policy: str) -> None:
    (f,) = findings(FIXTURES / "CN003" / name, "CN003")
    assert f.fix.safety is Safety.UNSAFE
    assert _edits(f) == [(Op.SET, "spec.template.spec.dnsPolicy", policy)]
