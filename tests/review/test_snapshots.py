"""Every rule fixture with an expected block: the exact findings (rule, component, file, line, severity,
message, fix safety and snippet) and the exact text of every file its fixes change."""

from __future__ import annotations

from pathlib import Path

import pytest
import snapshots
import yaml
from snapshots import snapshot_cases

CASES = snapshot_cases()


@pytest.mark.parametrize(("code", "case"), CASES, ids=[f"{c}-{p.name}" for c, p in CASES])
def test_snapshot(code: str, case: Path, tmp_path: Path) -> None:
    snapshots.compare(code, case, tmp_path)


@pytest.mark.parametrize(("code", "case"), CASES, ids=[f"{c}-{p.name}" for c, p in CASES])
def test_snippets_parse(code: str, case: Path) -> None:
    """A snippet is YAML a reader could paste: it parses."""
    want = yaml.safe_load(snapshots.expected_path(case).read_text())
    for f in want["findings"]:
        list(yaml.safe_load_all(f["fix"]))


def test_every_rule_has_a_snapshot() -> None:
    """Each of the catalog's rules pins at least one positive case; each rule that can edit pins a fix."""
    from redline.fix.edits import Safety
    from redline.review.rule import REGISTRY

    covered = {code for code, _ in CASES}
    assert sorted(set(REGISTRY) - covered) == []
    editing = set()
    for code, case in CASES:
        if yaml.safe_load(snapshots.expected_path(case).read_text()).get("fixed"):
            editing.add(code)
    can_edit = {code for code, cls in REGISTRY.items() if cls.fix_safety is not Safety.ADVICE}
    assert sorted(can_edit - editing) == []


@pytest.mark.parametrize("mutation", ["line", "message"])
def test_mutations_fail_the_snapshots(mutation: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mutation check: shifting every finding's line by one, or changing its message, must make every
    snapshot with a finding fail (one case per rule, to stay fast)."""
    from redline.review.rule import Rule

    original = Rule.finding

    def mutated(self: Rule, **kw: object) -> object:
        if mutation == "line" and isinstance(kw.get("line"), int):
            kw["line"] = int(kw["line"]) + 1  # type: ignore[call-overload]
        if mutation == "message":
            kw["message"] = f"{kw['message']}."
        return original(self, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Rule, "finding", mutated)
    first = {}
    for code, case in CASES:
        first.setdefault(code, case)
    survived = []
    for i, (code, case) in enumerate(sorted(first.items())):
        try:
            (tmp_path / str(i)).mkdir()
            snapshots.compare(code, case, tmp_path / str(i))
        except AssertionError:
            continue
        survived.append(code)
    assert survived == []
