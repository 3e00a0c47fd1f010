"""Helpers for the operability / security / integrity rule tests.

Fixture discovery and the scan-then-review run are shared with the graph-rule tests
(:mod:`graphrules_helpers`); this module adds what the object-rule tests need on top: the catalog checks
every category must pass, and running one rule directly on a :class:`System` built or patched in a test.
"""

from __future__ import annotations

import re
from pathlib import Path

from graphrules_helpers import cases

from redline.model import System
from redline.review.context import Context
from redline.review.rule import REGISTRY, Category, Finding

SECTIONS = ("What it does:", "Why it matters:", "Example:", "Fix:", "Trade-offs:")

#: The samples folder next to the repository (tests skip when it is absent).
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"


def check(code: str, system: System, **thresholds: float) -> list[Finding]:
    """Run one rule directly (no engine, no suppressions) on a system."""
    return list(REGISTRY[code]().check(Context(system, dict(thresholds))))


def catalog_problems(prefix: str, category: Category) -> list[str]:
    """Everything wrong with the rules of one category's catalog entries and fixtures."""
    problems = []
    positives = {c for c, _ in cases(prefix, "positive")}
    negatives = {c for c, _ in cases(prefix, "negative")}
    codes = sorted(c for c in REGISTRY if c.startswith(prefix))
    if not codes:
        problems.append(f"no {prefix} rules registered")
    for code in codes:
        rule = REGISTRY[code]
        if rule.category is not category:
            problems.append(f"{code}: category {rule.category}")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name):
            problems.append(f"{code}: name {rule.name!r} is not kebab-case")
        if not re.fullmatch(rf"{prefix}\d{{3}}", code):
            problems.append(f"{code}: bad code")
        doc = rule.__doc__ or ""
        positions = [doc.find(s) for s in SECTIONS]
        if -1 in positions or positions != sorted(positions):
            problems.append(f"{code}: docstring lacks the five sections in order")
        if code not in positives:
            problems.append(f"{code}: no positive fixture")
        if code not in negatives:
            problems.append(f"{code}: no negative fixture")
    return problems
