"""Schedule rules (SD###): fixtures under fixtures/SD*/, each finding pinned exactly; LimitRange defaults
counted by OP005/OP006; and silence on every sample (none of them states a LimitRange, a ResourceQuota or a
clashing host port: read, not assumed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphrules_helpers import FIXTURES, cases, findings
from objrules_helpers import SAMPLES, catalog_problems

from redline.fix.edits import Fix, Op, Safety, path_text
from redline.review.engine import ReviewConfig, review
from redline.review.rule import Category, Severity
from redline.sources.scan import scan

POSITIVE = cases("SD", "positive")
NEGATIVE = cases("SD", "negative")


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
    assert catalog_problems("SD", Category.SCHEDULE) == []


def _one(code: str, name: str) -> tuple[str | None, str | None, int | None, Severity, str]:
    (f,) = findings(FIXTURES / code / name, code)
    return f.component, f.file, f.line, f.severity, f.message


def test_sd001_request_above_the_default_limit() -> None:
    assert _one("SD001", "positive.yaml") == (
        "api",
        "positive.yaml",
        28,  # the container's resources:
        Severity.MEDIUM,  # nothing calls it and no Service selects it: one step down
        "container `server` of `api`: memory request 512Mi with no limit is above the default limit 256Mi "
        "of LimitRange `mem` in namespace `shop`: the API server rejects its pods",
    )


def test_sd001_limit_above_the_max() -> None:
    assert _one("SD001", "positive_max.yaml") == (
        "worker",
        "positive_max.yaml",
        24,
        Severity.MEDIUM,
        "container `main` of `worker`: cpu limit 1500m is above the max 1 of LimitRange `caps` in namespace "
        "`default`: the API server rejects its pods",
    )


def test_sd002_sum_of_requests_over_the_quota() -> None:
    assert _one("SD002", "positive.yaml") == (
        None,
        "positive.yaml",
        1,  # the ResourceQuota
        Severity.HIGH,
        "ResourceQuota `team` of namespace `shop` allows requests.memory 1Gi, but its workloads need 1.25Gi "
        "at their replica counts (`api` 3 × 256Mi; `worker` 2 × 256Mi): the pods past the quota are refused",
    )


def test_sd002_hpa_max_over_the_pod_quota() -> None:
    assert _one("SD002", "positive_hpa.yaml") == (
        None,
        "positive_hpa.yaml",
        1,
        Severity.MEDIUM,
        "ResourceQuota `team` of namespace `default` allows pods 6, but its workloads need 10 when every HPA "
        "is at maxReplicas (`api` 10): the pods past the quota are refused",
    )


def test_sd002_tracked_resource_left_unset() -> None:
    assert _one("SD002", "positive_unset.yaml") == (
        "api",
        "positive_unset.yaml",
        9,  # the Deployment
        Severity.MEDIUM,
        "ResourceQuota `team` of namespace `default` tracks limits.memory, which a container of `api` does "
        "not set (and no LimitRange defaults): every pod of it is rejected",
    )


def test_sd003_two_compose_services_on_one_host_port() -> None:
    assert _one("SD003", "positive.yml") == (
        "web",
        "positive.yml",
        5,
        Severity.HIGH,
        "`web` and `admin` both publish host port 8080/TCP: the second to start fails with `port is "
        "already allocated`",
    )


def test_sd003_compose_replicas_on_a_fixed_host_port() -> None:
    assert _one("SD003", "positive_replicas.yml") == (
        "api",
        "positive_replicas.yml",
        7,
        Severity.HIGH,
        "`api` runs 3 replicas that all publish host port 9000/TCP: only the first binds it, the others fail "
        "with `port is already allocated`",
    )


def test_sd003_pod_on_a_daemonset_host_port() -> None:
    f = findings(FIXTURES / "SD003" / "positive_daemonset.yaml", "SD003")[0]
    assert (f.component, f.file, f.line, f.severity, f.message) == (
        "metrics-proxy",
        "positive_daemonset.yaml",
        34,  # the proxy's port entry (- containerPort: 8080)
        Severity.MEDIUM,
        "`metrics-proxy` binds hostPort 9100/TCP, which DaemonSet `node-exporter` holds on every node: its "
        "pods fit no node and stay Pending",
    )
    assert f.evidence == ["positive_daemonset.yaml:16 `node-exporter` binds 9100/TCP"]


def test_sd004_affinity_to_labels_nobody_carries() -> None:
    assert _one("SD004", "positive.yaml") == (
        "api",
        "positive.yaml",
        31,  # the required term
        Severity.MEDIUM,
        "`api` requires pod affinity to app=redis-cache (topologyKey kubernetes.io/hostname), but no pod in "
        "namespace `default` carries those labels: its pods stay Pending",
    )


def test_sd005_affinity_and_anti_affinity_to_the_same_pods() -> None:
    (f,) = findings(FIXTURES / "SD005" / "positive.yaml", "SD005")
    assert (f.component, f.file, f.line, f.severity, f.message) == (
        "web",
        "positive.yaml",
        16,
        Severity.MEDIUM,
        "`web` requires both pod affinity and anti-affinity to app=web on topologyKey "
        "kubernetes.io/hostname: only the first of its 3 replicas can be placed",
    )
    assert f.evidence == ["positive.yaml:21 the anti-affinity term"]


@pytest.mark.parametrize("code", ["OP005", "OP006"])
def test_limitrange_defaults_count_as_set(code: str, tmp_path: Path) -> None:
    """A namespace LimitRange default is applied by the API server: no "no resources"/"no memory limit"."""
    fixture = FIXTURES / code / "negative_limitrange.yaml"
    assert findings(fixture, code) == []
    alone = tmp_path / "alone.yaml"
    alone.write_text(fixture.read_text().split("---\n", 1)[1])  # the same Deployment, no LimitRange
    (f,) = findings(alone, code)
    assert f.component == "api"


SAMPLE_TARGETS = [
    "online-boutique",
    "sock-shop",
    "deathstarbench",
    "retail-store-sample-app",
    "full-stack-fastapi-template",
    "spring-petclinic-microservices",
]


@pytest.mark.samples
@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"samples folder {SAMPLES} absent")
@pytest.mark.parametrize("rel", SAMPLE_TARGETS)
def test_samples_have_no_schedule_findings(rel: str) -> None:
    report = review(scan(SAMPLES / rel), ReviewConfig(select=["SD001", "SD002", "SD003", "SD004", "SD005"]))
    assert report.findings == []


# ---------------------------------------------------------------------------------------------- fixes


def _fix(code: str, name: str) -> Fix:
    (f,) = findings(FIXTURES / code / name, code)
    return f.fix


def _edits(fix: Fix) -> list[tuple[Op, str, object]]:
    return [(e.op, path_text(e.path), e.value) for e in fix.edits]


def test_sd001_limit_set_to_the_request_the_default_would_undercut() -> None:
    fix = _fix("SD001", "positive.yaml")
    assert fix.safety is Safety.UNSAFE
    assert _edits(fix) == [
        (Op.SET, "spec.template.spec.containers[name=server].resources.limits.memory", "512Mi")
    ]


def test_sd001_limit_above_the_max_is_lowered_to_the_max() -> None:
    assert _edits(_fix("SD001", "positive_max.yaml")) == [
        (Op.SET, "spec.template.spec.containers[name=main].resources.limits.cpu", "1")
    ]


def test_sd002_quota_raised_to_exactly_what_the_workloads_need() -> None:
    fix = _fix("SD002", "positive.yaml")
    assert fix.safety is Safety.UNSAFE
    assert [e.doc.kind for e in fix.edits] == ["ResourceQuota"]
    assert _edits(fix) == [(Op.SET, "spec.hard.requests.memory", "1280Mi")]  # 5 × 256Mi
    assert _edits(_fix("SD002", "positive_hpa.yaml")) == [(Op.SET, "spec.hard.pods", "10")]  # as quoted


def test_sd002_unset_resources_are_advice_never_invented_values() -> None:
    fix = _fix("SD002", "positive_unset.yaml")
    assert fix.safety is Safety.ADVICE and not fix.edits and fix.example is None


def test_sd003_compose_host_ports_are_advice_in_compose_syntax() -> None:
    pair = _fix("SD003", "positive.yml")
    assert pair.safety is Safety.ADVICE and not pair.edits
    replicas = _fix("SD003", "positive_replicas.yml")
    assert replicas.safety is Safety.ADVICE
    assert replicas.example == {"services": {"api": {"ports": ["9000"]}}}


def test_sd003_pod_on_a_daemonset_host_port_loses_its_host_port() -> None:
    (f, *_) = findings(FIXTURES / "SD003" / "positive_daemonset.yaml", "SD003")
    assert f.fix.safety is Safety.UNSAFE
    assert _edits(f.fix) == [
        (Op.REMOVE, "spec.template.spec.containers[name=proxy].ports[containerPort=8080].hostPort", None)
    ]


def test_sd004_unsatisfiable_affinity_becomes_preferred_with_the_same_term() -> None:
    fix = _fix("SD004", "positive.yaml")
    hard = "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    soft = "spec.template.spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution"
    term = {"labelSelector": {"matchLabels": {"app": "redis-cache"}}, "topologyKey": "kubernetes.io/hostname"}
    assert _edits(fix) == [(Op.REMOVE, hard, None), (Op.ADD, soft, {"weight": 100, "podAffinityTerm": term})]


def test_sd005_contradiction_keeps_the_anti_affinity() -> None:
    assert _edits(_fix("SD005", "positive.yaml")) == [
        (
            Op.REMOVE,
            "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution",
            None,
        )
    ]


def test_sd001_memory_is_never_lowered_by_an_edit() -> None:
    """Memory is not compressible: a database above the LimitRange max gets advice, not a smaller limit."""
    fix = _fix("SD001", "positive_memory_max.yaml")
    assert fix.safety is Safety.ADVICE and not fix.edits
    assert "Raise the LimitRange's max" in (fix.advice or "")


def test_sd002_quota_is_raised_to_the_autoscalers_peak_in_one_step() -> None:
    # 4 pods now, HPA maxReplicas 6: raising the quota to 4 would only move the finding to the peak.
    assert _edits(_fix("SD002", "positive_peak.yaml")) == [(Op.SET, "spec.hard.pods", 6)]
