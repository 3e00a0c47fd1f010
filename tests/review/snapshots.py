"""Snapshot fixtures: each positive rule fixture carries an ``expected`` block, compared in full.

For a fixture ``fixtures/<CODE>/<case>.yaml`` (or a directory ``<case>/``) the expected block lives beside
it in ``<case>.expected.yaml``::

    findings:            # every finding of rule CODE, in report order
      - rule: OP001
        component: api
        file: positive.yaml
        line: 9
        severity: medium
        message: "..."
        fix_safety: unsafe
        fix: |            # the snippet, rendered from the typed fix
          ...
    fixed:               # every file the rule's fixes change (safe and unsafe), whole, after the fix;
      positive.yaml: |   # new files appear under their own name; {} when the fix is advice only
        ...
    after_fix:           # the rule's findings on the fixed files: only those whose fix is advice remain
      - {component: db, line: 3, fix_safety: advice}

Regenerate after a deliberate change with ``REDLINE_SNAPSHOT_UPDATE=1 pytest tests/review/test_snapshots.py``
and read the diff before committing it: a snapshot is only as good as the review of it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from redline.fix.apply import YamlFile
from redline.fix.edits import Fix, Safety, dump
from redline.fix.validate import introduced
from redline.review.engine import ReviewConfig, review
from redline.sources.scan import scan
from redline.sources.yamlio import load_documents

FIXTURES = Path(__file__).parent / "fixtures"
UPDATE = os.environ.get("REDLINE_SNAPSHOT_UPDATE") == "1"


def expected_path(case: Path) -> Path:
    stem = case.name if case.is_dir() else case.stem
    return case.parent / f"{stem}.expected.yaml"


def snapshot_cases() -> list[tuple[str, Path]]:
    """(code, fixture) for every fixture that has an expected block."""
    out = []
    for exp in sorted(FIXTURES.glob("*/*.expected.yaml")):
        stem = exp.name[: -len(".expected.yaml")]
        for cand in (exp.parent / stem, exp.parent / f"{stem}.yaml", exp.parent / f"{stem}.yml"):
            if cand.exists():
                out.append((exp.parent.name, cand))
                break
    return out


class _Block(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Block.add_representer(str, _str)


def actual(code: str, case: Path, tmp: Path) -> dict[str, Any]:
    """What rule ``code`` says about ``case`` now, and the files its fixes change."""
    work = tmp / "case"
    if case.is_dir():
        shutil.copytree(case, work)
        target = work
    else:
        work.mkdir()
        shutil.copy(case, work / case.name)
        target = work / case.name
    report = review(scan(target), ReviewConfig(select=[code]))
    assert not report.errors, report.errors
    found = [f for f in report.findings if f.rule == code]
    rows = [
        {
            "rule": f.rule,
            "component": f.component,
            "file": f.file,
            "line": f.line,
            "severity": f.severity.value,
            "message": f.message,
            "fix_safety": f.fix.safety.value,
            "fix": f.fix.snippet,
        }
        for f in found
    ]
    fixed = apply_all(work, [f.fix for f in found])
    assert_valid(work, fixed)
    for name, text in fixed.items():
        (work / name).write_text(text)
    after = review(scan(target), ReviewConfig(select=[code])).findings if fixed else found
    remaining = [{"component": f.component, "line": f.line, "fix_safety": f.fix.safety.value} for f in after]
    return {"findings": rows, "fixed": fixed, "after_fix": remaining}


def apply_all(root: Path, fixes: list[Fix]) -> dict[str, str]:
    """Apply every safe and unsafe fix under ``root`` (edits, then new objects beside their workload);
    return the changed files' text by path relative to ``root``."""
    files: dict[str, YamlFile] = {}
    created: dict[str, str] = {}
    for fix in fixes:
        if fix.safety is Safety.ADVICE:
            continue
        for e in fix.edits:
            f = files.get(e.doc.file)
            if f is None:
                f = files[e.doc.file] = YamlFile.parse((root / e.doc.file).read_text())
            f.apply(e)
        for n in fix.creates:
            name = str(Path(n.beside.file).parent / n.file_name)
            created[name] = dump(n.document)
    out = {name: f.render() for name, f in files.items() if f.changed}
    out.update(created)
    return dict(sorted(out.items()))


def assert_valid(root: Path, fixed: dict[str, str]) -> None:
    """Every fixed file parses, and its changed documents pass the Kubernetes or Compose schema (no
    problem the original document did not have): what `redline fix` checks before it writes."""
    for name, text in fixed.items():
        docs = list(load_documents(text))
        original = root / name
        before = list(load_documents(original.read_text())) if original.is_file() else []
        compose = any(isinstance(d, dict) and "services" in d and "apiVersion" not in d for d in docs)
        problems = introduced(before, docs, compose=compose)
        assert not problems, f"{name}: the fix writes what the schema refuses: {[str(p) for p in problems]}"


def compare(code: str, case: Path, tmp: Path) -> None:
    got = actual(code, case, tmp)
    path = expected_path(case)
    if UPDATE:
        path.write_text(yaml.dump(got, Dumper=_Block, sort_keys=False, allow_unicode=True, width=4096))
        return
    assert path.exists(), f"{path.name} is missing: run with REDLINE_SNAPSHOT_UPDATE=1 and review it"
    want = yaml.safe_load(path.read_text())
    assert got["findings"] == want["findings"], f"findings of {code} on {case.name} differ from {path.name}"
    assert got["fixed"] == (want.get("fixed") or {}), f"fixed files of {code} on {case.name} differ"
    assert got["after_fix"] == want.get("after_fix", []), f"what {code} still says after the fix differs"
    applied = [r for r in got["after_fix"] if r["fix_safety"] != "advice"]
    assert not applied, f"{code} still fires after its own fix was applied: {applied}"
