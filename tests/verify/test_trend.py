"""The trend test on per-second series (the rows `redline load` reports)."""

from __future__ import annotations

import pytest

from redline.verify.trend import decide


def _rows(sent: list[int], done: list[int], p50: list[float]) -> list[dict]:
    return [
        {"t": i + 1, "sent": s, "requests": d, "responses": d, "latency_ms": {"p50": p}}
        for i, (s, d, p) in enumerate(zip(sent, done, p50, strict=True))
    ]


def test_a_system_that_keeps_up_is_stable_and_its_throughput_is_its_arrivals() -> None:
    d = decide(_rows([100] * 12, [100] * 12, [10.0, 12.0, 9.0] * 4), warmup_s=3, duration_s=12)
    assert (d.arrivals, d.completions, d.backlog, d.stable) == (900, 900, 0, True)
    assert d.backlog_limit == pytest.approx(90.0)
    assert d.throughput_rps == pytest.approx(100.0) and d.throughput_completions == 600
    assert d.reason == "kept up: backlog 0 (limit 90), no latency growth"


def test_completions_falling_behind_arrivals_is_unstable() -> None:
    d = decide(_rows([110] * 12, [100] * 12, [10.0] * 12), warmup_s=3, duration_s=12)
    assert (d.backlog, d.stable) == (90, True)  # 90 is not above 3 √990 = 94.4
    d = decide(_rows([120] * 12, [100] * 12, [10.0] * 12), warmup_s=3, duration_s=12)
    assert (d.backlog, d.stable, d.throughput_rps) == (180, False, 100.0)
    assert d.reason == "completions fell behind arrivals by 180 (> 99, 3 √arrivals)"


def test_latency_rising_through_the_run_is_unstable_even_when_the_backlog_is_small() -> None:
    p50 = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120.0]
    d = decide(_rows([100] * 12, [98] * 12, p50), warmup_s=3, duration_s=12)
    assert d.thirds_ms == (50.0, 80.0, 110.0)
    assert (d.stable, d.reason) == (
        False,
        "latency grew through the run: p50 50.0 → 110.0 ms (first third → last)",
    )


def test_rows_of_the_drain_after_the_schedule_are_not_counted() -> None:
    rows = _rows([100] * 6 + [0, 0], [100] * 6 + [40, 3], [10.0] * 8)
    d = decide(rows, warmup_s=0, duration_s=6)
    assert (d.arrivals, d.completions) == (600, 600)
