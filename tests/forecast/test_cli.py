"""`redline forecast` end to end: formats, exit codes, errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from redline.cli import forecast as forecast_cmd

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop" / "kubernetes"

YAML = """\
name: mini
slo: {availability: 99.9%, latency: {p95: 200ms}}
entrypoints: [{name: web, component: api, rps: 50}]
growth: {factor: 2}
components:
  api: {kind: service, replicas: 2, workers: 8, service_time: 10ms, calls: [{to: db, count: 2}]}
  db: {kind: datastore, replicas: 1, workers: 8, service_time: 2ms}
"""


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    forecast_cmd.register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps Typer from collapsing the group
        """Unused."""

    return app


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "redline.yaml").write_text(text)
    return tmp_path


def test_text_ok_exit_0(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["forecast", str(_write(tmp_path, YAML)), "-q"])
    assert result.exit_code == 0, result.output
    assert "breaks at" in result.output and "Assumptions" in result.output


def test_json_and_breach_exit_1(app: typer.Typer, tmp_path: Path) -> None:
    path = _write(tmp_path, YAML)
    result = CliRunner().invoke(app, ["forecast", str(path), "--growth", "50x", "--format", "json", "-q"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["breached"] and data["growth"]["factor"] == 50
    assert data["entrypoints"][0]["target_saturated"] is True
    result = CliRunner().invoke(app, ["forecast", str(path), "--rps", "2500", "--no-fail-on-breach", "-q"])
    assert result.exit_code == 0


def test_bad_input_exit_2_with_file_line(app: typer.Typer, tmp_path: Path) -> None:
    path = _write(tmp_path, YAML.replace("{to: db, count: 2}", "{to: ghost, count: 2}"))
    result = CliRunner().invoke(app, ["forecast", str(path), "-q"])
    assert result.exit_code == 2
    assert "ghost" in result.output and "Traceback" not in result.output


def test_usage_errors(app: typer.Typer, tmp_path: Path) -> None:
    path = _write(tmp_path, YAML)
    for args in (["--rps", "1", "--growth", "2"], ["--growth", "ten"], ["--rps", "-3"], ["--format", "xml"]):
        result = CliRunner().invoke(app, ["forecast", str(path), "-q", *args])
        assert result.exit_code == 2, (args, result.output)
    strict = _write(tmp_path, YAML.replace("service_time: 2ms", "engine: postgres"))
    result = CliRunner().invoke(app, ["forecast", str(strict), "--strict", "-q"])
    assert result.exit_code == 2 and "db" in result.output


def test_html_and_plot_dir_are_self_contained(app: typer.Typer, tmp_path: Path) -> None:
    path = _write(tmp_path, YAML)
    out = tmp_path / "plots"
    result = CliRunner().invoke(app, ["forecast", str(path), "--format", "html", "--plot", str(out), "-q"])
    assert result.exit_code == 0, result.output
    html = result.stdout
    assert html.startswith("<!doctype html>") and "<svg" in html and "SLO p95" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "<script" not in html
    assert (out / "forecast.html").exists() and (out / "latency-web.svg").exists()
    assert (out / "utilization.svg").read_text().startswith("<svg")


@pytest.mark.skipif(not (SHOP / "redline.yaml").exists(), reason="examples/shop not present")
def test_example_shop(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["forecast", str(SHOP), "--format", "json", "-q", "--no-fail-on-breach"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    web = data["entrypoints"][0]
    assert web["bottleneck"] and web["saturation_rps"] > web["rps"]
    assert data["cost"]["known"] and data["cost"]["monthly_after"] >= data["cost"]["monthly_before"]


INFERRED = """\
services:
  web:
    image: nginx:1.27
    ports: ["80:80"]
    environment:
      API_URL: http://api:8080
  api:
    image: example/api
"""
CAPACITY = "defaults: {workers: 8, service_time: 10ms}\n"


def _inferred(tmp_path: Path) -> Path:
    (tmp_path / "compose.yaml").write_text(INFERRED)
    (tmp_path / "redline.yaml").write_text(CAPACITY)
    return tmp_path


def test_inferred_entry_points_without_rps_say_what_to_pass(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["forecast", str(_inferred(tmp_path)), "-q"])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert (
        "no entry point states its rps: none is stated in redline.yaml, and the inferred ones (web) have no "
        "rate; pass --rps N (split evenly over them), --entrypoint web=N, or state `entrypoints:` with rps "
        "in redline.yaml"
    ) in out
    assert "inferred: web: published port 80:80 (compose.yaml:4)" in out


def test_inferred_entry_points_take_rps_from_the_option(app: typer.Typer, tmp_path: Path) -> None:
    args = ["forecast", str(_inferred(tmp_path)), "--rps", "40", "-f", "json", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(e["name"], e["rps"]) for e in data["entrypoints"]] == [("web", 40.0)]
    assert "entry points not stated, inferred: web: published port 80:80 (compose.yaml:4)" in data["warnings"]


def test_entrypoint_option_sets_rates_by_name(app: typer.Typer, tmp_path: Path) -> None:
    args = ["forecast", str(_inferred(tmp_path)), "--entrypoint", "web=30", "--entrypoint", "api=600/min"]
    result = CliRunner().invoke(app, [*args, "-f", "json", "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(e["name"], e["rps"]) for e in data["entrypoints"]] == [("web", 30.0), ("api", 10.0)]


def test_entrypoint_option_usage_errors(app: typer.Typer, tmp_path: Path) -> None:
    path = str(_inferred(tmp_path))
    for args, message in [
        (["--entrypoint", "web"], "--entrypoint must be NAME=RPS, such as frontend=300; got 'web'"),
        (["--entrypoint", "web=fast"], "--entrypoint web: "),
        (["--entrypoint", "web=1", "--entrypoint", "web=2"], "--entrypoint web given twice"),
        (["--entrypoint", "nowhere=5"], "--entrypoint nowhere: no entry point or component of that name"),
    ]:
        result = CliRunner().invoke(app, ["forecast", path, "-q", *args])
        assert result.exit_code == 2, args
        assert message in " ".join(result.output.split()), (args, result.output)


def test_empty_graph_is_a_forecast_warning(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(INFERRED.replace("      API_URL: http://api:8080\n", "").replace(
        "    environment:\n", ""))  # fmt: skip
    (tmp_path / "redline.yaml").write_text(CAPACITY)
    result = CliRunner().invoke(app, ["forecast", str(tmp_path), "--rps", "5", "-f", "json", "-q"])
    assert result.exit_code == 0, result.output
    (warning,) = [w for w in json.loads(result.output)["warnings"] if "runtime calls" in w]
    assert warning.startswith("2 components, 0 runtime calls: ")
