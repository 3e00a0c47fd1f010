"""The fix engine: each outcome produced by a real case, with the files it writes pinned.

Every case runs the real scan, review, schema validation and re-review on files in a temporary folder;
the rules are written by the test (tests/fix/conftest.py) so each outcome is produced on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from redline.fix.edits import DocRef, Edit, Match, NewObject, Op, Safety, advice, safe, unsafe
from redline.fix.engine import FixError, NewObjects, fix
from redline.fix.result import Outcome, Reason
from redline.review.context import Context
from redline.review.rule import Finding, Rule
from tests.fix.conftest import Rules, finding_on, pod_edit, ref_of, snapshot, write

API = """\
# The API server: comments must survive every edit.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api   # inline comment
  labels: {app: api}
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: "example/api:1.0"   # quoted, on purpose
          env:
            - name: MODE
              value: 'fast'
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
"""

# API after `terminationGracePeriodSeconds: 45` is set in the pod spec: one line added, nothing else moved.
API_GRACE = API.replace(
    "              value: 'fast'\n---",
    "              value: 'fast'\n      terminationGracePeriodSeconds: 45\n---",
)

COMPOSE = """\
services:
  web:
    image: "example/web:2.1"   # pinned
    ports: ["8080:80"]
  db:
    image: postgres:16
    restart: always
"""


def grace(value: Any = 45) -> Any:
    """A check: every Kubernetes workload without a termination grace period gets a safe fix setting it."""

    def check(rule: Rule, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform == "kubernetes" and c.termination_grace_s is None:
                edit = pod_edit(c, Op.SET, "terminationGracePeriodSeconds", value=value)
                yield finding_on(rule, c, safe(f"set a {value} s grace period", edit))

    return check


def restart(rule: Rule, ctx: Context) -> Iterator[Finding]:
    """Every Compose service without a restart policy gets a safe fix setting one."""
    for c in ctx.system.components:
        if c.platform == "compose" and not c.restart_policy:
            edit = Edit(
                doc=ref_of(c), op=Op.SET, path=("services", c.name, "restart"), value="unless-stopped"
            )
            yield finding_on(rule, c, safe("restart unless stopped", edit))


def test_safe_fix_is_written_keeping_comments_quoting_order_and_indentation(
    tmp_path: Path, rules: Rules
) -> None:
    rules.add("ZZ901", grace())
    write(tmp_path, {"api.yaml": API})
    result = fix(tmp_path, config=rules.config())
    assert (tmp_path / "api.yaml").read_text() == API_GRACE
    [record] = result.fixes
    assert (record.finding.rule, record.finding.component, record.finding.file, record.finding.line) == (
        "ZZ901",
        "api",
        "api.yaml",
        2,
    )
    assert (record.outcome, record.reason, record.files) == (Outcome.APPLIED, None, ["api.yaml"])
    assert (result.findings_before, result.findings_after, result.remaining, result.reviews) == (1, 0, 0, 1)
    [change] = result.files
    assert (change.file, change.created, change.fixes) == ("api.yaml", False, [0])
    assert "+      terminationGracePeriodSeconds: 45\n" in change.diff


def test_second_run_changes_nothing(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ901", grace())
    write(tmp_path, {"api.yaml": API})
    fix(tmp_path, config=rules.config())
    before = snapshot(tmp_path)
    again = fix(tmp_path, config=rules.config())
    assert (again.fixes, again.files, again.reviews) == ([], [], 0)
    assert snapshot(tmp_path) == before


def test_diff_writes_nothing_and_returns_the_diff(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ901", grace())
    write(tmp_path, {"api.yaml": API})
    before = snapshot(tmp_path)
    result = fix(tmp_path, config=rules.config(), diff=True)
    assert snapshot(tmp_path) == before
    assert [r.outcome for r in result.fixes] == [Outcome.WOULD_APPLY]
    assert result.remaining == 1  # nothing was written: the finding is still there on disk
    assert result.files[0].diff == (
        "--- a/api.yaml\n"
        "+++ b/api.yaml\n"
        "@@ -18,6 +18,7 @@\n"
        "           env:\n"
        "             - name: MODE\n"
        "               value: 'fast'\n"
        "+      terminationGracePeriodSeconds: 45\n"
        " ---\n"
        " apiVersion: v1\n"
        " kind: Service\n"
    )


def test_compose_fix_is_written_and_validated(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ901", restart)
    write(tmp_path, {"compose.yaml": COMPOSE})
    result = fix(tmp_path, config=rules.config())
    assert (tmp_path / "compose.yaml").read_text() == COMPOSE.replace(
        'ports: ["8080:80"]\n', 'ports: ["8080:80"]\n    restart: unless-stopped\n'
    )
    assert [(r.finding.component, r.outcome) for r in result.fixes] == [("web", Outcome.APPLIED)]


def test_crlf_line_ends_are_kept(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ901", grace())
    (tmp_path / "api.yaml").write_bytes(API.replace("\n", "\r\n").encode())
    fix(tmp_path, config=rules.config())
    assert (tmp_path / "api.yaml").read_bytes() == API_GRACE.replace("\n", "\r\n").encode()


def test_unsafe_fix_needs_the_flag(tmp_path: Path, rules: Rules) -> None:
    def scale(rule: Rule, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.replicas == 2:
                edit = Edit(doc=ref_of(c), op=Op.SET, path=("spec", "replicas"), value=3)
                yield finding_on(rule, c, unsafe("run 3 replicas", edit))

    rules.add("ZZ902", scale)
    write(tmp_path, {"api.yaml": API})
    skipped = fix(tmp_path, config=rules.config())
    assert [(r.outcome, r.detail) for r in skipped.fixes] == [
        (Outcome.SKIPPED_UNSAFE, "unsafe: pass --unsafe-fixes to apply it")
    ]
    assert (tmp_path / "api.yaml").read_text() == API
    assert skipped.remaining == 1
    applied = fix(tmp_path, config=rules.config(), unsafe=True)
    assert [r.outcome for r in applied.fixes] == [Outcome.APPLIED]
    assert (tmp_path / "api.yaml").read_text() == API.replace("replicas: 2", "replicas: 3")


def test_advice_is_reported_never_applied(tmp_path: Path, rules: Rules) -> None:
    def told(rule: Rule, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            yield finding_on(rule, c, advice("use an operator", "run it with an operator instead"))

    rules.add("ZZ903", told)
    write(tmp_path, {"api.yaml": API})
    result = fix(tmp_path, config=rules.config(), unsafe=True)
    assert [(r.outcome, r.reason, r.detail) for r in result.fixes] == [
        (Outcome.ADVICE, Reason.ADVICE_ONLY, "run it with an operator instead")
    ]
    assert (result.reviews, result.remaining) == (0, 0)


def _fix_for(file: str, kind: str = "Deployment", name: str = "api") -> Any:
    """A check proposing one safe edit of the document ``kind/name`` in ``file`` (on component api)."""

    def check(rule: Rule, ctx: Context) -> Iterator[Finding]:
        c = ctx.system.components[0]
        ref = DocRef(file=file, platform="kubernetes", kind=kind, name=name)
        edit = Edit(doc=ref, op=Op.SET, path=("spec", "replicas"), value=4)
        yield finding_on(rule, c, safe("four replicas", edit))

    return check


def test_helm_chart_file_is_advice(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ904", _fix_for("chart/templates/api.yaml"))
    write(tmp_path, {"api.yaml": API, "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n"})
    write(tmp_path, {"chart/templates/api.yaml": API})
    result = fix(tmp_path, config=rules.config())
    [record] = result.fixes
    assert (record.outcome, record.reason) == (Outcome.ADVICE, Reason.HELM_TEMPLATE)
    assert record.detail is not None and "belongs to the Helm chart chart" in record.detail
    assert (tmp_path / "chart/templates/api.yaml").read_text() == API


def test_file_outside_the_repository_is_advice(tmp_path: Path, rules: Rules) -> None:
    repo = tmp_path / "repo"
    write(repo, {"api.yaml": API})
    write(tmp_path, {"shared/api.yaml": API})
    rules.add("ZZ905", _fix_for("../shared/api.yaml"))
    result = fix(repo, config=rules.config(), root=repo)
    [record] = result.fixes
    assert (record.outcome, record.reason) == (Outcome.ADVICE, Reason.OUTSIDE_ROOT)
    assert (tmp_path / "shared/api.yaml").read_text() == API


def test_schema_error_rejects_the_fix_with_the_path(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ906", grace("forty-five"))
    write(tmp_path, {"api.yaml": API})
    result = fix(tmp_path, config=rules.config())
    [record] = result.fixes
    assert (record.outcome, record.reason) == (Outcome.REJECTED, Reason.SCHEMA_ERROR)
    assert record.detail == (
        "api.yaml: Deployment/api: spec.template.spec.terminationGracePeriodSeconds: "
        "'forty-five' is not of type 'integer', 'null' (Kubernetes 1.33 schema)"
    )
    assert (tmp_path / "api.yaml").read_text() == API
    assert result.remaining == 1


def test_compose_schema_error_rejects_the_fix(tmp_path: Path, rules: Rules) -> None:
    def bad(rule: Rule, ctx: Context) -> Iterator[Finding]:
        c = next(c for c in ctx.system.components if c.name == "web")
        edit = Edit(doc=ref_of(c), op=Op.SET, path=("services", "web", "restart"), value=5)
        yield finding_on(rule, c, safe("restart", edit))

    rules.add("ZZ907", bad)
    write(tmp_path, {"compose.yaml": COMPOSE})
    [record] = fix(tmp_path, config=rules.config()).fixes
    assert (record.outcome, record.reason, record.detail) == (
        Outcome.REJECTED,
        Reason.SCHEMA_ERROR,
        "compose.yaml: compose file: services.web.restart: 5 is not of type 'string' "
        "(Compose Specification schema)",
    )


def test_unknown_key_is_a_schema_error(tmp_path: Path, rules: Rules) -> None:
    """Strict schemas: a misspelt field is refused, not written."""

    def typo(rule: Rule, ctx: Context) -> Iterator[Finding]:
        c = ctx.system.components[0]
        yield finding_on(rule, c, safe("typo", pod_edit(c, Op.SET, "terminationGracePeriod", value=30)))

    rules.add("ZZ908", typo)
    write(tmp_path, {"api.yaml": API})
    [record] = fix(tmp_path, config=rules.config()).fixes
    assert record.reason is Reason.SCHEMA_ERROR
    assert record.detail is not None and "'terminationGracePeriod' was unexpected" in record.detail


def test_edit_error_rejects_the_fix(tmp_path: Path, rules: Rules) -> None:
    def nowhere(rule: Rule, ctx: Context) -> Iterator[Finding]:
        c = ctx.system.components[0]
        ref = DocRef(file="api.yaml", platform="kubernetes", kind="Deployment", name="gone")
        yield finding_on(rule, c, safe("x", Edit(doc=ref, op=Op.SET, path=("spec", "replicas"), value=3)))

    rules.add("ZZ909", nowhere)
    write(tmp_path, {"api.yaml": API})
    [record] = fix(tmp_path, config=rules.config()).fixes
    assert (record.outcome, record.reason, record.detail) == (
        Outcome.REJECTED,
        Reason.EDIT_ERROR,
        "api.yaml holds 0 documents that are Deployment/gone: cannot tell where to edit",
    )


def test_finding_not_gone_rejects_the_fix(tmp_path: Path, rules: Rules) -> None:
    def useless(rule: Rule, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            edit = Edit(doc=ref_of(c), op=Op.SET, path=("metadata", "annotations", "note"), value="x")
            yield finding_on(rule, c, safe("annotate", edit))

    rules.add("ZZ910", useless)
    write(tmp_path, {"api.yaml": API})
    [record] = fix(tmp_path, config=rules.config()).fixes
    assert (record.outcome, record.reason, record.detail) == (
        Outcome.REJECTED,
        Reason.NOT_GONE,
        "the re-review still reports ZZ910 on api",
    )
    assert (tmp_path / "api.yaml").read_text() == API


def test_new_finding_rejects_the_fix(tmp_path: Path, rules: Rules) -> None:
    """A fix that makes another rule fire is rejected, and the finding it would cause is named."""

    def too_long(rule: Rule, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if (c.termination_grace_s or 0) > 300:
                yield finding_on(rule, c, advice("shorter", "keep it under 300 s"), "grace too long")

    rules.add("ZZ901", grace(600))
    rules.add("ZZ911", too_long)
    write(tmp_path, {"api.yaml": API})
    [record] = fix(tmp_path, config=rules.config()).fixes
    assert (record.outcome, record.reason, record.detail) == (
        Outcome.REJECTED,
        Reason.NEW_FINDING,
        "new finding ZZ911 at api.yaml:2: grace too long",
    )


def test_changed_components_reject_the_fix(tmp_path: Path, rules: Rules) -> None:
    def rename(rule: Rule, ctx: Context) -> Iterator[Finding]:
        c = ctx.system.components[0]
        if c.name == "api":
            edit = Edit(doc=ref_of(c), op=Op.SET, path=("metadata", "name"), value="api2")
            yield finding_on(rule, c, safe("rename", edit))

    rules.add("ZZ912", rename)
    write(tmp_path, {"api.yaml": API})
    [record] = fix(tmp_path, config=rules.config()).fixes
    assert (record.outcome, record.reason, record.detail) == (
        Outcome.REJECTED,
        Reason.COMPONENTS_CHANGED,
        "the re-scan no longer reads api and now reads api2",
    )


def test_overlapping_fix_is_rejected_not_merged(tmp_path: Path, rules: Rules) -> None:
    def whole(rule: Rule, ctx: Context) -> Iterator[Finding]:
        c = ctx.system.components[0]
        pod = {"containers": [{"name": "api", "image": "example/api:1.1"}]}
        yield finding_on(rule, c, safe("replace the pod spec", pod_edit(c, Op.SET, value=pod)))

    rules.add("ZZ901", grace())
    rules.add("ZZ913", whole)
    write(tmp_path, {"api.yaml": API})
    result = fix(tmp_path, config=rules.config())
    [one, two] = sorted(result.fixes, key=lambda r: r.finding.rule)
    assert one.outcome is Outcome.APPLIED
    assert (two.outcome, two.reason, two.detail) == (
        Outcome.REJECTED,
        Reason.CONFLICT,
        "its edit at spec.template.spec in api.yaml (Deployment/api) overlaps the fix of "
        "ZZ901 on api (spec.template.spec.terminationGracePeriodSeconds): rejected, not merged",
    )


def _deployment(name: str) -> str:
    """API's Deployment (without its Service), named ``name``."""
    head = API.split("\n---\n")[0]
    return head.replace("name: api ", f"name: {name} ").replace("app: api", f"app: {name}")


FOUR = "\n---\n".join(_deployment(n) for n in ("a1", "a2", "a3", "a4")) + "\n"


def _mixed(rule: Rule, ctx: Context) -> Iterator[Finding]:
    """A grace period for every workload: 45 s, but 600 s (too long) for a3."""
    for c in ctx.system.components:
        if c.termination_grace_s is None:
            value = 600 if c.name == "a3" else 45
            edit = pod_edit(c, Op.SET, "terminationGracePeriodSeconds", value=value)
            yield finding_on(rule, c, safe("grace", edit))


def test_one_bad_fix_costs_only_itself(tmp_path: Path, rules: Rules) -> None:
    """Four fixes in one batch, one of them bad (it makes another rule fire): bisection keeps the three."""

    def too_long(rule: Rule, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if (c.termination_grace_s or 0) > 300:
                yield finding_on(rule, c, advice("shorter", "keep it under 300 s"), "grace too long")

    rules.add("ZZ901", _mixed)
    rules.add("ZZ911", too_long)
    write(tmp_path, {"four.yaml": FOUR})
    result = fix(tmp_path, config=rules.config())
    assert sorted((r.finding.component, r.outcome, r.reason) for r in result.fixes) == [
        ("a1", Outcome.APPLIED, None),
        ("a2", Outcome.APPLIED, None),
        ("a3", Outcome.REJECTED, Reason.NEW_FINDING),
        ("a4", Outcome.APPLIED, None),
    ]
    text = (tmp_path / "four.yaml").read_text()
    assert (text.count("terminationGracePeriodSeconds: 45"), text.count("600")) == (3, 0)


def test_review_cap_rejects_what_it_could_not_verify(tmp_path: Path, rules: Rules) -> None:
    """A failure no fix is pointed at (a finding on no component) needs bisection; with a cap of one
    re-review nothing can be verified, so nothing is written."""

    def too_long(rule: Rule, ctx: Context) -> Iterator[Finding]:
        if any((c.termination_grace_s or 0) > 300 for c in ctx.system.components):
            fx = advice("shorter", "keep it under 300 s")
            yield rule.finding(
                component=None, file="four.yaml", line=None, message="too long", why="", fix=fx, tradeoff=""
            )

    rules.add("ZZ901", _mixed)
    rules.add("ZZ911", too_long)
    write(tmp_path, {"four.yaml": FOUR})
    result = fix(tmp_path, config=rules.config(), max_reviews=1)
    assert result.reviews == 1
    assert {(r.outcome, r.reason) for r in result.fixes} == {(Outcome.REJECTED, Reason.REVIEW_CAP)}
    assert result.fixes[0].detail == "not verified: the cap of 1 re-reviews was reached first"
    assert (tmp_path / "four.yaml").read_text() == FOUR
    uncapped = fix(tmp_path, config=rules.config())
    assert sorted((r.finding.component, r.outcome) for r in uncapped.fixes) == [
        ("a1", Outcome.APPLIED),
        ("a2", Outcome.APPLIED),
        ("a3", Outcome.REJECTED),
        ("a4", Outcome.APPLIED),
    ]
    # all four fail; a1+a2 pass; a3+a4 fail; a3 alone fails (rejected); a4 passes: five re-reviews
    assert uncapped.reviews == 5


PDB = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "api"},
    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "api"}}},
}


def budget(rule: Rule, ctx: Context) -> Iterator[Finding]:
    for c in ctx.system.components:
        if c.platform == "kubernetes" and not c.disruption_budgets:
            new = NewObject(beside=ref_of(c), file_name=f"{c.name}-pdb.yaml", document=PDB)
            yield finding_on(rule, c, safe("add a PodDisruptionBudget", creates=(new,)))


PDB_TEXT = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: api
"""


def test_new_object_beside_the_workload(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ915", budget)
    write(tmp_path, {"api.yaml": API})
    result = fix(tmp_path, config=rules.config())
    assert [r.outcome for r in result.fixes] == [Outcome.APPLIED]
    assert (tmp_path / "api-pdb.yaml").read_text() == PDB_TEXT
    assert (tmp_path / "api.yaml").read_text() == API
    assert [(c.file, c.created) for c in result.files] == [("api-pdb.yaml", True)]


def test_new_object_appended_to_the_workload_file(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ915", budget)
    write(tmp_path, {"api.yaml": API})
    fix(tmp_path, config=rules.config(), new_objects=NewObjects.APPEND)
    assert (tmp_path / "api.yaml").read_text() == API + "---\n" + PDB_TEXT
    assert not (tmp_path / "api-pdb.yaml").exists()


def test_new_object_beside_a_kustomize_base_is_listed_in_its_resources(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ915", budget)
    kust = "# the base\nresources:\n  - api.yaml   # the workload\n"
    write(tmp_path, {"base/api.yaml": API, "base/kustomization.yaml": kust})
    result = fix(tmp_path, config=rules.config())
    assert [r.outcome for r in result.fixes] == [Outcome.APPLIED]
    assert (tmp_path / "base/kustomization.yaml").read_text() == kust + "  - api-pdb.yaml\n"
    assert (tmp_path / "base/api-pdb.yaml").read_text() == PDB_TEXT


def test_secrets_are_masked_in_diffs(tmp_path: Path, rules: Rules) -> None:
    text = API.replace(
        "- name: MODE\n              value: 'fast'",
        "- name: DB_PASSWORD\n              value: 'hunter2hunter2'",
    )

    def from_secret(rule: Rule, ctx: Context) -> Iterator[Finding]:
        c = ctx.system.components[0]
        if any(e.value for e in c.env()):
            ref = {"secretKeyRef": {"name": "db", "key": "password"}}
            edits = [
                pod_edit(c, Op.REMOVE, "containers", *_env("api", "DB_PASSWORD"), "value"),
                pod_edit(c, Op.SET, "containers", *_env("api", "DB_PASSWORD"), "valueFrom", value=ref),
            ]
            yield finding_on(rule, c, safe("read it from a Secret", *edits))

    rules.add("ZZ916", from_secret)
    write(tmp_path, {"api.yaml": text})
    result = fix(tmp_path, config=rules.config(), diff=True)
    assert [r.outcome for r in result.fixes] == [Outcome.WOULD_APPLY]
    diff = result.files[0].diff
    assert "hunter2hunter2" not in diff
    assert "-              value: 'hu****'\n" in diff


def _env(container: str, name: str) -> tuple[Any, ...]:
    return (Match(key="name", value=container), "env", Match(key="name", value=name))


def test_bad_select_code_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"api.yaml": API})
    with pytest.raises(FixError, match=r"--select: 'QQ1' matches no rule"):
        fix(tmp_path, select=["QQ1"])


def test_unknown_kubernetes_version_is_an_error(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ901", grace())
    write(tmp_path, {"api.yaml": API})
    with pytest.raises(FixError, match=r"--kubernetes-version 1.99: no schemas installed for it"):
        fix(tmp_path, config=rules.config(), kubernetes_version="1.99")


def test_select_applies_only_the_fixes_of_those_rules(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ901", grace())
    rules.add("ZZ902", restart)
    write(tmp_path, {"api.yaml": API, "compose.yaml": COMPOSE})
    result = fix(tmp_path, config=rules.config(), select=["ZZ902"])
    assert [(r.finding.rule, r.outcome) for r in result.fixes] == [("ZZ902", Outcome.APPLIED)]
    assert (tmp_path / "api.yaml").read_text() == API
    assert "restart: unless-stopped" in (tmp_path / "compose.yaml").read_text()
    assert (result.findings_before, result.findings_after, result.remaining) == (2, 1, 0)


def test_a_single_file_can_be_fixed(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ902", restart)
    write(tmp_path, {"compose.yaml": COMPOSE, "other/compose.yaml": COMPOSE})
    result = fix(tmp_path / "compose.yaml", config=rules.config())
    assert [(r.finding.file, r.outcome) for r in result.fixes] == [("compose.yaml", Outcome.APPLIED)]
    assert (tmp_path / "other/compose.yaml").read_text() == COMPOSE


def test_a_file_that_would_not_parse_rejects_the_fix(tmp_path: Path, rules: Rules) -> None:
    """A new object whose YAML the scan's own reader refuses (1,500 aliases of a 1,500-item list expand
    past its bound on alias expansion) is never written."""
    items = list(range(1500))
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big"},
        "data": {"a": [items] * 1500},
    }

    def bomb(rule: Rule, ctx: Context) -> Iterator[Finding]:
        c = ctx.system.components[0]
        new = NewObject(beside=ref_of(c), file_name="big.yaml", document=doc)
        yield finding_on(rule, c, safe("add a ConfigMap", creates=(new,)))

    rules.add("ZZ917", bomb)
    write(tmp_path, {"api.yaml": API})
    [record] = fix(tmp_path, config=rules.config()).fixes
    assert (record.outcome, record.reason, record.detail) == (
        Outcome.REJECTED,
        Reason.PARSE_ERROR,
        "big.yaml:7: the edited file does not parse: document expands to more than 2,000,000 nodes "
        "through aliases (a YAML alias bomb?); not expanded",
    )
    assert not (tmp_path / "big.yaml").exists()


def _no_pre_stop(rule: Rule, ctx: Context) -> Iterator[Finding]:
    """A grace period without a preStop hook: a safe fix adds the hook (a rule a grace period wakes)."""
    for c in ctx.system.components:
        if c.termination_grace_s is not None and not any(k.pre_stop for k in c.containers):
            hook = {"preStop": {"exec": {"command": ["sleep", "5"]}}}
            edit = pod_edit(c, Op.SET, "containers", Match(key="name", value="api"), "lifecycle", value=hook)
            yield finding_on(rule, c, safe("add a preStop hook", edit), "grace without a preStop hook")


def test_a_fix_that_wakes_another_rule_is_tried_with_that_rule_s_fix(tmp_path: Path, rules: Rules) -> None:
    """The grace period makes ZZ918 fire; ZZ918's own fix is safe, so both are written together, and
    the review after the run has neither finding."""
    rules.add("ZZ901", grace())
    rules.add("ZZ918", _no_pre_stop)
    write(tmp_path, {"api.yaml": API})
    result = fix(tmp_path, config=rules.config())
    [record] = result.fixes
    assert (record.finding.rule, record.outcome, record.detail) == (
        "ZZ901",
        Outcome.APPLIED,
        "together with the fix of ZZ918 (add a preStop hook), for what this fix alone would make the "
        "review report",
    )
    assert (tmp_path / "api.yaml").read_text() == API_GRACE.replace(
        "              value: 'fast'\n",
        "              value: 'fast'\n          lifecycle:\n            preStop:\n              exec:\n"
        "                command:\n                  - sleep\n                  - '5'\n",
    )
    assert (result.findings_before, result.findings_after, result.remaining) == (1, 0, 0)


def test_a_woken_rule_with_an_unsafe_fix_needs_the_flag(tmp_path: Path, rules: Rules) -> None:
    def unsafe_hook(rule: Rule, ctx: Context) -> Iterator[Finding]:
        for f in _no_pre_stop(rule, ctx):
            yield f.model_copy(update={"fix": f.fix.model_copy(update={"safety": Safety.UNSAFE})})

    rules.add("ZZ901", grace())
    rules.add("ZZ918", unsafe_hook)
    write(tmp_path, {"api.yaml": API})
    [record] = fix(tmp_path, config=rules.config()).fixes
    assert (record.outcome, record.reason, record.detail) == (
        Outcome.REJECTED,
        Reason.NEW_FINDING,
        "new finding ZZ918 at api.yaml:2: grace without a preStop hook",
    )
    assert (tmp_path / "api.yaml").read_text() == API
    assert [r.outcome for r in fix(tmp_path, config=rules.config(), unsafe=True).fixes] == [Outcome.APPLIED]
