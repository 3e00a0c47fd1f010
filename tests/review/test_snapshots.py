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
