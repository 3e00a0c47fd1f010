"""Every command reports what it did not read, in every format, and gates on it (exit 2) unless accepted."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from redline.cli.app import app
from redline.review.rule import REGISTRY

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: example/api:1.0
"""
BROKEN_COMPOSE = "services:\n  web:\n    image: nginx\n    ports: [80\n"
YAML_ERROR = "malformed YAML: while parsing a flow sequence; did not find expected ',' or ']'"
GAP = {"file": "compose.yaml", "line": 5, "kind": "unreadable", "reason": YAML_ERROR}
ENTRYPOINT = "entrypoints: [{name: web, component: api, rps: 10}]\n"  # forecast needs one
SARIF_SCHEMA = Path(__file__).parents[1] / "review" / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A healthy Deployment beside a Compose file with a syntax error on line 5."""
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    (tmp_path / "compose.yaml").write_text(BROKEN_COMPOSE)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_review_of_a_broken_compose_file_lists_it_first_and_exits_2(broken: Path) -> None:
    code, out, err = run("review", str(broken))
    assert code == 2
    assert out.splitlines()[:2] == [
        "Not read (1 unreadable):",
        f"  compose.yaml:5  [unreadable]  {YAML_ERROR}",
    ]
    assert out.splitlines()[-1] == (
        f"summary: 0 critical, 0 high, 0 medium, 4 low ({len(REGISTRY)} rules run); "
        "incomplete: 1 not read (1 unreadable), 0 ignored by design"
    )
    assert err.splitlines() == [
        "redline: error: 1 file was not read, so this review does not cover it:",
        f"  compose.yaml:5: unreadable: {YAML_ERROR}",
        "redline: fix the YAML, or pass --allow-skipped (or set allow_skipped = true in redline.toml) "
        "to accept the gap",
    ]


def test_allow_skipped_accepts_the_gap_and_the_findings_decide(broken: Path) -> None:
    assert run("review", str(broken), "--allow-skipped")[0] == 0  # four low findings, --fail-on high
    assert run("review", str(broken), "--allow-skipped", "--fail-on", "low")[0] == 1
    code, _, err = run("review", str(broken), "--allow-skipped", "--fail-on", "never")
    assert code == 0
    assert err.splitlines()[0] == (
        "redline: warning: 1 file was not read, so this review does not cover it (accepted with --allow-skipped):"
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("redline.toml", "allow_skipped = true\n[review]\nfail_on = 'high'\n"),
        ("pyproject.toml", "[tool.redline]\nallow-skipped = true\n"),
    ],
)
def test_allow_skipped_in_the_configuration(broken: Path, name: str, text: str) -> None:
    (broken / name).write_text(text)
    (broken / "redline.yaml").write_text(ENTRYPOINT)
    assert run("review", str(broken))[0] == 0
    assert run("forecast", str(broken), "-q", "--no-fail-on-breach")[0] == 0


def test_allow_skipped_must_be_a_boolean(broken: Path) -> None:
    (broken / "redline.toml").write_text('allow_skipped = "yes"\n')
    code, _, err = run("review", str(broken))
    assert code == 2
    assert (
        err
        == f"redline: error: {broken / 'redline.toml'}:1: allow_skipped: expected true or false, got 'yes'\n"
    )
    (broken / "redline.yaml").write_text(ENTRYPOINT)
    assert run("forecast", str(broken), "-q")[0] == 2


def test_forecast_gates_like_review(broken: Path) -> None:
    (broken / "redline.yaml").write_text(ENTRYPOINT)
    code, out, err = run("forecast", str(broken), "-q", "--no-fail-on-breach")
    assert code == 2
    assert out.splitlines()[:2] == [
        "Not read (1 unreadable):",
        f"  compose.yaml:5  [unreadable]  {YAML_ERROR}",
    ]
    assert "this forecast does not cover it" in err
    assert run("forecast", str(broken), "-q", "--no-fail-on-breach", "--allow-skipped")[0] == 0


def test_scan_reports_but_does_not_gate(broken: Path) -> None:
    code, out, _ = run("scan", str(broken), "-q")
    assert code == 0
    assert out.splitlines()[2:4] == [
        "Not read (1 unreadable):",
        f"  compose.yaml:5  [unreadable]  {YAML_ERROR}",
    ]
    code, out, _ = run("scan", str(broken), "-q", "--format", "mermaid")
    assert out.splitlines()[0] == f"%% not read (unreadable): compose.yaml:5: {YAML_ERROR}"
    code, out, _ = run("scan", str(broken), "-q", "--format", "dot")
    assert out.splitlines()[0] == f"// not read (unreadable): compose.yaml:5: {YAML_ERROR}"


def test_json_of_every_command_carries_skipped_with_stable_keys(broken: Path) -> None:
    (broken / "notes.yaml").write_text("hello: world\n")  # YAML, but not infrastructure: ignored by design
    (broken / "redline.yaml").write_text(ENTRYPOINT)
    ignored = {
        "file": "notes.yaml",
        "line": None,
        "kind": "ignored",
        "reason": "YAML, but not Kubernetes, Compose, kustomize or redline.yaml",
    }
    for args in (
        ("scan", "-q"),
        ("review", "--allow-skipped"),
        ("forecast", "-q", "--allow-skipped", "--no-fail-on-breach"),
    ):
        code, out, _ = run(args[0], str(broken), "--format", "json", *args[1:])
        assert code == 0, args
        assert json.loads(out)["skipped"] == [GAP, ignored], args


def test_sarif_reports_skips_as_tool_execution_notifications(broken: Path) -> None:
    (broken / "notes.yaml").write_text("hello: world\n")
    code, out, _ = run("review", str(broken), "--format", "sarif", "--fail-on", "never")
    assert code == 2
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text()))
    invocation = doc["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    error, note = invocation["toolExecutionNotifications"]
    assert error == {
        "level": "error",
        "message": {"text": f"not read (unreadable): {YAML_ERROR}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "compose.yaml", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 5},
                }
            }
        ],
        "properties": {"kind": "unreadable"},
    }
    assert note["level"] == "note" and note["properties"] == {"kind": "ignored"}


def test_sarif_of_a_complete_read_is_successful(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    out = run("review", str(tmp_path), "--format", "sarif", "--fail-on", "never")[1]
    assert json.loads(out)["runs"][0]["invocations"] == [
        {"executionSuccessful": True, "toolExecutionNotifications": []}
    ]


def test_markdown_and_html_show_a_visible_section(broken: Path) -> None:
    out = run("review", str(broken), "--format", "markdown", "--allow-skipped")[1]
    lines = out.splitlines()
    start = lines.index("### ⚠️ Not read (1 unreadable)")
    assert (
        lines[start + 2]
        == "- `compose.yaml:5` **unreadable**: malformed YAML: while parsing a flow sequence; did not find expected ',' or ']'"
    )
    assert start < lines.index("| Severity | Findings |")
    (broken / "redline.yaml").write_text(ENTRYPOINT)
    html = run("forecast", str(broken), "-q", "--format", "html", "--allow-skipped", "--no-fail-on-breach")[1]
    assert (
        '<h2 id="not-read">Not read (1 not read (1 unreadable), 0 ignored by design)</h2><ul>'
        '<li class="bad"><code>compose.yaml:5</code> <b>unreadable</b>: malformed YAML: while parsing a flow '
        "sequence; did not find expected &#x27;,&#x27; or &#x27;]&#x27;</li></ul>"
    ) in html
    assert html.index('id="not-read"') < html.index("<h2>Entry points</h2>")


def test_an_unrendered_helm_chart_says_how_to_render_or_accept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redline.sources import helm

    monkeypatch.setattr(helm, "_engine", lambda: None)  # neither helm-python-sdk nor a helm binary
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (chart / "templates" / "deploy.yaml").write_text(
        "kind: Deployment\nmetadata: {name: {{ .Release.Name }}}\n"
    )
    code, _, err = run("review", str(tmp_path), "--fail-on", "never")
    assert code == 2
    assert err.splitlines()[1:] == [
        "  chart/: not-rendered: Helm chart (1 templates) not rendered (no renderer: pip install "
        "'redline[helm]' (or put a `helm` binary on PATH)); or run `helm template chart/` and scan the output",
        "redline: pip install 'redline[helm]' (or render the chart and scan the output), or pass --allow-skipped "
        "(or set allow_skipped = true in redline.toml) to accept the gap",
    ]
    assert run("review", str(tmp_path), "--fail-on", "never", "--allow-skipped")[0] == 0


def test_a_rejected_redline_yaml_value_exits_2_on_every_command(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    (tmp_path / "redline.yaml").write_text("entrypoints: [{name: web, component: api, rps: -5}]\n")
    from redline.model.units import UnitError, parse_rate

    with pytest.raises(UnitError) as refused:
        parse_rate(-5)
    # Only the refused value is dropped (the rest of redline.yaml applies), and the message says so.
    message = (
        f"redline: error: redline.yaml:1: entrypoints.0.rps: {refused.value} (this value was not applied)"
    )
    for args in (
        ("scan", "-q"),
        ("review", "--allow-skipped", "--fail-on", "never"),
        ("forecast", "-q", "--allow-skipped", "--no-fail-on-breach"),
    ):
        code, _, err = run(args[0], str(tmp_path), *args[1:])
        assert code == 2, args
        assert err.splitlines()[0] == message, args  # first on stderr, above everything else


def test_the_quickstart_example_reads_everything_and_exits_0() -> None:
    shop = Path(__file__).parents[2] / "examples" / "shop" / "kubernetes"
    code, out, err = run("review", str(shop), "--fail-on", "never", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["skipped"] == []
