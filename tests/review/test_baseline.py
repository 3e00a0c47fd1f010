"""Review baselines: only new findings fail, matched by rule + component + file as a multiset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.cli.app import app
from redline.fix.edits import Fix, Safety
from redline.report import review_json
from redline.review.baseline import REVIEW_JSON_FORMAT, Baseline, BaselineError, load_baseline, parse_baseline
from redline.review.engine import review
from redline.review.rule import Category, Finding, Severity
from redline.sources.scan import scan

SHOP = Path(__file__).parents[2] / "examples" / "shop" / "kubernetes"

NEW_WORKLOAD = """\
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: newsvc}
spec:
  replicas: 1
  selector: {matchLabels: {app: newsvc}}
  template:
    metadata: {labels: {app: newsvc}}
    spec:
      containers:
        - name: newsvc
          image: example/newsvc:latest
          env:
            - {name: DB_PASSWORD, value: "planted-secret-4411"}
"""


def finding(rule: str, component: str | None, file: str | None, line: int, severity: str = "high") -> Finding:
    return Finding(
        rule=rule,
        name="x",
        category=Category.AVAILABILITY,
        severity=Severity(severity),
        component=component,
        file=file,
        line=line,
        message=f"{rule} on {component}",
        why="why",
        fix=Fix(safety=Safety.ADVICE, title="t", advice="a"),
        tradeoff="t",
    )


def test_matching_ignores_line_and_message_and_counts_keys() -> None:
    base = Baseline.of([finding("AV001", "api", "a.yaml", 3), finding("AV001", "api", "a.yaml", 9)], "b.json")
    assert len(base) == 2
    now = [
        finding("AV001", "api", "a.yaml", 40),  # moved: still known
        finding("AV001", "api", "a.yaml", 41).model_copy(update={"message": "reworded"}),
        finding("AV001", "api", "a.yaml", 42),  # a third with the same key: new
        finding("AV001", "web", "a.yaml", 3),  # another component: new
        finding("AV001", "api", "b.yaml", 3),  # another file: new
        finding("AV002", "api", "a.yaml", 3),  # another rule: new
    ]
    new, known = base.split(now)
    assert [f.line for f in known] == [40, 41]
    assert [(f.rule, f.component, f.file, f.line) for f in new] == [
        ("AV001", "api", "a.yaml", 42),
        ("AV001", "web", "a.yaml", 3),
        ("AV001", "api", "b.yaml", 3),
        ("AV002", "api", "a.yaml", 3),
    ]


def test_null_component_and_file_are_keys_too() -> None:
    text = json.dumps(
        {"format": REVIEW_JSON_FORMAT, "findings": [{"rule": "SE015", "component": None, "file": None}]}
    )
    base = parse_baseline(text, "b.json")
    new, known = base.split([finding("SE015", None, None, 1), finding("SE015", None, "x.yaml", 1)])
    assert [f.file for f in known] == [None] and [f.file for f in new] == ["x.yaml"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "b.json:1: not JSON (Expecting property name enclosed in double quotes)"),
        ("[]", "b.json: not a redline review JSON result (expected an object)"),
        (
            '{"findings": []}',
            "b.json: it names no format (an older redline?); a baseline must be `redline review --format json` "
            "output of format 'redline-review/1': write a new one with `redline review PATH --write-baseline b.json`",
        ),
        ('{"format": "redline-review/9", "findings": []}', "b.json: its format is 'redline-review/9'; "),
        (
            json.dumps({"format": REVIEW_JSON_FORMAT}),
            "b.json: no `findings` list; not a redline review JSON result",
        ),
        (
            json.dumps({"format": REVIEW_JSON_FORMAT, "findings": [{"component": "x"}]}),
            "b.json: findings[0] has no `rule`; not a redline review JSON result",
        ),
        (
            json.dumps({"format": REVIEW_JSON_FORMAT, "findings": [{"rule": "AV001", "file": 3}]}),
            "b.json: findings[0]: `component` and `file` must be strings or null",
        ),
    ],
)
def test_unusable_baselines_are_refused_with_what_to_do(text: str, message: str) -> None:
    with pytest.raises(BaselineError) as refused:
        parse_baseline(text, "b.json")
    assert str(refused.value).startswith(message)


def test_an_unreadable_baseline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match=r"missing\.json: cannot read the baseline: No such file"):
        load_baseline(tmp_path / "missing.json")


def test_the_json_report_is_a_baseline_of_itself() -> None:
    system = scan(SHOP)
    report = review(system)
    base = parse_baseline(review_json.render(report), "shop.json")
    again = review(system, baseline=base)
    assert again.findings == [] and len(again.baselined) == len(report.findings) == 67
    assert again.summary == {"critical": 0, "high": 0, "medium": 0, "low": 0}
    assert not again.failed("low")
    assert again.unfiltered().findings == report.findings  # what --write-baseline records


# ------------------------------------------------------------------------------------------- CLI


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(SHOP, target)
    return target


def test_baseline_passes_an_unchanged_tree_and_fails_only_on_a_planted_finding(
    shop: Path, tmp_path: Path
) -> None:
    base = tmp_path / "baseline.json"
    code, _, err = run("review", str(shop), "-f", "concise", "--write-baseline", str(base))
    assert code == 0  # writing a baseline records; it does not gate
    assert err == f"redline review: wrote the baseline {base} (67 findings)\n"
    assert json.loads(base.read_text())["summary"]["total"] == 67

    code, out, _ = run("review", str(shop), "-f", "concise", "--baseline", str(base), "--fail-on", "low")
    assert code == 0
    assert out == "summary: 0 critical, 0 high, 0 medium, 0 low (83 rules run, 67 in baseline)\n"

    # Lines move (a comment on top of a file): nothing is new.
    cart = shop / "cart.yaml"
    cart.write_text("# moved\n# down\n" + cart.read_text())
    assert run("review", str(shop), "--baseline", str(base), "--fail-on", "low")[0] == 0

    with cart.open("a") as fh:
        fh.write(NEW_WORKLOAD)
    code, out, _ = run("review", str(shop), "-f", "concise", "--baseline", str(base))
    assert code == 1
    assert out.splitlines() == [
        "cart.yaml:52 SE001 high newsvc env `DB_PASSWORD` of container `newsvc` in `newsvc` holds a plaintext "
        "credential `pl****`",
        "cart.yaml:49 OP002 low newsvc `newsvc` has no liveness probe on any container (`newsvc`)",
        "cart.yaml:49 OP005 low newsvc container `newsvc` of `newsvc` states no CPU or memory requests or limits",
        "cart.yaml:49 OP007 low newsvc container `newsvc` of `newsvc` runs image `example/newsvc:latest` with "
        "the `:latest` tag",
        "cart.yaml:49 SE007 low newsvc container `newsvc` of `newsvc` does not enforce a non-root user (no "
        "runAsNonRoot, no runAsUser): it runs as the image's USER, root for many images",
        "summary: 0 critical, 1 high, 0 medium, 4 low (83 rules run, 67 in baseline)",
    ]
    # Only new findings gate: the five new ones are high and low, so --fail-on critical passes.
    assert run("review", str(shop), "--baseline", str(base), "--fail-on", "critical")[0] == 0


def test_an_unusable_baseline_is_exit_2_with_no_report(shop: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"findings": [], "summary": {}}))  # a JSON report of an older redline
    code, out, err = run("review", str(shop), "--baseline", str(old))
    assert code == 2 and out == ""
    assert err == (
        f"redline: error: {old}: it names no format (an older redline?); a baseline must be `redline review "
        f"--format json` output of format 'redline-review/1': write a new one with `redline review PATH "
        f"--write-baseline {old}`\n"
    )
    code, out, err = run("review", str(shop), "--baseline", str(tmp_path / "missing.json"))
    assert code == 2 and out == ""
    assert err.startswith(f"redline: error: {tmp_path / 'missing.json'}: cannot read the baseline: ")
