"""Keeping up, judged against the measurement per window; and the warm-up left out of ``measured``."""

from __future__ import annotations

import pytest

from redline.load.histogram import Histogram
from redline.load.keeping_up import LAG_FLOOR_MS, LAG_FRACTION, LagWindows, lag_limit_ms

from .conftest import run_cli, run_json


def _ms(*values: float) -> Histogram:
    return Histogram.from_values([v * 1000 for v in values])


def test_the_limit_is_a_tenth_of_the_p50_with_a_floor_for_fast_servers() -> None:
    assert (LAG_FRACTION, LAG_FLOOR_MS) == (0.10, 5.0)
    assert lag_limit_ms(200.0) == pytest.approx(20.0)
    assert lag_limit_ms(0.3) == 5.0  # a sub-millisecond p50 is judged against timer noise, not 0.03 ms
    assert lag_limit_ms(None) == 5.0


def test_windows_of_five_seconds_each_judged_against_its_own_p50() -> None:
    w = LagWindows()
    # seconds 0-4: p50 100 ms, lag p99 12 ms > 10 ms; seconds 5-6: p50 100 ms, lag 5 ms; second 7: nothing sent
    for sec in range(5):
        w.add(sec, _ms(*[1.0] * 98, 12.0, 12.0), _ms(100.0, 100.0, 100.0))
    for sec in (5, 6):
        w.add(sec, _ms(*[1.0] * 99, 5.0), _ms(100.0))
    w.add(7, Histogram(), _ms(100.0))  # the drain: responses, but no dispatch, so no lag to judge
    w.close()
    [first, second] = w.rows
    assert (first["from_s"], first["to_s"], first["keeping_up"]) == (0, 5, False)
    assert first["lag_p99_ms"] == pytest.approx(12.0, rel=0.005)
    assert (first["latency_p50_ms"], first["limit_ms"]) == (
        pytest.approx(100.0, rel=0.005),
        pytest.approx(10.0, rel=0.005),
    )
    assert (second["from_s"], second["to_s"], second["keeping_up"]) == (5, 8, True)
    assert not w.keeping_up and w.behind() == [first]


def test_the_warm_up_is_sent_but_left_out_of_measured(nginx: str) -> None:
    code, doc, _ = run_json(
        f"{nginx}/small.txt", "--rate", "100", "--duration", "3s", "--warmup", "1s", "--arrival", "uniform"
    )
    assert code == 0
    m = doc["measured"]
    after = [r for r in doc["series"] if r["t"] > 1]
    assert m["from_s"] == 1 and doc["sent"] == 300
    assert m["sent"] == sum(r["sent"] for r in after) and 190 <= m["sent"] <= 210
    assert m["responses"] == sum(r["responses"] for r in after)
    assert doc["responses"] == sum(r["responses"] for r in doc["series"])
    assert set(m["latency_ms"]) == {"p50", "p90", "p95", "p99", "p999", "max"}
    assert {"lag_rule", "windows", "keeping_up"} <= set(doc["generator"])


def test_a_warm_up_as_long_as_the_run_is_refused() -> None:
    proc = run_cli("http://127.0.0.1:9/", "--duration", "2s", "--warmup", "2s")
    assert proc.returncode == 2
    assert "--warmup 2s must be shorter than the run (2s)" in proc.stderr


def test_the_text_output_says_how_the_generator_kept_up_window_by_window(nginx: str) -> None:
    proc = run_cli(f"{nginx}/small.txt", "--rate", "50", "--duration", "2s", "--warmup", "1s", "--quiet")
    assert proc.returncode == 0, proc.stderr
    rule = "(lag p99 ≤ 10% of the window's latency p50, at least 5 ms; 5 s windows)"
    lines = proc.stdout.splitlines()
    assert any(ln.startswith("after the 1 s warm-up: ") and "responses" in ln for ln in lines)
    assert f"generator: kept up in all 1 windows {rule}" in lines or any(
        ln.startswith("generator: fell behind in 1 of 1 windows") for ln in lines
    )
