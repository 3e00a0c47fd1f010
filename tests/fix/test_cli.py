"""`redline fix` on the command line: exit codes, the text and JSON reports, --diff on stdout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.cli.app import app
from redline.fix.edits import Op, unsafe
from redline.report.fix_json import FIX_KEYS
from redline.review.context import Context
from redline.review.rule import Finding, Rule
from tests.fix.conftest import Rules, finding_on, pod_edit, snapshot, write
from tests.fix.test_engine import API, API_GRACE, grace

# Review only the test's own rules: the catalog's rules would add findings of their own.
TOML = '[review]\nselect = ["ZZ"]\n'


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["fix", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def tree(tmp_path: Path, rules: Rules) -> Iterator[Path]:
    rules.add("ZZ901", grace())
    yield write(tmp_path, {"api.yaml": API, "redline.toml": TOML})


def test_fixed_exits_0(tree: Path) -> None:
    code, out, err = run(str(tree))
    assert (code, err) == (0, "")
    assert (tree / "api.yaml").read_text() == API_GRACE
    assert out.splitlines()[:2] == ["api.yaml", "  applied       ZZ901  api :2  set a 45 s grace period"]
    assert out.splitlines()[-1] == (
        "summary: 1 applied to 1 file, 0 rejected, 0 unsafe skipped, 0 advice; findings 1 -> 0; "
        "0 fixable remain; 1 re-reviews (of at most 40)"
    )


def test_diff_prints_the_diff_on_stdout_writes_nothing_and_exits_1(tree: Path) -> None:
    before = snapshot(tree)
    code, out, err = run(str(tree), "--diff")
    assert code == 1  # the fix is not written: it remains to be applied
    assert snapshot(tree) == before
    assert out.startswith("--- a/api.yaml\n+++ b/api.yaml\n@@ -18,6 +18,7 @@\n")
    assert "+      terminationGracePeriodSeconds: 45\n" in out
    assert "would-apply   ZZ901  api :2  set a 45 s grace period" in err


def test_a_rejected_fix_exits_1(tmp_path: Path, rules: Rules) -> None:
    rules.add("ZZ906", grace("forty-five"))
    write(tmp_path, {"api.yaml": API, "redline.toml": TOML})
    code, out, _ = run(str(tmp_path))
    assert code == 1
    assert "rejected      ZZ906  api :2" in out
    assert "schema-error: api.yaml: Deployment/api: spec.template.spec.terminationGracePeriodSeconds" in out


def test_json_keys(tree: Path) -> None:
    code, out, _ = run(str(tree), "--format", "json", "--diff")
    data = json.loads(out)
    assert code == 1
    assert list(data) == [
        "mode",
        "root",
        "unsafe",
        "new_objects",
        "kubernetes_version",
        "fixes",
        "files",
        "totals",
        "findings",
        "rules",
        "reviews",
        "skipped",
    ]
    assert (data["mode"], data["kubernetes_version"], data["new_objects"]) == ("diff", "1.33", "beside")
    [record] = data["fixes"]
    assert tuple(record) == FIX_KEYS
    assert (record["rule"], record["outcome"], record["reason"], record["files"]) == (
        "ZZ901",
        "would-apply",
        None,
        ["api.yaml"],
    )
    assert list(data["files"][0]) == ["file", "created", "diff", "fixes"]
    assert data["totals"] == {"applied": 0, "would_apply": 1, "skipped_unsafe": 0, "advice": 0, "rejected": 0}
    assert data["findings"] == {"before": 1, "after": 0, "remaining": 1}
    assert data["rules"]["ZZ901"] == {
        "safety": "advice",  # the test rule states no fix_safety: the class default
        "before": 1,
        "after": 0,
        "applied": 1,
        "skipped_unsafe": 0,
        "advice": 0,
        "rejected": 0,
    }
    assert data["reviews"] == {"run": 1, "max": 40}


def test_usage_errors_exit_2(tree: Path) -> None:
    code, _, err = run(str(tree / "missing"))
    assert code == 2 and "no such file or directory" in err
    code, _, err = run(str(tree), "--select", "QQ1")
    assert code == 2 and "--select: 'QQ1' matches no rule" in err
    code, _, err = run(str(tree), "--kubernetes-version", "2.0")
    assert code == 2 and "--kubernetes-version 2.0: no schemas installed for it" in err
    code, _, err = run(str(tree), "--new-objects", "elsewhere")
    assert code == 2
    assert (tree / "api.yaml").read_text() == API


def test_missing_schemas_refuse_kubernetes_edits(
    tree: Path,
    without_kubernetes_validate: None,
) -> None:
    code, _, err = run(str(tree))
    assert code == 2
    assert "pip install 'redline[validate]'" in err
    assert (tree / "api.yaml").read_text() == API


def test_a_file_not_read_stops_the_run_unless_accepted(tree: Path) -> None:
    write(tree, {"broken.yaml": "apiVersion: v1\nkind: [unclosed\n"})
    code, _, err = run(str(tree))
    assert code == 2
    assert "nothing was written" in err
    assert (tree / "api.yaml").read_text() == API
    code, _, _ = run(str(tree), "--allow-skipped")
    assert code == 0
    assert (tree / "api.yaml").read_text() == API_GRACE


def test_unsafe_fixes_flag(tmp_path: Path, rules: Rules) -> None:
    def unsafe_grace(rule: Rule, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.termination_grace_s is None:
                edit = pod_edit(c, Op.SET, "terminationGracePeriodSeconds", value=45)
                yield finding_on(rule, c, unsafe("set a 45 s grace period", edit))

    rules.add("ZZ902", unsafe_grace)
    write(tmp_path, {"api.yaml": API, "redline.toml": TOML})
    code, out, _ = run(str(tmp_path))
    assert code == 1
    assert "unsafe, not applied (pass --unsafe-fixes): 1 (ZZ902 x1)" in out
    assert (tmp_path / "api.yaml").read_text() == API
    code, _, _ = run(str(tmp_path), "--unsafe-fixes")
    assert code == 0
    assert (tmp_path / "api.yaml").read_text() == API_GRACE
