"""`redline verify` and `redline calibrate` end to end, against the reference system on 127.0.0.1.

Runs are short (1 s warm-up + 3 s measured), so the numbers are noisy; the tests pin what does not depend
on the machine: every prediction is the forecast's own, every error is computed from the numbers shown,
the exit code follows the verdict, and calibrate writes exactly what the stats measured.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from redline.demo.process import DemoProcess
from redline.demo.systems import SYSTEMS, Config
from redline.forecast import forecast
from redline.sources.scan import scan
from redline.verify.calibrate import duration_text
from tests.load.conftest import free_port

SPEC = SYSTEMS[Config.SINGLE]


def redline(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "redline", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with DemoProcess(Config.SINGLE, max_seconds=180, seed=11) as d:
        yield d


@pytest.fixture(scope="module")
def verified(demo: DemoProcess, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, int]:
    """One verify run (JSON) on a copy of the single-tier system: its folder, its document, its exit code."""
    folder = tmp_path_factory.mktemp("single")
    shutil.copy(SPEC.folder / "redline.yaml", folder / "redline.yaml")
    out = folder / "verify.json"
    proc = redline(
        "verify", str(folder), "--target", f"web={demo.entry_url}", "--stats", f"front={demo.stats_url('front')}",
        "--at", "50%", "--duration", "3s", "--warmup", "1s", "--seed", "5", "--format", "json", "-o", str(out), "-q",
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return folder, json.loads(out.read_text()), proc.returncode


def test_verify_compares_the_forecast_with_the_measurement_and_exits_on_the_verdict(verified) -> None:
    folder, doc, code = verified
    assert code == {"pass": 0, "fail": 1, "incomplete": 2}[doc["verdict"]]
    [entry] = doc["entrypoints"]
    system = scan(folder)
    predicted_sat = forecast(system, entrypoints={"web": 1.0}).entrypoints[0].saturation_rps
    sat = entry["saturation"]
    assert {"predicted_rps", "measured_rps", "error_pct", "bottleneck"} <= set(sat)
    assert (
        sat["predicted_rps"] == round(predicted_sat, 3) == pytest.approx(250.0, rel=1e-3)
    )  # 2 workers / 8 ms
    [point] = entry["points"]
    assert point["rps"] == round(0.5 * predicted_sat, 3)
    at = forecast(system, entrypoints={"web": 0.5 * predicted_sat}).entrypoints[0]
    assert point["predicted"] == {"p50_ms": at.p50_ms, "p95_ms": at.p95_ms, "p99_ms": at.p99_ms}
    for key in ("p50", "p95", "p99"):
        pred, meas = point["predicted"][f"{key}_ms"], point["measured"][f"{key}_ms"]
        assert point["error_pct"][key] == round((meas - pred) / pred * 100, 2)
        assert point["band_pct"][key] > 0
    inside = all(abs(point["error_pct"][k]) <= point["band_pct"][k] for k in ("p50", "p95", "p99"))
    assert point["within_band"] is inside
    assert 250 <= point["completions"] <= 500  # 125 rps for 3 s after the warm-up
    # the search climbs from 0.8x the prediction until a step falls behind, at most 8 steps
    steps = entry["steps"]
    assert [s["fraction"] for s in steps] == [0.8, 0.9, 1.0, 1.1, 1.2, 1.35, 1.5, 2.0][: len(steps)]
    assert all(s["stable"] for s in steps[:-1])
    if not steps[-1]["stable"]:
        # between the last stable step's throughput and the first unstable step's load
        last_ok = steps[-2] if len(steps) > 1 else None
        floor = last_ok["completions"] / last_ok["arrivals"] * last_ok["rps"] if last_ok else 0.0
        assert sat["bracket_rps"] == [last_ok["rps"] if last_ok else 0.0, steps[-1]["rps"]]
        assert floor - 1e-3 <= sat["measured_rps"] <= steps[-1]["rps"]
        assert sat["error_pct"] == round(
            (sat["measured_rps"] - sat["predicted_rps"]) / sat["predicted_rps"] * 100, 2
        )
        assert (sat["bottleneck"], sat["measured_bottleneck"], sat["bottleneck_matches"]) == (
            "front",
            "front",
            True,
        )
    assert (
        entry["probe"]["requests"] == 200
        and entry["probe"]["server_timing"]["front"]["visits_per_request"] == 1.0
    )


def _own_per_request(doc: dict) -> tuple[float, int]:
    """The utilization law over every run: worker time taken, less time held waiting on calls, per request."""
    runs = [c for e in doc["entrypoints"] for p in e["points"] for c in p["stats"]]
    runs += [s["stats"] for e in doc["entrypoints"] for s in e["steps"] if s["stats"]]
    worker = sum(r["front"]["busy_s"] - r["front"]["hold_s"] + r["front"]["own_s"] for r in runs)
    measured = sum(r["front"]["own_s"] for r in runs)  # never below the sleeps the workers measured
    n = sum(r["front"]["requests"] for r in runs)
    return max(worker, measured) / n, n


def test_calibrate_writes_the_measured_service_time_with_its_provenance_and_keeps_the_comments(
    verified,
) -> None:
    folder, doc, _ = verified
    yaml_path = folder / "redline.yaml"
    original = yaml_path.read_text()
    own, n = _own_per_request(doc)
    dry = redline(
        "calibrate", str(folder), "--from", str(folder / "verify.json"), "--dry-run", "--format", "json"
    )
    assert dry.returncode == 0, dry.stderr
    assert yaml_path.read_text() == original
    proc = redline("calibrate", str(folder), "--from", str(folder / "verify.json"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    cal = json.loads(proc.stdout)
    [fit] = cal["fits"]
    assert (fit["component"], fit["kind"], fit["before"], fit["samples"]) == (
        "front",
        "service_time",
        0.008,
        n,
    )
    assert fit["after"] == pytest.approx(own, rel=1e-12)
    assert cal["saturation_after"]["web"] == pytest.approx(
        2 / own, rel=1e-3
    )  # M/M/2: 2 workers / service time
    text = yaml_path.read_text()
    comment = (
        "# own work: asyncio.sleep drawn from an exponential law, mean 8 ms; calibrated from verify run "
        f"verify.json: stats, worker time on own work over {n:,} requests (was 8ms)"
    )
    # ruamel keeps the comment's column, so the padding depends on the value's width: compare it apart
    written = [ln for ln in text.splitlines() if ln.startswith("    service_time: ")]
    assert len(written) == 1
    value, _, rest = written[0].removeprefix("    service_time: ").partition(" ")
    assert (value, rest.strip()) == (duration_text(own), comment)
    assert text.splitlines()[:2] == original.splitlines()[:2]  # the header comments
    assert "    workers: 2                # a FIFO pool of 2 workers" in text.splitlines()
    assert scan(folder).component("front").service_time_s == pytest.approx(
        float(duration_text(own)[:-2]) / 1000
    )


def test_replay_re_forecasts_against_the_recorded_measurement_without_load(verified) -> None:
    folder, doc, _ = verified
    proc = redline("verify", str(folder), "--measured", str(folder / "verify.json"), "--format", "json")
    replay = json.loads(proc.stdout)
    assert (
        replay["replayed"] is True
        and proc.returncode == {"pass": 0, "fail": 1, "incomplete": 2}[replay["verdict"]]
    )
    old, new = doc["entrypoints"][0], replay["entrypoints"][0]
    assert new["points"][0]["measured"] == old["points"][0]["measured"]
    assert new["saturation"]["measured_rps"] == old["saturation"]["measured_rps"]
    system = scan(
        folder
    )  # calibrated by the test before, or not: the prediction is the forecast's either way
    at = forecast(system, entrypoints={"web": old["points"][0]["rps"]}).entrypoints[0]
    assert new["points"][0]["predicted"]["p95_ms"] == at.p95_ms


def test_calibrate_from_a_load_run_scales_the_path_to_its_low_load_latency(
    demo: DemoProcess, tmp_path: Path
) -> None:
    shutil.copy(SPEC.folder / "redline.yaml", tmp_path / "redline.yaml")
    results = tmp_path / "results.json"
    load = redline(
        "load",
        demo.entry_url,
        "--rate",
        "60",
        "--duration",
        "3s",
        "--warmup",
        "1s",
        "--out",
        str(results),
        "-q",
    )
    assert load.returncode == 0, load.stderr
    measured_p50 = json.loads(results.read_text())["measured"]["latency_ms"]["p50"]
    out = tmp_path / "calibrated.yaml"
    proc = redline("calibrate", str(tmp_path), "--from", str(results), "-o", str(out), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    [fit] = json.loads(proc.stdout)["fits"]
    assert fit["component"] == "front" and "so that p50 at 60.0 rps is the measured" in fit["method"]
    calibrated = scan(tmp_path, overlay=out)
    p50 = forecast(calibrated, entrypoints={"web": 60.0}).entrypoints[0].p50_ms
    assert p50 == pytest.approx(measured_p50, rel=0.01)  # up to the 4 digits written to the file
    assert (tmp_path / "redline.yaml").read_text() == (SPEC.folder / "redline.yaml").read_text()


def test_input_errors_exit_2_with_one_line_and_send_nothing(tmp_path: Path) -> None:
    folder = str(SPEC.folder)
    no_target = redline("verify", folder)
    assert no_target.returncode == 2 and "give --target ENTRY=URL" in no_target.stderr
    bad_at = redline("verify", folder, "--target", "web=http://127.0.0.1:9/", "--at", "50%,100%")
    assert (
        bad_at.returncode == 2
        and "--at 100%: each load must lie in (0%, 99%] of the saturation" in bad_at.stderr
    )
    closed = f"http://127.0.0.1:{free_port()}/"
    nobody = redline("verify", folder, "--target", f"web={closed}", "--duration", "1s", "--warmup", "0s")
    assert nobody.returncode == 2 and f"web: {closed}: " in nobody.stderr
    unknown = redline("verify", folder, "--target", "shop=http://127.0.0.1:9/")
    assert (
        unknown.returncode == 2
        and "--target shop: no entry point or component of that name (entry points: web)" in unknown.stderr
    )
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]")
    cal = redline("calibrate", folder, "--from", str(junk), "--dry-run")
    assert (
        cal.returncode == 2 and "neither a verify JSON, a load results.json nor a trace export" in cal.stderr
    )
    for proc in (no_target, bad_at, nobody, unknown, cal):
        assert "Traceback" not in proc.stderr
