"""End-to-end `redline load` runs from the CLI against real servers on 127.0.0.1.

Each run is a few seconds; the whole module stays well under a minute and a half on 2 cores.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
import typer

from redline.cli.load import register

from .conftest import cli_cmd, free_port, run_cli, run_json

KEYS = {
    "requests",
    "errors",
    "rps",
    "latency_ms",
    "service_time_ms",
    "schedule_lag_ms",
    "thresholds",
    "series",
}
PCTS = {"p50", "p90", "p95", "p99", "p999", "max"}


def _check_doc(doc: dict) -> None:
    assert set(doc) >= KEYS
    for key in ("latency_ms", "service_time_ms", "schedule_lag_ms"):
        assert set(doc[key]) == PCTS


def test_register_adds_load_command() -> None:
    app = typer.Typer()
    register(app)
    assert [c.name for c in app.registered_commands] == ["load"]


def test_open_model_against_nginx(nginx: str, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code, doc, _ = run_json(
        f"{nginx}/index.html",
        "--rate",
        "200",
        "--duration",
        "3s",
        "--arrival",
        "uniform",
        "--out",
        str(out),
        "--slo",
        "p99<2s",
        "--slo",
        "errors<1%",
    )
    assert code == 0
    _check_doc(doc)
    assert doc["model"] == "open" and doc["complete"] is True
    assert doc["requests"] == 600 and doc["errors"] == 0
    assert doc["status_codes"] == {"200": 600}
    assert doc["rps"] == pytest.approx(200, rel=0.02)
    assert 0 < doc["latency_ms"]["p50"] < 100
    assert doc["latency_ms"]["p50"] >= doc["service_time_ms"]["p50"] * 0.9
    assert [r["t"] for r in doc["series"]][:3] == [1, 2, 3] and len(doc["series"]) <= 4
    assert sum(r["requests"] for r in doc["series"]) == 600
    assert all(t["passed"] for t in doc["thresholds"])
    assert json.loads(out.read_text()) == doc


def test_closed_model_reports_itself(nginx: str) -> None:
    code, doc, _ = run_json(f"{nginx}/", "--users", "4", "--duration", "2s", "--think", "5ms")
    assert code == 0
    assert doc["model"] == "closed" and "coordinated omission" in doc["note"]
    assert doc["users"] == 4 and doc["requests"] > 100 and doc["errors"] == 0
    # closed model: latency *is* service time
    assert doc["latency_ms"]["p50"] == pytest.approx(doc["service_time_ms"]["p50"], rel=0.05, abs=0.05)


def test_text_output_has_summary_table(nginx: str) -> None:
    proc = run_cli(f"{nginx}/", "--rate", "50", "--duration", "1s", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert "latency (from intended)" in proc.stdout and "service time" in proc.stdout
    assert "p99" in proc.stdout and "50" in proc.stdout


# --- honesty: the stall -------------------------------------------------------------------------
def expected_stall_p90(rate: float, duration: float, period: float = 5.0, stall: float = 1.0) -> float:
    """Exact p90 (s) of latency from intended time for uniform arrivals against the stall server.

    Over any window that is a whole number of periods, a fraction stall/period of the intended send
    times falls inside a stall (requests that arrive during one wait until it ends, so the waits are
    spread evenly over (0, stall]); the rest are answered at once (≈0). With n requests of which
    m = n·stall/period stall, the nearest-rank p90 is the ceil(0.9 n)-th smallest value: the
    (ceil(0.9 n) − (n − m))-th of the m waits, i.e. that fraction of the stall.
    """
    n = round(rate * duration)
    m = round(n * stall / period)
    k = -(-9 * n // 10) - (n - m)
    return stall * k / m


def test_open_model_sees_the_stall(server, tmp_path: Path) -> None:
    srv = server("stall")
    rate, duration = 200, 5.0
    expected = expected_stall_p90(rate, duration)
    assert expected == pytest.approx(0.5)
    code, doc, _ = run_json(
        srv.url, "--rate", str(rate), "--duration", "5s", "--arrival", "uniform", "--connections", "400"
    )
    assert code == 0
    assert doc["requests"] == 1000 and doc["errors"] == 0
    p90 = doc["latency_ms"]["p90"] / 1000
    assert p90 == pytest.approx(expected, rel=0.10)
    assert doc["latency_ms"]["max"] == pytest.approx(1000, rel=0.15)
    # Keeping up is judged per window against that window's own p50 (at least the floor); a loaded
    # machine may fall behind, so the test pins the rule, not the machine.
    g = doc["generator"]
    assert [(w["from_s"], w["to_s"]) for w in g["windows"]] == [(0, 5)]
    for w in g["windows"]:
        assert w["limit_ms"] == pytest.approx(max(0.1 * w["latency_p50_ms"], 5.0), abs=1e-3)
        assert w["keeping_up"] is (w["lag_p99_ms"] <= w["limit_ms"])
    assert g["keeping_up"] is all(w["keeping_up"] for w in g["windows"])


def test_closed_model_hides_the_stall(server) -> None:
    """The same server through a closed model: p90 is tiny, which is exactly the lie the issue describes."""
    srv = server("stall")
    code, doc, _ = run_json(srv.url, "--users", "4", "--duration", "5s", "--workers", "1")
    assert code == 0
    assert doc["latency_ms"]["p90"] < 50
    assert doc["latency_ms"]["max"] > 300  # the stall is there, only the percentiles hide it


# --- thresholds decide the exit code ---------------------------------------------------------------
def test_threshold_breach_exits_1(nginx: str) -> None:
    code, doc, _ = run_json(
        f"{nginx}/",
        "--rate",
        "100",
        "--duration",
        "1s",
        "--slo",
        "p50<1us",
        "--slo",
        "errors<1%",
        "--slo",
        "rps>100000",
    )
    assert code == 1
    res = {t["threshold"]: t["passed"] for t in doc["thresholds"]}
    assert res == {"p50<1us": False, "errors<1%": True, "rps>100000": False}
    assert doc["passed"] is False


def test_abort_on_fail_stops_early(server) -> None:
    srv = server("slow", "--delay", "0.3")
    start = time.monotonic()
    code, doc, _ = run_json(
        srv.url,
        "--rate",
        "50",
        "--duration",
        "20s",
        "--slo",
        "p95<100ms",
        "--abort-on-fail",
        "--workers",
        "1",
    )
    assert code == 1
    assert doc["aborted"].startswith("threshold")
    assert time.monotonic() - start < 12


def test_nothing_measured_exits_3(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here
    out = tmp_path / "r.json"
    code, doc, stderr = run_json(
        f"http://127.0.0.1:{port}/",
        "--rate",
        "20",
        "--arrival",
        "uniform",
        "--duration",
        "1s",
        "--out",
        str(out),
    )
    assert code == 3
    assert doc["errors"] == doc["requests"] == 20
    assert doc["error_kinds"]["connect_refused"] == 20
    assert "nothing was measured" in stderr
    assert json.loads(out.read_text())["requests"] == 20


# --- bad input: one line, exit 2, no traceback -----------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["not a url"], "scheme"),
        (["ftp://127.0.0.1/"], "unsupported URL scheme"),
        (["http://127.0.0.1:1/", "--stages", "30s:abc"], "--stages"),
        (["http://127.0.0.1:1/", "--stages", "30s"], "DURATION:RATE"),
        (["http://127.0.0.1:1/", "--slo", "p95<<1"], "bad threshold"),
        (["http://127.0.0.1:1/", "--slo", "latency<1s"], "bad threshold"),
        (["http://127.0.0.1:1/", "--duration", "ten"], "--duration"),
        (["http://127.0.0.1:1/", "--users", "5", "--rate", "5"], "cannot be combined"),
        (["http://127.0.0.1:1/", "--profile", "nope"], "unknown profile"),
        (["http://127.0.0.1:1/", "--duration", "2h"], "cap"),
        (["--scenario", "/nonexistent/s.yaml"], "scenario file not found: /nonexistent/s.yaml"),
        ([], "no target"),
    ],
)
def test_usage_errors(args: list[str], needle: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) == 1


def test_malformed_scenario_names_file_and_line(tmp_path: Path) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text("target: http://127.0.0.1:1\nrequests:\n  - path: /a\n    weight: [oops\n")
    proc = run_cli("--scenario", str(sc))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{sc}:" in proc.stderr and "malformed YAML" in proc.stderr
    sc.write_text("target: http://127.0.0.1:1\nrequests:\n  - path: /a\n  - weight: 2\n")
    proc = run_cli("--scenario", str(sc))
    assert proc.returncode == 2 and f"{sc}:4:" in proc.stderr and "'path' is required" in proc.stderr


def test_scenario_missing_csv(tmp_path: Path) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text("target: http://127.0.0.1:1\ndata: nope.csv\nrequests:\n  - path: /a/${id}\n")
    proc = run_cli("--scenario", str(sc))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "CSV data file not found" in proc.stderr and "nope.csv" in proc.stderr


def test_scenario_mix_csv_and_expect(nginx: str, tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text("file\nindex.html\nsmall.txt\n")
    sc = tmp_path / "s.yaml"
    sc.write_text(f"""target: {nginx}
data: ids.csv
requests:
  - name: files
    path: /${{file}}
    weight: 3
    expect: 200
  - name: missing
    path: /missing
    weight: 1
    expect: 404
load:
  rate: 200
  duration: 2s
  arrival: uniform
  thresholds: ["errors<1%"]
""")
    code, doc, _ = run_json("--scenario", str(sc))
    assert code == 0, doc
    assert doc["requests"] == 400 and doc["errors"] == 0
    assert doc["status_codes"]["404"] == pytest.approx(100, abs=2)
    assert doc["status_codes"]["200"] == pytest.approx(300, abs=2)
    assert set(doc["requests_mix"]) == {"files", "missing"}


def test_unexpected_status_is_an_error(server) -> None:
    srv = server("status", "--status", "500")
    code, doc, _ = run_json(
        srv.url, "--rate", "50", "--arrival", "uniform", "--duration", "1s", "--slo", "errors<1%"
    )
    assert code == 1
    assert doc["error_kinds"]["http_5xx"] == 50


# --- faults: bounded time, errors counted, results saved -------------------------------------------
def _start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_cmd(*args, "--quiet", "--format", "json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_file(path: Path, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            doc = json.loads(path.read_text())
            if doc["requests"] > 0:
                return doc
        time.sleep(0.1)
    raise AssertionError(f"{path} never showed requests > 0")


def test_server_killed_mid_run(server, tmp_path: Path) -> None:
    srv = server("ok")
    out = tmp_path / "r.json"
    start = time.monotonic()
    proc = _start(
        [
            srv.url,
            "--rate",
            "100",
            "--arrival",
            "uniform",
            "--duration",
            "4s",
            "--out",
            str(out),
            "--timeout",
            "2s",
        ]
    )
    partial = _wait_file(out)
    assert partial["complete"] is False  # written incrementally, before the end
    srv.kill()
    stdout, _ = proc.communicate(timeout=30)
    assert time.monotonic() - start < 15
    assert proc.returncode in (0, 1)  # measured some, no thresholds given
    doc = json.loads(out.read_text())
    assert doc == json.loads(stdout)
    assert doc["requests"] == 400 and 0 < doc["errors"] < 400
    assert doc["error_kinds"]["connect_refused"] + doc["error_kinds"]["reset"] == doc["errors"]


def test_sigint_leaves_results(server, tmp_path: Path) -> None:
    srv = server("ok")
    out = tmp_path / "r.json"
    proc = _start([srv.url, "--rate", "100", "--duration", "60s", "--out", str(out)])
    _wait_file(out)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=15)
    assert proc.returncode == 130
    doc = json.loads(out.read_text())
    assert doc["interrupted"] is True and doc["complete"] is False
    assert doc["requests"] > 50 and doc["elapsed_s"] < 30
    assert doc == json.loads(stdout)


def test_connection_resets_are_counted(server, tmp_path: Path) -> None:
    srv = server("reset")
    out = tmp_path / "r.json"
    code, doc, _ = run_json(
        srv.url, "--rate", "50", "--arrival", "uniform", "--duration", "1s", "--out", str(out)
    )
    assert code == 3  # no response at all
    assert doc["error_kinds"]["reset"] == 50
    assert json.loads(out.read_text())["errors"] == 50


def test_slow_responses_time_out(server, tmp_path: Path) -> None:
    srv = server("slow", "--delay", "5")
    start = time.monotonic()
    code, doc, _ = run_json(
        srv.url,
        "--rate",
        "20",
        "--arrival",
        "uniform",
        "--duration",
        "1s",
        "--timeout",
        "500ms",
        "--out",
        str(tmp_path / "r.json"),
    )
    assert time.monotonic() - start < 8
    assert code == 3
    assert doc["error_kinds"]["timeout"] == 20


def test_max_requests_caps_the_run(nginx: str) -> None:
    code, doc, _ = run_json(f"{nginx}/", "--rate", "500", "--duration", "5s", "--max-requests", "123")
    assert code == 0
    assert doc["sent"] == 123 and doc["requests"] == 123


# --- profiles --------------------------------------------------------------------------------------
@pytest.mark.parametrize("profile", ["baseline", "stress", "spike", "soak"])
def test_profiles_run(nginx: str, profile: str) -> None:
    code, doc, _ = run_json(
        f"{nginx}/",
        "--profile",
        profile,
        "--rate",
        "40",
        "--duration",
        "3s",
        "--arrival",
        "uniform",
        "--workers",
        "1",
    )
    assert code == 0
    assert doc["profile"] == profile and doc["errors"] == 0
    assert doc["requests"] == doc["planned_requests"]
    targets = [r["target_rps"] for r in doc["series"]]
    if profile == "stress":
        assert max(targets) > 1.5 * min(targets)
    if profile == "soak":
        assert doc["drift"] is not None and "p95_change_pct" in doc["drift"]


def test_custom_stages(nginx: str) -> None:
    code, doc, _ = run_json(f"{nginx}/", "--stages", "1s:100,1s:100,1s:0", "--arrival", "uniform")
    assert code == 0
    assert doc["requests"] == 200
    assert doc["series"][1]["target_rps"] == 100


def test_breakpoint_finds_the_limit(server) -> None:
    # 4 connections to a server taking 50 ms each: capacity ~80 req/s; the ramp goes 4 → 400 req/s.
    srv = server("slow", "--delay", "0.05")
    code, doc, _ = run_json(
        srv.url,
        "--profile",
        "breakpoint",
        "--rate",
        "40",
        "--duration",
        "10s",
        "--connections",
        "4",
        "--workers",
        "1",
        "--slo",
        "p95<300ms",
        "--timeout",
        "3s",
    )
    bp = doc["breakpoint"]
    assert bp["broken"] is True and doc["aborted"] == "breakpoint"
    assert bp["last_sustained_rps"] is not None and bp["last_sustained_rps"] < 120
    assert doc["elapsed_s"] < 8
    assert code == 0


def test_html_report_is_self_contained(nginx: str, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    code, doc, _ = run_json(
        f"{nginx}/", "--rate", "50", "--duration", "2s", "--html", str(html), "--slo", "p95<1s"
    )
    assert code == 0
    text = html.read_text()
    assert text.count("<svg") == 4  # latency over time, throughput vs target, errors, histogram
    assert "<script" not in text and "src=" not in text and "<link" not in text
    assert "Latency percentiles per second" in text and "p95&lt;1s" in text
    assert doc["target"] in text


# --- HTTPS: verified by default ----------------------------------------------------------------------
def test_https_untrusted_certificate_fails_clearly(server, tls_cert) -> None:
    cert, key = tls_cert
    srv = server("ok", "--certfile", str(cert), "--keyfile", str(key))
    assert srv.url.startswith("https://")
    code, doc, stderr = run_json(srv.url, "--rate", "20", "--arrival", "uniform", "--duration", "1s")
    assert code == 3  # no response at all: every handshake was refused by our own verification
    assert doc["error_kinds"]["tls_error"] == doc["requests"] == 20
    assert "CERTIFICATE_VERIFY_FAILED" in doc["error_examples"]["tls_error"]
    assert "tls_error" in stderr and "--insecure" in stderr and "--cacert" in stderr


@pytest.mark.parametrize("trust", ["--insecure", "--cacert"])
def test_https_runs_when_trusted(server, tls_cert, trust: str) -> None:
    cert, key = tls_cert
    srv = server("ok", "--certfile", str(cert), "--keyfile", str(key))
    args = [trust] if trust == "--insecure" else [trust, str(cert)]
    code, doc, _ = run_json(srv.url, "--users", "4", "--duration", "1s", "--workers", "1", *args)
    assert code == 0, doc["error_examples"]
    assert doc["requests"] > 50 and doc["errors"] == 0
    assert doc["status_codes"] == {"200": doc["requests"]}


# --- several processes: the merge adds up --------------------------------------------------------------
def test_closed_model_two_workers_merge_exactly(nginx: str) -> None:
    code, doc, _ = run_json(f"{nginx}/", "--users", "8", "--workers", "2", "--duration", "2s")
    assert code == 0
    assert doc["workers"] == 2 and doc["generator"]["max_connections_used"] == 8
    per = doc["generator"]["per_worker"]
    assert [w["worker"] for w in per] == [0, 1] and all(w["requests"] > 100 for w in per)
    assert sum(w["requests"] for w in per) == doc["requests"]
    assert sum(w["sent"] for w in per) == doc["sent"] == doc["requests"]  # closed: nothing left over
    assert sum(r["requests"] for r in doc["series"]) == doc["requests"]
    assert sum(doc["status_codes"].values()) == doc["requests"]
    assert sum(c for _, c in doc["latency_histogram"]) == doc["requests"]
