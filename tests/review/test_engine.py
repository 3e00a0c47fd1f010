"""The review engine: configuration, suppressions, sorting, and the CLI's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from redline.cli import review as review_cli
from redline.review.engine import (
    ConfigError,
    ReviewConfig,
    load_config,
    parse_config,
    review,
    selected_rules,
)
from redline.review.rule import REGISTRY, Severity
from redline.sources.scan import scan

FIX = Path(__file__).parent / "fixtures"

# One exposed Deployment with one replica and no HPA: AV001 (high, entry point) and SC001 (medium).
WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "example/web:1.0"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
"""


@pytest.fixture
def app() -> typer.Typer:
    a = typer.Typer()
    review_cli.register(a)
    return a


def _write(tmp_path: Path, text: str = WEB, name: str = "web.yaml") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def _codes(path: Path, cfg: ReviewConfig | None = None) -> list[str]:
    return [f.rule for f in review(scan(path), cfg).findings]


# ------------------------------------------------------------------ selection and config


def test_select_and_ignore_prefixes(tmp_path: Path) -> None:
    root = _write(tmp_path)
    assert set(_codes(root, ReviewConfig(select=["AV", "SC"]))) == {"AV001", "SC001"}
    assert _codes(root, ReviewConfig(select=["AV001"])) == ["AV001"]
    assert "AV001" not in _codes(root, ReviewConfig(ignore=["AV"]))
    assert [r.code for r in selected_rules(ReviewConfig(select=["SC00"]))] == sorted(
        c for c in REGISTRY if c.startswith("SC00")
    )


def test_unknown_code_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="matches no rule"):
        ReviewConfig(select=["ZZ9"])
    with pytest.raises(ValueError, match="not a rule code"):
        ReviewConfig(ignore=["single-replica"])


def test_severity_override_and_sorting(tmp_path: Path) -> None:
    root = _write(tmp_path)
    report = review(
        scan(root), ReviewConfig(select=["AV001", "SC001"], severity={"SC001": Severity.CRITICAL})
    )
    assert [f.rule for f in report.findings] == ["SC001", "AV001"]  # critical sorts first
    assert report.summary == {"critical": 1, "high": 1, "medium": 0, "low": 0}
    ranks = [f.severity.rank for f in review(scan(FIX / "AV001" / "positive_dependency.yaml")).findings]
    assert ranks == sorted(ranks)


def test_config_from_redline_toml(tmp_path: Path) -> None:
    root = _write(tmp_path)
    (tmp_path / "redline.toml").write_text(
        '[review]\nignore = ["SC"]\nfail-on = "critical"\n[review.thresholds]\nmax-sync-depth = 3\n'
    )
    cfg = load_config(root)
    assert cfg.ignore == ["SC"] and cfg.fail_on == "critical" and cfg.thresholds == {"max_sync_depth": 3}
    report = review(scan(root), cfg)
    assert {f.rule for f in report.findings} & {"SC001"} == set()
    assert not report.failed()  # AV001 is high, fail-on is critical
    assert report.failed("high")


def test_config_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.redline.review]\nselect = ["AV"]\n')
    assert load_config(tmp_path).select == ["AV"]
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(tmp_path) == ReviewConfig()  # no [tool.redline]: defaults


def test_config_errors_carry_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "redline.toml"
    bad.write_text('[review]\nselect = ["AV"]\n\nfail-on = "sometimes"\n')
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert err.value.line == 4 and str(bad) in str(err.value)
    bad.write_text('[review]\nselect = ["AV"\n')
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(tmp_path)
    bad.write_text("[review.thresholds]\nnot_a_threshold = 3\n")
    with pytest.raises(ConfigError, match="unknown threshold") as err2:
        load_config(tmp_path)
    assert err2.value.line == 1
    assert parse_config("[other]\n", "x.toml", pyproject=False) == ReviewConfig(source="x.toml")


def test_thresholds_reach_rules() -> None:
    path = FIX / "RS006" / "negative"  # 5 hops: silent at the default limit of 5
    assert "RS006" not in _codes(path)
    assert "RS006" in _codes(path, ReviewConfig(thresholds={"max_sync_depth": 4}))
    path4 = FIX / "RS004" / "negative"  # 8 attempts
    assert "RS004" in _codes(path4, ReviewConfig(thresholds={"retry_amplification": 5}))


def test_per_path_ignores(tmp_path: Path) -> None:
    root = _write(tmp_path, name="legacy-web.yaml")
    cfg = ReviewConfig(per_path_ignores={"legacy-*.yaml": ["AV001"]})
    report = review(scan(root), cfg)
    assert "AV001" not in {f.rule for f in report.findings}
    assert "AV001" in {f.rule for f in report.suppressed}


# ------------------------------------------------------------------ suppressions


def test_inline_suppression_on_the_line(tmp_path: Path) -> None:
    # AV001 points at the Deployment's first line (apiVersion).
    root = _write(
        tmp_path, WEB.replace("apiVersion: apps/v1\n", "apiVersion: apps/v1  # redline: ignore[AV001]\n", 1)
    )
    codes = _codes(root)
    assert "AV001" not in codes and "SC001" in codes


def test_inline_suppression_on_the_line_above(tmp_path: Path) -> None:
    root = _write(tmp_path, "# redline: ignore[SC001, AV001]\n" + WEB)
    codes = _codes(root)
    assert "AV001" not in codes and "SC001" not in codes


def test_bare_inline_suppression_and_unrelated_code(tmp_path: Path) -> None:
    assert not {"AV001", "SC001"} & set(_codes(_write(tmp_path, "# redline: ignore\n" + WEB)))
    other = tmp_path / "other"
    other.mkdir()
    codes = _codes(_write(other, "# redline: ignore[RS001]\n" + WEB))
    assert "AV001" in codes  # a suppression names codes; others still fire


def test_annotation_suppression(tmp_path: Path) -> None:
    text = WEB.replace("  annotations: {}\n", '  annotations:\n    redline.dev/ignore: "AV001"\n')
    codes = _codes(_write(tmp_path, text))
    assert "AV001" not in codes and "SC001" in codes


def test_rule_crash_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cls = REGISTRY["AV001"]

    def boom(self: object, ctx: object) -> list[object]:
        raise RuntimeError("kaput")

    monkeypatch.setattr(cls, "check", boom)
    report = review(scan(_write(tmp_path)))
    assert report.errors == ["AV001: RuntimeError: kaput"]
    assert "SC001" in {f.rule for f in report.findings}


# ------------------------------------------------------------------ CLI


def test_cli_exit_codes(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    root = _write(tmp_path)
    assert runner.invoke(app, ["review", str(root)]).exit_code == 1  # AV001 high >= high
    assert runner.invoke(app, ["review", str(root), "--fail-on", "critical"]).exit_code == 0
    assert runner.invoke(app, ["review", str(root), "--fail-on", "never"]).exit_code == 0
    assert runner.invoke(app, ["review", str(root), "--ignore", "AV001", "--fail-on", "high"]).exit_code == 0
    assert runner.invoke(app, ["review", str(root), "--select", "SC", "--fail-on", "medium"]).exit_code == 1
    assert runner.invoke(app, ["review", str(tmp_path / "missing")]).exit_code == 2
    assert runner.invoke(app, ["review", str(root), "--select", "NOPE"]).exit_code == 2
    assert runner.invoke(app, ["review", str(root), "--fail-on", "sometimes"]).exit_code == 2


def test_cli_bad_config_exit_2(app: typer.Typer, tmp_path: Path) -> None:
    root = _write(tmp_path)
    (tmp_path / "redline.toml").write_text('[review]\nfail_on = "x"\n')
    result = CliRunner().invoke(app, ["review", str(root)])
    assert result.exit_code == 2
    assert "redline.toml:2" in result.output


def test_cli_formats_and_output(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    root = _write(tmp_path)
    result = runner.invoke(app, ["review", str(root), "--format", "json", "--fail-on", "never"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert {f["rule"] for f in data["findings"]} >= {"AV001", "SC001"}
    out = tmp_path / "report.md"
    result = runner.invoke(app, ["review", str(root), "-f", "markdown", "-o", str(out), "--fail-on", "never"])
    assert result.exit_code == 0 and "```mermaid" in out.read_text()
    text = runner.invoke(app, ["review", str(root), "--fail-on", "never"]).output
    assert "HIGH (1)" in text and "AV001" in text and "summary:" in text


def test_cli_rules(app: typer.Typer) -> None:
    runner = CliRunner()
    listing = json.loads(runner.invoke(app, ["rules", "--format", "json"]).output)
    assert {r["code"] for r in listing} == set(REGISTRY)
    page = runner.invoke(app, ["rules", "AV002"])
    assert page.exit_code == 0 and "single-instance-datastore" in page.output and "Trade-offs" in page.output
    assert runner.invoke(app, ["rules", "XX999"]).exit_code == 2
