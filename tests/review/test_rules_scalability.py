"""Scalability rules: each fixture under fixtures/SC*/ triggers (positive*) or not (negative*) its rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphrules_helpers import cases, findings

POSITIVE = cases("SC", "positive")
NEGATIVE = cases("SC", "negative")


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


def test_every_scalability_rule_has_both_fixtures() -> None:
    from redline.review.rule import REGISTRY

    for code in (c for c in REGISTRY if c.startswith("SC")):
        assert any(c == code for c, _ in POSITIVE), f"{code} has no positive fixture"
        assert any(c == code for c, _ in NEGATIVE), f"{code} has no negative fixture"
