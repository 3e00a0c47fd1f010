"""Helpers for the fix engine's tests: rules written by the test, registered for its duration only.

A test states what a rule finds and what fix it proposes (``rules.add(code, check)``), so every outcome
of the engine can be produced on purpose, whatever the catalog's own rules propose today. Reviews are
run with ``ReviewConfig(select=["ZZ"])``: only the test's rules, so the catalog cannot add findings.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from redline.fix import validate
from redline.fix.build import doc_of, pod_spec_path
from redline.fix.edits import DocRef, Edit, Fix
from redline.model import Component
from redline.review.context import Context
from redline.review.engine import ReviewConfig
from redline.review.rule import REGISTRY, Category, Finding, Rule, Severity

DOC = """What it does:
A rule written by a test.

Why it matters:
It lets a test produce each outcome of the fix engine.

Example:
none

Fix:
none

Trade-offs:
none
"""

Check = Callable[[Rule, Context], Iterator[Finding]]


class Rules:
    """Registers test rules (codes ``ZZ9xx``) and removes them when the test ends."""

    def __init__(self) -> None:
        self.added: list[str] = []

    def add(self, code: str, check: Check, severity: Severity = Severity.LOW) -> None:
        attrs: dict[str, Any] = {
            "__doc__": DOC,
            "code": code,
            "name": f"test-{code.lower()}",
            "category": Category.OPERABILITY,
            "severity": severity,
            "check": lambda self, ctx: check(self, ctx),
        }
        REGISTRY[code] = type(f"Test{code}", (Rule,), attrs)
        self.added.append(code)

    def config(self) -> ReviewConfig:
        return ReviewConfig(select=["ZZ"])

    def close(self) -> None:
        for code in self.added:
            REGISTRY.pop(code, None)


@pytest.fixture
def without_kubernetes_validate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """kubernetes-validate cannot be uninstalled here: its import is made to fail instead."""
    monkeypatch.setitem(sys.modules, "kubernetes_validate", None)
    monkeypatch.setitem(sys.modules, "kubernetes_validate.utils", None)
    _clear_schema_caches()
    yield
    _clear_schema_caches()


def _clear_schema_caches() -> None:
    validate.kubernetes_versions.cache_clear()
    validate._k8s_validator.cache_clear()
    validate._definitions.cache_clear()


@pytest.fixture
def rules() -> Iterator[Rules]:
    r = Rules()
    try:
        yield r
    finally:
        r.close()


def finding_on(rule: Rule, c: Component, fix: Fix, message: str | None = None) -> Finding:
    """A finding of ``rule`` on component ``c`` at its own file and line."""
    return rule.finding(
        component=c.name,
        file=c.source.file,
        line=c.source.line,
        message=message or f"{rule.code} on {c.name}",
        why="a test",
        fix=fix,
        tradeoff="none",
    )


def pod_edit(c: Component, op: Any, *path: Any, value: Any = None) -> Edit:
    """An edit of ``c``'s pod spec (``spec.template.spec`` for a Deployment)."""
    ref = doc_of(c)
    pod = pod_spec_path(c)
    assert ref is not None and pod is not None
    return Edit(doc=ref, op=op, path=(*pod, *path), value=value)


def ref_of(c: Component) -> DocRef:
    ref = doc_of(c)
    assert ref is not None
    return ref


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` and its bytes: to assert that nothing was written."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
