"""Regression tests for the "trust" issue: every bug reproduced against real servers on 127.0.0.1.

Each run is bounded (seconds, a request cap or a signal) and stops by itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from redline.load.config import MAX_CONNECTIONS, max_rate

from .conftest import cli_cmd, run_cli, run_json

NULL_PCTS = {"p50": None, "p90": None, "p95": None, "p99": None, "p999": None, "max": None}
RSS_LIMIT_MB = 400  # three Python processes with numpy are ~150 MB together; growth would pass this fast


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the workers), in MB."""
    kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for p in [str(pid), *kids]:
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            pass
    return total / 1024


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


# --- 1. breakpoint + threshold + --out -------------------------------------------------------------
def test_breakpoint_with_threshold_writes_partial_and_final_results(server, tmp_path: Path) -> None:
    srv = server("slow", "--delay", "0.05")
    out = tmp_path / "results.json"
    proc = subprocess.Popen(
        [
            *cli_cmd(srv.url, "--profile", "breakpoint", "--rate", "40", "--duration", "6s"),
            *("--connections", "4", "--workers", "1", "--slo", "p99<200ms", "--out", str(out)),
            *("--quiet", "--format", "json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 10
    partial = None
    while partial is None and time.monotonic() < deadline and proc.poll() is None:
        if out.exists():
            partial = json.loads(out.read_text())
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr
    assert partial is not None and partial["complete"] is False and partial["thresholds"] == []
    doc = json.loads(out.read_text())
    assert doc == json.loads(stdout)
    assert [(t["threshold"], t["gates"]) for t in doc["thresholds"]] == [("p99<200ms", False)]
    assert doc["breakpoint"]["criteria"] == ["p99<200ms", "errors<1%"]
    assert proc.returncode == 0


# --- 2. caps, bounded memory, signals at any rate ----------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--rate", "1e9"], f"at most {max_rate():,.0f} req/s"),
        (["--stages", "1s:10,1s:1e9"], f"at most {max_rate():,.0f} req/s"),
        (
            ["--users", "100000"],
            f"--users 100000 is more than one machine can hold open: at most {MAX_CONNECTIONS:,}",
        ),
        (["--connections", str(MAX_CONNECTIONS + 1)], f"at most {MAX_CONNECTIONS:,} connections"),
    ],
)
def test_caps_refuse_what_one_machine_cannot_drive(args: list[str], needle: str) -> None:
    start = time.monotonic()
    proc = run_cli("http://127.0.0.1:1/", *args, timeout=20)
    assert proc.returncode == 2 and needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "several machines" in proc.stderr
    assert time.monotonic() - start < 10


@pytest.mark.parametrize(
    ("args", "sig", "code"),
    [
        (["--rate", str(int(max_rate())), "--connections", "10"], signal.SIGINT, 130),
        (["--rate", str(int(max_rate())), "--connections", "10"], signal.SIGTERM, 143),
        (["--users", str(MAX_CONNECTIONS)], signal.SIGTERM, 143),
    ],
    ids=["rate-cap-sigint", "rate-cap-sigterm", "users-cap-sigterm"],
)
def test_extreme_load_is_bounded_and_stops_within_a_second(
    server, tmp_path: Path, args: list[str], sig: int, code: int
) -> None:
    srv = server("slow", "--delay", "5")  # nothing is answered in time: every connection stays busy
    out = tmp_path / "r.json"
    proc = subprocess.Popen(
        cli_cmd(srv.url, *args, "--duration", "60s", "--out", str(out), "--quiet", "--format", "json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        peak = 0.0
        end = time.monotonic() + 4
        while time.monotonic() < end:
            assert proc.poll() is None, proc.communicate()[1]
            peak = max(peak, _rss_mb(proc.pid))
            time.sleep(0.1)
        sent_at = time.monotonic()
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=10)
        latency = time.monotonic() - sent_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == code
    assert latency < 1.0, f"took {latency:.2f}s to stop after the signal"
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"
    doc = json.loads(out.read_text())
    assert doc == json.loads(stdout)
    assert doc["interrupted"] is True and doc["complete"] is False and doc["responses"] == 0
    if "--rate" in args:  # far more arrivals than 10 connections can carry: counted, never silently dropped
        assert doc["not_sent"]["queue_full"] > 100_000
        assert doc["not_sent"]["total"] == doc["error_kinds"]["queue_full"] == doc["errors"]
    else:
        assert doc["generator"]["per_worker"] and doc["sent"] == MAX_CONNECTIONS


# --- 3. output paths -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "make", "needle"),
    [
        ("--html", lambda d: d, "is a directory; give a file name, e.g. {d}/report.html"),
        ("--out", lambda d: d, "is a directory; give a file name, e.g. {d}/results.json"),
        ("--out", lambda d: d / "missing" / "r.json", "folder {d}/missing does not exist; create it first"),
        ("--html", lambda d: d / "missing" / "r.html", "folder {d}/missing does not exist; create it first"),
        ("--out", lambda d: d / "same.x", "--out and --html are the same file"),
    ],
)
def test_bad_output_paths_are_usage_errors(tmp_path: Path, option: str, make, needle: str) -> None:
    path = make(tmp_path)
    extra = ["--html", str(tmp_path / "same.x")] if needle.startswith("--out and") else []
    proc = run_cli("http://127.0.0.1:1/", "--rate", "10", "--duration", "1s", option, str(path), *extra)
    assert proc.returncode == 2, proc.stderr
    assert needle.format(d=tmp_path) in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no folder made, no temp file left


def test_outputs_are_0644_and_leave_no_temp_file(nginx: str, tmp_path: Path, umask_022: None) -> None:
    out, html = tmp_path / "r.json", tmp_path / "report.html"
    code, doc, _ = run_json(
        f"{nginx}/", "--rate", "20", "--duration", "1s", "--out", str(out), "--html", str(html)
    )
    assert json.loads(out.read_text()) == doc
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "report.html"]
    assert (out.stat().st_mode & 0o777, html.stat().st_mode & 0o777) == (0o644, 0o644)


# --- 4. rps counts answered requests; requests never sent are counted apart ----------------------------
def test_rps_counts_answered_requests_over_the_time_they_took(server) -> None:
    # One connection to a server taking 0.3 s: 20 arrivals in 1 s are answered one after another over 6 s.
    srv = server("slow", "--delay", "0.3")
    code, doc, _ = run_json(
        srv.url, "--rate", "20", "--arrival", "uniform", "--duration", "1s", "--connections", "1"
    )
    assert code == 0
    assert doc["responses"] == doc["requests"] == 20 and doc["not_sent"]["total"] == 0
    assert 6.0 <= doc["elapsed_s"] < 7.5
    assert doc["rps"] == pytest.approx(20 / doc["elapsed_s"], rel=1e-3)  # ~3/s, not 20/s


def test_requests_that_timed_out_before_being_sent_are_counted_apart(server) -> None:
    """10 arrivals (0.05 s, 0.15 s, ... 0.95 s), one connection, a server that never answers in time.

    The first request is sent and times out at ~1.05 s; the new connection then takes the oldest
    waiting one (0.15 s), which times out at ~2.15 s. The other 8 wait for a connection longer than
    timeout + connect timeout (1.1 s) and are dropped from the queue at 1.35 … 2.05 s, never sent.
    """
    srv = server("slow", "--delay", "5")
    proc = run_cli(
        srv.url,
        *("--rate", "10", "--arrival", "uniform", "--duration", "1s", "--connections", "1"),
        *("--timeout", "1s", "--connect-timeout", "100ms", "--workers", "1"),
    )
    assert proc.returncode == 3, proc.stderr
    assert "not sent  8 (waited past the timeout for a connection 8, queue full 0)" in proc.stdout
    assert (
        "8 requests were never sent (8 waited for a free connection longer than the timeout)" in proc.stderr
    )
    code, doc, _ = run_json(
        srv.url,
        *("--rate", "10", "--arrival", "uniform", "--duration", "1s", "--connections", "1"),
        *("--timeout", "1s", "--connect-timeout", "100ms", "--workers", "1"),
    )
    assert code == 3
    assert doc["not_sent"] == {"total": 8, "wait_timeout": 8, "queue_full": 0}
    assert doc["error_kinds"]["timeout"] == 2 and doc["error_kinds"]["wait_timeout"] == 8
    assert doc["requests"] == doc["errors"] == 10 and doc["responses"] == 0 and doc["rps"] == 0.0


# --- 5. nothing measured: null, not 0.0 ------------------------------------------------------------------
def test_nothing_measured_reports_null_latencies(server) -> None:
    srv = server("reset")
    args = (srv.url, "--rate", "20", "--arrival", "uniform", "--duration", "1s")
    code, doc, _ = run_json(*args)
    assert code == 3 and doc["error_kinds"]["reset"] == 20
    assert doc["latency_ms"] == NULL_PCTS and doc["service_time_ms"] == NULL_PCTS
    assert all(row["latency_ms"] == NULL_PCTS for row in doc["series"])
    proc = run_cli(*args)
    assert proc.returncode == 3 and "latency: no responses, nothing to measure" in proc.stdout
    assert "p50" not in proc.stdout  # no table of zeros


# --- 6. a breakpoint run that breaks at once -----------------------------------------------------------
def test_breakpoint_that_breaks_in_its_first_window(server, tmp_path: Path) -> None:
    # capacity 2 req/s (one connection, 0.5 s each) against a ramp that starts at 4 req/s
    srv = server("slow", "--delay", "0.5")
    html = tmp_path / "report.html"
    proc = run_cli(
        srv.url,
        *("--profile", "breakpoint", "--rate", "40", "--duration", "20s", "--connections", "1"),
        *("--workers", "1", "--arrival", "uniform", "--slo", "p95<100ms", "--html", str(html)),
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "breakpoint: broke in the first window at " in proc.stdout
    assert "no rate was sustained" in proc.stdout and "None" not in proc.stdout
    assert "Breakpoint: broke in the first window at" in html.read_text()


# --- 7. units: a bare number is refused ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--slo", "p95<200"], "write 200ms or 200s"),
        (["--slo", "service_p99<=5"], "write 5ms or 5s"),
        (["--duration", "30"], "--duration: a bare number is ambiguous here"),
        (["--timeout", "2"], "--timeout: a bare number is ambiguous here"),
        (["--users", "2", "--think", "100"], "--think: a bare number is ambiguous here"),
        (["--stages", "30:100"], "bad stage '30:100' in --stages"),
    ],
)
def test_bare_numbers_are_refused(args: list[str], needle: str) -> None:
    proc = run_cli("http://127.0.0.1:1/", *args)
    assert proc.returncode == 2 and needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_scenario_bare_duration_is_refused(tmp_path: Path) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text("target: http://127.0.0.1:1\nrequests:\n  - path: /a\nload:\n  duration: 30\n")
    proc = run_cli("--scenario", str(sc))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{sc}: bad 'load' section" in proc.stderr and "write 30ms or 30s" in proc.stderr


# --- 8. odd options: one line, exit 2 ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--rate", "nan"], "--rate must be > 0 (got nan)"),
        (["--rate", "inf"], "--rate must be > 0 (got inf)"),
        (["--rate", "-5"], "--rate must be > 0 (got -5.0)"),
        (["--rate", "0"], "--rate must be > 0 (got 0.0)"),
        (["--rate", "1e-300"], "the schedule sends no request"),
        (["--users", "0"], "--users must be >= 1 (got 0)"),
        (["--users", "-3"], "--users must be >= 1 (got -3)"),
        (["--connections", "0"], "--connections must be >= 1 (got 0)"),
        (["--workers", "0"], "--workers must be between 1 and 64 (got 0)"),
        (["--workers", "65"], "--workers must be between 1 and 64 (got 65)"),
        (["--timeout", "0s"], "--timeout must be > 0"),
        (["--timeout", "-1s"], "a duration cannot be negative"),
        (["--timeout", "2h"], "--timeout must be between 0s and 1h"),
        (["--connect-timeout", "1e300s"], "--connect-timeout must be between 0s and 1h"),
        (["--duration", "0s"], "--duration must be > 0"),
        (["--duration", "nans"], "--duration"),
        (["--max-requests", "0"], "--max-requests must be >= 1"),
        (["--max-duration", "0"], "--max-duration must be > 0"),
        (["--stages", "1e308s:1"], "exceeds the 3600s cap"),
        (["--cacert", "/etc/hostname"], "is not a PEM certificate"),
        (["--format", "xml"], "--format must be text or json"),
        (["-X", "BREW"], "unsupported HTTP method"),
        (["-H", "no colon"], "bad header"),
    ],
)
def test_odd_options_are_usage_errors(args: list[str], needle: str) -> None:
    proc = run_cli("http://127.0.0.1:1/", *args)
    assert proc.returncode == 2 and needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) == 1


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://127.0.0.1:0/", "port 0 is not a port one can connect to"),
        ("file:///etc/passwd", "unsupported URL scheme 'file'"),
        ("ws://127.0.0.1:1/", "unsupported URL scheme 'ws'"),
        ("http://127.0.0.1:70000/", "bad URL"),
    ],
)
def test_odd_urls_are_usage_errors(url: str, needle: str) -> None:
    proc = run_cli(url, "--rate", "10", "--duration", "1s")
    assert proc.returncode == 2 and needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
