"""`redline generate` on bad input: `--out` checked before any work, never overwriting without `--force`,
and exit 0 (something generated) or 2 (nothing could be), with what was skipped and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from redline.cli.app import app

K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prod}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: x/api:1
          resources: {requests: {cpu: 500m, memory: 256Mi}, limits: {memory: 512Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: prod}
spec: {selector: {app: api}, ports: [{port: 80}]}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["generate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _system(tmp_path: Path, redline_yaml: str | None = None) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "k8s.yaml").write_text(K8S)
    if redline_yaml is not None:
        (src / "redline.yaml").write_text(redline_yaml)
    return src


def test_out_is_checked_before_the_path_is_read(tmp_path: Path) -> None:
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    code, _, err = run(str(tmp_path / "does-not-exist"), "--out", str(a_file), "--no-check")
    assert code == 2
    assert err.strip() == f"redline: error: --out {a_file}: is a file, not a folder"
    code, _, err = run(str(tmp_path / "does-not-exist"), "--out", str(tmp_path / "no" / "where"))
    assert code == 2 and f"the folder {tmp_path / 'no'} does not exist" in err


def test_existing_files_are_never_overwritten_without_force(tmp_path: Path) -> None:
    src = _system(tmp_path)
    out = tmp_path / "out"
    code, _, _ = run(str(src), "--out", str(out), "--no-check", "-q")
    assert code == 0
    runbook = out / "runbooks" / "api-memory-near-limit.md"
    runbook.write_text("edited by hand\n")
    code, _, err = run(str(src), "--out", str(out), "--no-check", "-q")
    assert code == 2
    assert "already holds generated files (" in err and "pass --force to overwrite them" in err
    assert runbook.read_text() == "edited by hand\n"
    code, _, _ = run(str(src), "--out", str(out), "--no-check", "-q", "--force")
    assert code == 0 and runbook.read_text().startswith("# ApiMemoryNearLimit\n")


def test_no_slo_no_metrics_no_entrypoint_say_what_was_skipped_and_exit_0(tmp_path: Path) -> None:
    src = _system(tmp_path)
    code, out, _ = run(str(src), "--out", str(tmp_path / "out"), "--no-check", "-q", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["generated"] is True
    skipped = {(s["what"], s["subject"]): s["reason"] for s in data["skipped_artifacts"]}
    assert skipped[("SLO alerts", "*")] == "redline.yaml states no SLO (slo.availability or slo.latency)"
    # A Service alone exposes nothing: no entry point is stated or inferred.
    assert skipped[("entry-point alerts and SLO alerts", "*")] == (
        "no entry point stated in redline.yaml and none inferred"
    )
    assert skipped[("HPA", "api")].startswith("no forecast: ")
    assert [f["path"] for f in data["files"]] == [
        "prometheus/alerts.yaml",
        "kubernetes/pdb-api.yaml",
        "grafana/overview.json",
        "runbooks/README.md",
        "runbooks/api-cpu-saturated.md",
        "runbooks/api-memory-near-limit.md",
        "runbooks/incident-response.md",
    ]


def test_an_entry_point_without_metrics_is_said(tmp_path: Path) -> None:
    src = _system(
        tmp_path,
        "slo: {availability: 99.9%}\nentrypoints: [{name: web, component: api, rps: 20}]\n",
    )
    code, out, _ = run(str(src), "--out", str(tmp_path / "out"), "--no-check", "-q", "--format", "json")
    assert code == 0
    data = json.loads(out)
    reasons = {(s["what"], s["subject"]): s["reason"] for s in data["skipped_artifacts"]}
    assert reasons[("SLO and entry-point alerts", "web")].startswith("no metrics stated: add `slo.metrics`")
    assert not any(f["path"].startswith("prometheus/slo") for f in data["files"])
    # The forecast still runs (20 rps stated): 1 replica carries it, so min 2 = max 2 and no HPA is written.
    assert reasons[("HPA", "api")] == (
        "min 2 (1 for today's load, plus one that may be lost) already carries the target load (the forecast "
        "needs 1): an HPA with min = max scales nothing; run 2 replicas"
    )
    assert "grafana/entrypoint-web.json" in [f["path"] for f in data["files"]]


def test_nothing_generated_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "redline.yaml").write_text("components: {api: {kind: service}, db: {kind: datastore}}\n")
    out = tmp_path / "out"
    code, stdout, _ = run(str(src), "--out", str(out), "-q")
    assert code == 2
    assert "nothing could be generated" in stdout
    assert not out.exists() or not any(out.rglob("*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--only", "alerts,graphs"),
            "--only takes a comma-separated list of alerts, scaling, dashboards, runbooks",
        ),
        (("--rps", "-3"), "--rps: "),
        (("--rto", "5"), "--rto: "),
        (("--format", "html"), "--format must be one of text, json"),
    ],
)
def test_bad_options_are_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = run(str(tmp_path), "--out", str(tmp_path / "out"), *args)
    assert code == 2 and message in err, err


def test_runbook_urls_take_a_base(tmp_path: Path) -> None:
    src = _system(tmp_path)
    out = tmp_path / "out"
    base = "https://runbooks.example.com/api/"
    code, stdout, _ = run(str(src), "--out", str(out), "--runbook-url-base", base, "--no-check", "-q")
    assert code == 0 and "did not write" not in stdout
    rules = [
        r
        for g in yaml.safe_load((out / "prometheus" / "alerts.yaml").read_text())["groups"]
        for r in g["rules"]
    ]
    assert [r["annotations"]["runbook_url"] for r in rules] == [
        base + "runbooks/api-cpu-saturated.md",
        base + "runbooks/api-memory-near-limit.md",
    ]


def test_a_refused_redline_yaml_value_is_exit_2_after_generating(tmp_path: Path) -> None:
    src = _system(tmp_path, "slo: {availability: 99.9%, metrics: nginx}\n")
    code, _, err = run(str(src), "--out", str(tmp_path / "out"), "--no-check", "-q")
    assert code == 2
    assert (
        "redline.yaml:1: slo.metrics: not a known value: expected 'ingress-nginx', 'istio' or 'otel-http'"
        in err
    )


def test_only_writes_the_chosen_artifacts(tmp_path: Path) -> None:
    src = _system(tmp_path)
    out = tmp_path / "out"
    code, stdout, _ = run(str(src), "--out", str(out), "--only", "alerts", "--no-check", "-q")
    assert code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "prometheus/alerts.yaml"
    ]
    assert "runbook_url annotations point at runbooks/ files this run did not write (--only)" in stdout
