"""Start rules (ST###): fixtures under fixtures/ST*/, each finding pinned exactly, and the samples."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphrules_helpers import FIXTURES, cases, findings
from objrules_helpers import catalog_problems
from tests.conftest import samples_dir

from redline.review.engine import ReviewConfig, review
from redline.review.rule import Category, Severity
from redline.sources.scan import scan

POSITIVE = cases("ST", "positive")
NEGATIVE = cases("ST", "negative")


@pytest.mark.parametrize(("code", "path"), POSITIVE, ids=[f"{c}-{p.name}" for c, p in POSITIVE])
def test_positive_fixture_triggers(code: str, path: Path) -> None:
    found = findings(path, code)
    assert found, f"{code} did not fire on {path}"
    for f in found:
        assert f.file and f.line and f.message and f.why and f.fix and f.tradeoff
        assert f.category is Category.START


@pytest.mark.parametrize(("code", "path"), NEGATIVE, ids=[f"{c}-{p.name}" for c, p in NEGATIVE])
def test_negative_fixture_is_silent(code: str, path: Path) -> None:
    assert findings(path, code) == []


def test_catalog() -> None:
    assert catalog_problems("ST", Category.START) == []


def _pinned(code: str) -> list[tuple[str, str | None, str | None, int | None, Severity, str]]:
    return [
        (f.rule, f.component, f.file, f.line, f.severity, f.message)
        for f in findings(FIXTURES / code / "positive.yaml", code)
    ]


# Every workload in the fixtures has no dependents and no traffic, so severity_for lowers each one step.


def test_st001_missing_references_exact() -> None:
    assert _pinned("ST001") == [
        (
            "ST001",
            "payments",
            "positive.yaml",
            25,
            Severity.MEDIUM,
            "`payments` needs ServiceAccount `paymnts`, which the repository does not define in namespace "
            "`shop` (serviceAccountName; defined ServiceAccounts: `payments`)",
        ),
        (
            "ST001",
            "payments",
            "positive.yaml",
            30,
            Severity.MEDIUM,
            "container `app` of `payments` needs key `pasword` of Secret `db`, which has no such key "
            "(env DB_PASSWORD; defined keys: `password`)",
        ),
        (
            "ST001",
            "payments",
            "positive.yaml",
            37,
            Severity.MEDIUM,
            "container `app` of `payments` needs ConfigMap `app-conf`, which the repository does not define "
            "in namespace `shop` (envFrom; defined ConfigMaps: `app-config`)",
        ),
        (
            "ST001",
            "payments",
            "positive.yaml",
            39,
            Severity.MEDIUM,
            "`payments` needs Secret `db-tls`, which the repository does not define in namespace `shop` "
            "(volume tls; defined Secrets: `db`)",
        ),
    ]


def test_st001_never_prints_secret_values() -> None:
    for f in findings(FIXTURES / "ST001" / "positive.yaml", "ST001"):
        assert "not-shown" not in f.model_dump_json()


def test_st001_missing_pvc_and_volume_key(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\n"
        "spec: {accessModes: [ReadWriteOnce]}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf}\ndata: {app.yaml: 'a: 1'}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers: [{name: web, image: nginx}]\n      volumes:\n"
        "        - name: state\n          persistentVolumeClaim: {claimName: dta}\n"
        "        - name: conf\n          configMap: {name: conf, items: [{key: app.yml, path: a}]}\n"
    )
    got = [(f.line, f.message) for f in findings(tmp_path, "ST001")]
    assert got == [
        (
            21,
            "`web` needs PersistentVolumeClaim `dta`, which the repository does not define in namespace "
            "`default` (volume state; defined PersistentVolumeClaims: `data`)",
        ),
        (
            23,
            "`web` needs key `app.yml` of ConfigMap `conf`, which has no such key (volume conf; defined "
            "keys: `app.yaml`)",
        ),
    ]


def test_st002_heap_against_limit_exact() -> None:
    assert _pinned("ST002") == [
        (
            "ST002",
            "accounts",
            "positive.yaml",
            14,
            Severity.MEDIUM,
            "container `accounts` of `accounts`: the JVM heap may grow to 512 MiB, at or above the 512 MiB "
            "memory limit, and metaspace, thread stacks and the code cache come on top",
        ),
        (
            "ST002",
            "web",
            "positive.yaml",
            30,
            Severity.LOW,
            "container `web` of `web`: the Node.js heap may grow to 460 MiB, 90% of the 512 MiB memory "
            "limit, leaving too little for V8's young generation and code space",
        ),
        (
            "ST002",
            "api",
            "positive.yaml",
            46,
            Severity.LOW,
            "container `api` of `api`: GOMEMLIMIT 1 GiB is at or above the 512 MiB memory limit: the Go "
            "collector never tightens before the kernel kills the container",
        ),
        (
            "ST002",
            "search",
            "positive.yaml",
            61,
            Severity.LOW,
            "container `search` of `search`: -XX:MaxRAMPercentage=95 lets the JVM heap take 95% of the 1 GiB "
            "memory limit, leaving too little for metaspace, thread stacks and the code cache",
        ),
    ]
    (f, *_) = findings(FIXTURES / "ST002" / "positive.yaml", "ST002")
    assert f.evidence == ["positive.yaml:13 env JAVA_OPTS: -Xmx512m"]


def test_st003_datastore_floor_exact() -> None:
    assert _pinned("ST003") == [
        (
            "ST003",
            "mysql",
            "positive.yaml",
            12,
            Severity.MEDIUM,
            "mysql `mysql` has a 10 MiB memory limit, below the 256 MiB its engine takes by default: InnoDB's "
            "buffer pool is 128 MiB by default and MySQL 8's performance schema and per-connection buffers "
            "add well over 100 MiB more",
        ),
        (
            "ST003",
            "orders-db",
            "positive.yaml",
            26,
            Severity.MEDIUM,
            "postgres `orders-db` has a 100 MiB memory limit, below the 128 MiB its engine takes by default: "
            "shared_buffers is 128 MB by default, and shared memory counts against the container's limit",
        ),
        (
            "ST003",
            "kafka",
            "positive.yaml",
            40,
            Severity.MEDIUM,
            "kafka `kafka` has a 512 MiB memory limit, below the 1 GiB its engine takes by default: Kafka's "
            "start script runs the broker with -Xmx1G -Xms1G unless KAFKA_HEAP_OPTS says otherwise",
        ),
    ]


def test_st004_liveness_kills_slow_starter_exact() -> None:
    assert _pinned("ST004") == [
        (
            "ST004",
            "accounts",
            "positive.yaml",
            14,
            Severity.LOW,
            "container `accounts` of `accounts` is a JVM/.NET service (image eclipse-temurin:21) whose liveness "
            "probe, with no startup probe, kills it if it has not started after 25 s (initialDelaySeconds 10 "
            "+ failureThreshold 3 x periodSeconds 5) under a 200m CPU limit; such services need 60 s or more",
        )
    ]


SAMPLE_TARGETS = [
    "online-boutique",
    "sock-shop",
    "retail-store-sample-app",
    "deathstarbench",
    "spring-petclinic-microservices",
    "full-stack-fastapi-template",
]


@pytest.mark.parametrize("target", SAMPLE_TARGETS)
def test_samples_have_no_start_findings(target: str) -> None:
    # Read against the files: every ConfigMap, Secret, PVC and ServiceAccount the samples reference and
    # define resolves (61 references checked where the kind is defined in the namespace); sock-shop's
    # -Xmx128m under a 500M limit and retail-store's MaxRAMPercentage=75 leave headroom; no datastore
    # sets a memory limit; no liveness-probed container is recognisably a JVM/.NET service (online-boutique's
    # Java adservice and .NET cartservice are built images named after the service, so ST004 cannot tell).
    report = review(scan(samples_dir(target)), ReviewConfig(select=["ST001", "ST002", "ST003", "ST004"]))
    assert [f for f in report.findings if f.rule.startswith("ST")] == []
