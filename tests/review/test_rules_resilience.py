"""Resilience rules: each fixture under fixtures/RS*/ triggers (positive*) or not (negative*) its rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from graphrules_helpers import FIXTURES, cases, findings

from redline.fix.edits import Safety
from redline.review.rule import REGISTRY

POSITIVE = cases("RS", "positive")
NEGATIVE = cases("RS", "negative")


@pytest.mark.parametrize(("code", "path"), POSITIVE, ids=[f"{c}-{p.name}" for c, p in POSITIVE])
def test_positive_fixture_triggers(code: str, path: Path) -> None:
    found = findings(path, code)
    assert found, f"{code} did not fire on {path}"
    for f in found:
        assert f.component and f.file and f.message and f.why and f.fix and f.tradeoff
        assert f.component in f.message or f"`{f.component}`" in f.message


@pytest.mark.parametrize(("code", "path"), NEGATIVE, ids=[f"{c}-{p.name}" for c, p in NEGATIVE])
def test_negative_fixture_is_silent(code: str, path: Path) -> None:
    assert findings(path, code) == []


def test_every_resilience_rule_has_both_fixtures() -> None:
    for code in (c for c in REGISTRY if c.startswith("RS")):
        assert any(c == code for c, _ in POSITIVE), f"{code} has no positive fixture"
        assert any(c == code for c, _ in NEGATIVE), f"{code} has no negative fixture"


# ---------------------------------------------------------------------------------------------- fixes


@pytest.mark.parametrize(("code", "path"), POSITIVE, ids=[f"{c}-{p.name}" for c, p in POSITIVE])
def test_resilience_fixes_are_advice_because_redline_yaml_is_not_edited(code: str, path: Path) -> None:
    """Timeouts, retries, breakers and pools live in client code; redline.yaml only describes them, and no
    DocRef addresses it: every fix is advice, and its example is redline.yaml that parses."""
    assert REGISTRY[code].fix_safety is Safety.ADVICE
    for f in findings(path, code):
        assert f.fix.safety is Safety.ADVICE and not f.fix.edits and not f.fix.creates
        assert f.fix.advice
        if f.fix.example is not None:
            assert set(f.fix.example) == {"components"}
        list(yaml.safe_load_all(f.fix.snippet))


def test_timeout_inversion_example_fits_the_inner_attempts_in_the_outer_timeout() -> None:
    (f,) = findings(FIXTURES / "RS002" / "positive_retries", "RS002")
    # 2 s outer timeout, 3 attempts on bank: each attempt gets 2 s / (3 + 1) = 500 ms; stated retries kept.
    assert f.fix.example == {
        "components": {"payments": {"calls": [{"to": "bank", "timeout": "500ms", "retries": 2}]}}
    }


def test_unstated_timeout_is_never_invented() -> None:
    (f,) = findings(FIXTURES / "RS001" / "positive", "RS001")
    (call,) = f.fix.example["components"]["checkout"]["calls"]
    assert call == {"to": "payments", "timeout": "<p99.9 of payments>"}


def test_pool_split_states_no_size_when_none_was_stated() -> None:
    (f,) = findings(FIXTURES / "RS008" / "positive_calls", "RS008")
    pools = f.fix.example["components"]["api"]["pools"]
    assert pools == [{"name": "payments", "to": ["payments"]}, {"name": "search", "to": ["search"]}]
    (sized,) = findings(FIXTURES / "RS008" / "positive", "RS008")
    assert [p["size"] for p in sized.fix.example["components"]["api"]["pools"]] == [25, 25]  # 50 / 2


def test_single_attempt_budget_message_has_no_product(tmp_path: Path) -> None:
    (tmp_path / "redline.yaml").write_text(
        "slo: {latency: {p99: 500ms}}\n"
        "entrypoints: [{name: site, component: web}]\n"
        "components:\n"
        "  web:\n"
        "    replicas: 2\n"
        "    calls: [{to: search, timeout: 2s}]\n"
        "  search: {replicas: 2}\n"
    )
    (f,) = [f for f in findings(tmp_path, "RS007") if f.line == 6]
    assert f.message == "entry point `web` may wait 2 s on `search`, above the p99 objective of 0.5 s."
    assert f.fix.example == {"components": {"web": {"calls": [{"to": "search", "timeout": "250ms"}]}}}
