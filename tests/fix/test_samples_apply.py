"""`redline fix --unsafe-fixes` on every real system in ../shared/samples and on the bundled example.

Each is copied to a temporary folder, a comment is planted in every YAML file, every safe and unsafe
fix is applied, and then, checked independently of the engine: every edited file parses; every changed
or new Kubernetes object validates against the Kubernetes schema and every changed Compose file against
the Compose schema (no problem the original did not have); a re-review no longer reports the fixed
findings and reports no finding of a rule, component and file more often than before; the planted
comment survives in every edited file; a second run applies nothing and changes no file.

The numbers of fixes applied and rejected per system are pinned in :data:`PINS`. They move when a rule's
fix changes: rerun with ``REDLINE_FIX_PINS=print pytest -s`` to print the lines to paste (a failing pin
also names its new value), and read why before committing them (``python bench/fix_table.py`` gives
the per-rule table).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from redline.fix.engine import fix
from redline.fix.result import FixResult, Outcome
from redline.fix.validate import introduced
from redline.review.engine import review
from redline.review.rule import Finding
from redline.sources.scan import scan
from redline.sources.yamlio import YamlError, load_documents
from tests.conftest import EXAMPLES, samples_dir

# system -> (fixes applied, fixes rejected) with --unsafe-fixes. Re-pin after a rule's fix changes.
PINS: dict[str, tuple[int, int]] = {
    "deathstarbench": (545, 0),
    "full-stack-fastapi-template": (4, 0),
    "online-boutique": (42, 0),
    "retail-store-sample-app": (2, 0),
    "sock-shop": (103, 0),
    "spring-petclinic-microservices": (6, 0),
    "shop/kubernetes": (42, 1),
    "shop/compose": (3, 0),
}

PLANTED = "# planted by test_samples_apply: this comment must survive every edit\n"
SYSTEMS = sorted(PINS)


def _source(system: str) -> Path:
    if system.startswith("shop/"):
        return EXAMPLES / system
    return samples_dir(system)


def _plant(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink() and p.suffix in (".yaml", ".yml"):
            p.write_bytes(PLANTED.encode() + p.read_bytes())


def _docs(text: str) -> list[Any]:
    try:
        return list(load_documents(text))
    except YamlError as exc:
        raise AssertionError(f"does not parse: {exc}") from exc


def _schema_problems(rel: str, before: str | None, after: str) -> list[str]:
    """Problems of the changed documents of ``rel`` that its original did not have."""
    docs = _docs(after)
    compose = any(isinstance(d, dict) and "services" in d and "apiVersion" not in d for d in docs)
    old = _docs(before) if before is not None else []
    return [f"{rel}: {p}" for p in introduced(old, docs, compose=compose)]


def _loose(f: Finding) -> tuple[str, str | None, str | None]:
    return (f.rule, f.component, f.file)


def _check(
    system: str, work: Path, originals: dict[str, str], before: list[Finding], result: FixResult
) -> None:
    applied = [r for r in result.fixes if r.outcome is Outcome.APPLIED]
    for change in result.files:
        text = (work / change.file).read_text()
        assert not _schema_problems(change.file, originals.get(change.file), text), change.file
        if not change.created:
            assert text.startswith(PLANTED), f"{system}: the planted comment is gone from {change.file}"
    after = review(scan(work)).findings
    still = {(f.rule, f.component, f.file, f.message) for f in after}
    for r in applied:
        f = r.finding
        assert (f.rule, f.component, f.file, f.message) not in still, (
            f"{system}: {f.rule} on {f.component} stays"
        )
    grown = Counter(_loose(f) for f in after) - Counter(_loose(f) for f in before)
    assert not grown, f"{system}: new findings {sorted(grown)}"


@pytest.mark.samples
@pytest.mark.parametrize("system", SYSTEMS)
def test_fix_every_sample(system: str, tmp_path: Path) -> None:
    work = tmp_path / system.replace("/", "-")
    shutil.copytree(_source(system), work, symlinks=True)
    _plant(work)
    originals = {
        p.relative_to(work).as_posix(): p.read_text(encoding="utf-8", errors="replace")
        for p in work.rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".yml")
    }
    before = review(scan(work)).findings
    result = fix(work, unsafe=True, root=work)
    got = (result.totals.applied, result.totals.rejected)
    if os.environ.get("REDLINE_FIX_PINS") == "print":
        print(f'    "{system}": {got},')
    assert result.reviews < result.max_reviews, f"{system}: the cap on re-reviews was reached"
    _check(system, work, originals, before, result)
    assert got == PINS[system], f'{system}: applied, rejected = {got}; re-pin "{system}": {got}'
    written = {p: p.read_bytes() for p in work.rglob("*") if p.is_file()}
    again = fix(work, unsafe=True, root=work)
    assert (again.totals.applied, again.files) == (0, []), f"{system}: a second run changed files"
    assert {p: p.read_bytes() for p in work.rglob("*") if p.is_file()} == written
