"""Rule documentation: every rule documents itself fully, and docs/rules.md is generated from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from redline.review.docs import SECTIONS, all_docs, render_rules_markdown
from redline.review.rule import REGISTRY, Category, Severity

RULES_MD = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_rule_is_fully_documented(code: str) -> None:
    cls = REGISTRY[code]
    doc = next(d for d in all_docs() if d.code == code)
    assert doc.missing == [], f"{code} lacks docstring sections {doc.missing} (need {SECTIONS})"
    assert doc.summary and doc.summary.endswith("."), f"{code} needs a one-line summary sentence"
    assert re.fullmatch(r"(AV|RS|SC|OP|SE|IN|CN|SD|ST)\d{3}", code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cls.name), f"{code} name must be kebab-case"
    assert isinstance(cls.category, Category) and isinstance(cls.severity, Severity)
    prefix = {
        "AV": Category.AVAILABILITY,
        "RS": Category.RESILIENCE,
        "SC": Category.SCALABILITY,
        "OP": Category.OPERABILITY,
        "SE": Category.SECURITY,
        "IN": Category.INTEGRITY,
        "CN": Category.CONNECT,
        "SD": Category.SCHEDULE,
        "ST": Category.START,
    }[code[:2]]
    assert cls.category == prefix


def test_rule_names_are_unique() -> None:
    names = [cls.name for cls in REGISTRY.values()]
    assert len(names) == len(set(names))


def test_catalog_has_at_least_40_rules() -> None:
    assert len(REGISTRY) >= 40, f"only {len(REGISTRY)} rules registered"


def test_rules_md_is_fresh() -> None:
    expected = render_rules_markdown()
    assert RULES_MD.is_file(), "docs/rules.md missing: run `redline rules --format markdown > docs/rules.md`"
    assert RULES_MD.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run `python -m redline.review.docs > docs/rules.md` "
        "(or `redline rules --format markdown > docs/rules.md`)"
    )
