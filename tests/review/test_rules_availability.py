"""Availability rules: each fixture under fixtures/AV*/ triggers (positive*) or not (negative*) its rule;
the fix each one proposes is as safe as its facts allow (snapshots pin the text, these tests the choices)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import snapshots
from graphrules_helpers import FIXTURES, cases, findings

from redline.fix.edits import Match, Op, Safety

POSITIVE = [c for c in cases("AV", "positive") if not c[1].name.endswith(".expected.yaml")]
NEGATIVE = cases("AV", "negative")


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


def test_every_availability_rule_has_both_fixtures() -> None:
    from redline.review.rule import REGISTRY

    for code in (c for c in REGISTRY if c.startswith("AV")):
        assert any(c == code for c, _ in POSITIVE), f"{code} has no positive fixture"
        assert any(c == code for c, _ in NEGATIVE), f"{code} has no negative fixture"


def test_every_positive_fixture_has_an_expected_block() -> None:
    missing = [p.name for _, p in POSITIVE if not snapshots.expected_path(p).exists()]
    assert missing == []


# ------------------------------------------------------------------------------------- fix decisions


def test_single_replica_gets_two_replicas_and_a_budget_on_its_own_selector() -> None:
    (f,) = findings(FIXTURES / "AV001" / "positive.yaml", "AV001")
    assert f.fix.safety is Safety.UNSAFE
    (edit,) = f.fix.edits
    assert (edit.doc.kind, edit.doc.name, edit.op, edit.path, edit.value) == (
        "Deployment",
        "web",
        Op.SET,
        ("spec", "replicas"),
        2,
    )
    (pdb,) = f.fix.creates
    assert pdb.document["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}


def test_shared_app_label_yields_no_budget() -> None:
    # web's selector {app: shop} also selects the worker's pods: AV001 scales web but creates no budget,
    # AV004 (a budget is all it would propose) gives advice naming the other workload.
    (f,) = findings(FIXTURES / "AV001" / "positive_shared_label.yaml", "AV001")
    assert f.fix.safety is Safety.UNSAFE and f.fix.creates == []
    assert [e.path for e in f.fix.edits] == [("spec", "replicas")]
    assert "also selects the pods of `worker`" in f.fix.title
    (g,) = findings(FIXTURES / "AV004" / "positive_shared_label.yaml", "AV004")
    assert g.fix.safety is Safety.ADVICE and not g.fix.edits and not g.fix.creates
    assert "the selector {app: shop} of `api` also selects the pods of `worker`" in (g.fix.advice or "")
    (h,) = findings(FIXTURES / "AV006" / "positive_shared_label.yaml", "AV006")
    assert h.fix.safety is Safety.ADVICE and not h.fix.edits


def test_hpa_owns_the_count_so_its_minimum_is_raised() -> None:
    (f,) = findings(FIXTURES / "AV003" / "positive_hpa.yaml", "AV003")
    (edit,) = f.fix.edits
    assert (edit.doc.kind, edit.doc.name, edit.path, edit.value) == (
        "HorizontalPodAutoscaler",
        "gateway",
        ("spec", "minReplicas"),
        3,
    )


def test_single_writer_database_gets_no_replica_edit() -> None:
    (f,) = findings(FIXTURES / "AV002" / "positive_k8s.yaml", "AV002")
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits and not f.fix.creates
    assert f.fix.example["kind"] == "Cluster" and f.fix.example["metadata"] == {
        "name": "db",
        "namespace": "shop",
    }
    (g,) = findings(FIXTURES / "AV007" / "positive_datastore.yaml", "AV007")
    assert g.fix.safety is Safety.ADVICE and not g.fix.edits
    assert (g.fix.advice or "").startswith("`db` is a single-writer postgres database")


def test_compose_datastore_gets_compose_advice_not_kubernetes_syntax() -> None:
    (f,) = findings(FIXTURES / "AV002" / "positive", "AV002")
    assert f.fix.safety is Safety.ADVICE and f.fix.example is None
    assert "Compose project runs on one host" in (f.fix.advice or "")
    assert "replicas" not in f.fix.snippet and "spec" not in f.fix.snippet


def test_spread_is_safe_and_soft() -> None:
    (f,) = findings(FIXTURES / "AV006" / "positive.yaml", "AV006")
    assert f.fix.safety is Safety.SAFE
    assert [e.value["whenUnsatisfiable"] for e in f.fix.edits] == ["ScheduleAnyway", "ScheduleAnyway"]
    assert [e.path for e in f.fix.edits] == [("spec", "template", "spec", "topologySpreadConstraints")] * 2


def test_rwo_single_replica_gets_recreate_and_the_budget_fix_replaces_min_available() -> None:
    (f,) = findings(FIXTURES / "AV007" / "positive_rolling.yaml", "AV007")
    assert [(e.path, e.value) for e in f.fix.edits] == [(("spec", "strategy"), {"type": "Recreate"})]
    (g,) = findings(FIXTURES / "AV005" / "positive.yaml", "AV005")
    assert [(e.op, e.path) for e in g.fix.edits] == [
        (Op.REMOVE, ("spec", "minAvailable")),
        (Op.SET, ("spec", "maxUnavailable")),
    ]
    assert all(e.doc.kind == "PodDisruptionBudget" for e in g.fix.edits)


def test_emptydir_advice_names_the_volume_to_replace() -> None:
    (f,) = findings(FIXTURES / "AV009" / "positive_emptydir.yaml", "AV009")
    assert f.fix.safety is Safety.ADVICE
    assert f.fix.example["spec"]["volumeClaimTemplates"][0]["metadata"] == {"name": "data"}
    assert not any(isinstance(p, Match) for e in f.fix.edits for p in e.path)


def test_a_shifted_line_or_a_changed_message_fails_the_snapshot(tmp_path: Path) -> None:
    # The expected block pins each finding's line and message: one more line at the top, or another
    # message, must not pass.
    case = FIXTURES / "AV004" / "positive"
    shifted = tmp_path / "shifted" / "positive"
    shutil.copytree(case, shifted)
    shutil.copy(snapshots.expected_path(case), snapshots.expected_path(shifted))
    snapshots.compare("AV004", shifted, tmp_path / "w0")  # the copy itself matches
    api = shifted / "api.yaml"
    api.write_text("# one more line\n" + api.read_text())
    with pytest.raises(AssertionError, match="findings of AV004"):
        snapshots.compare("AV004", shifted, tmp_path / "w1")
    api.write_text(api.read_text()[len("# one more line\n") :].replace("replicas: 3", "replicas: 4"))
    with pytest.raises(AssertionError, match="findings of AV004"):
        snapshots.compare("AV004", shifted, tmp_path / "w2")
