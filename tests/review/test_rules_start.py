"""Start rules (ST###): fixtures under fixtures/ST*/, each finding pinned exactly, and the samples."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphrules_helpers import FIXTURES, cases, findings
from objrules_helpers import catalog_problems
from tests.conftest import samples_dir

from redline.fix.edits import Safety
from redline.review.engine import ReviewConfig, review
from redline.review.rule import REGISTRY, Category, Severity
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


# ---------------------------------------------------------------------------------------- typed fixes


def _edits(code: str, case: str) -> dict[str | None, list[tuple[str, tuple[object, ...], object]]]:
    return {
        f.component: [(e.op.value, tuple(str(p) for p in e.path), e.value) for e in f.fix.edits]
        for f in findings(FIXTURES / code / case, code)
    }


def test_st001_fix_is_advice_naming_the_close_name() -> None:
    """Which object was meant is a guess even one letter away: no edit, the near name in the advice."""
    got = [
        (f.line, f.fix.safety, f.fix.advice) for f in findings(FIXTURES / "ST001" / "positive.yaml", "ST001")
    ]
    assert [(line, safety) for line, safety, _ in got] == [(n, Safety.ADVICE) for n in (25, 30, 37, 39)]
    assert "`payments` is defined and close to `paymnts`" in (got[0][2] or "")
    assert "optional: true" not in (got[0][2] or "")  # a ServiceAccount cannot be optional
    assert "`password` is defined and close to `pasword`" in (got[1][2] or "")
    assert "close to" not in (got[3][2] or "")  # `db` is not close to `db-tls`


def test_st002_raises_the_limit_so_the_heap_is_three_quarters_of_it() -> None:
    got = {f.component: f.fix for f in findings(FIXTURES / "ST002" / "positive.yaml", "ST002")}
    limits = {name: [e.value for e in fix.edits] for name, fix in got.items()}
    # -Xmx512m / 0.75 = 683 MiB, 460 / 0.75 = 613 MiB, GOMEMLIMIT 1 GiB / 0.9 = 1138 MiB: up to 128 MiB steps
    assert limits == {"accounts": ["768Mi"], "web": ["640Mi"], "api": ["1152Mi"], "search": []}
    assert got["search"].safety is Safety.ADVICE and "MaxRAMPercentage=75" in (got["search"].advice or "")
    assert all(got[n].safety is Safety.UNSAFE for n in ("accounts", "web", "api"))
    (path,) = [e.path for e in got["accounts"].edits]
    assert path[-3:] == ("resources", "limits", "memory") and str(path[-4]) == "[name=accounts]"


def test_st002_compose_limit_is_written_in_compose_syntax() -> None:
    assert _edits("ST002", "positive_compose.yaml") == {
        "accounts": [
            ("remove", ("services", "accounts", "mem_limit"), None),
            ("set", ("services", "accounts", "deploy", "resources", "limits", "memory"), "768Mi"),
        ],
        "web": [
            ("remove", ("services", "web", "mem_limit"), None),
            ("set", ("services", "web", "deploy", "resources", "limits", "memory"), "1280Mi"),
        ],
    }


def test_st003_raises_the_limit_to_twice_the_engine_floor() -> None:
    assert {name: [v for _, _, v in edits] for name, edits in _edits("ST003", "positive.yaml").items()} == {
        "mysql": ["512Mi"],
        "orders-db": ["256Mi"],
        "kafka": ["2Gi"],
    }
    assert _edits("ST003", "positive_compose.yaml") == {
        "users-db": [
            ("remove", ("services", "users-db", "mem_limit"), None),
            ("set", ("services", "users-db", "deploy", "resources", "limits", "memory"), "512Mi"),
        ]
    }


def test_st004_startup_probe_checks_the_port_or_command_liveness_checks(tmp_path: Path) -> None:
    (f,) = findings(FIXTURES / "ST004" / "positive.yaml", "ST004")
    assert f.fix.safety is Safety.UNSAFE
    # the liveness probe is httpGet on 8080: a tcpSocket on that port cannot lose a scheme or headers
    assert f.fix.edits[0].value == {"tcpSocket": {"port": 8080}, "periodSeconds": 10, "failureThreshold": 12}
    (tmp_path / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: billing}\nspec:\n"
        "  selector: {matchLabels: {app: billing}}\n  template:\n    metadata: {labels: {app: billing}}\n"
        "    spec:\n      containers:\n        - name: billing\n          image: eclipse-temurin:21\n"
        "          livenessProbe: {exec: {command: [cat, /tmp/alive]}, periodSeconds: 2}\n"
    )
    (g,) = findings(tmp_path, "ST004")
    assert g.fix.edits[0].value == {
        "exec": {"command": ["cat", "/tmp/alive"]},
        "periodSeconds": 10,
        "failureThreshold": 12,
    }


def test_st005_template_claim_is_advice_standalone_claim_and_mount_are_edits() -> None:
    by_name = {f.component: f.fix for f in findings(FIXTURES / "ST005" / "positive.yaml", "ST005")}
    assert by_name["pg"].safety is Safety.ADVICE  # a volumeClaimTemplate: its list position is not kept
    (mount,) = by_name["mongo"].edits
    assert mount.op.value == "remove" and str(mount.path[-2]) == "[mountPath=/data/db]"
    (claim,) = findings(FIXTURES / "ST005" / "positive_claim.yaml", "ST005")
    (edit,) = claim.fix.edits
    assert (edit.doc.kind, edit.doc.name, edit.doc.namespace) == (
        "PersistentVolumeClaim",
        "orders-data",
        "shop",
    )
    assert edit.path == ("spec", "accessModes") and edit.value == ["ReadWriteOnce"]


def test_start_rule_safety_attribute_is_the_best_fix_its_fixtures_get() -> None:
    got: dict[str, set[Safety]] = {}
    for code, path in POSITIVE:
        got.setdefault(code, set()).update(f.fix.safety for f in findings(path, code))
    best = {code: min(s, key=[Safety.SAFE, Safety.UNSAFE, Safety.ADVICE].index) for code, s in got.items()}
    assert best == {code: REGISTRY[code].fix_safety for code in got}
