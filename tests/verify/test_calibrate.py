"""calibrate's fits from stats counters, and what it writes when the model has no per-call overhead."""

from __future__ import annotations

import pytest

from redline.demo.systems import SYSTEMS, Config
from redline.sources.scan import scan
from redline.verify.calibrate import calibrate, overhead_supported, write_yaml
from redline.verify.result import (
    CallCounters,
    Counters,
    EntrypointVerify,
    FitKind,
    LoadPoint,
    Pct,
    Percentiles,
    Saturation,
    Verdict,
    VerifyResult,
)


def _result(counters: dict[str, Counters]) -> VerifyResult:
    point = LoadPoint(
        fraction=0.5, rps=129.0, achieved_rps=128.0, completions=1000, predicted=Percentiles(),
        measured=Percentiles(), error_pct=Pct(), band_pct=Pct(), within_band=None, stats=[counters],
    )  # fmt: skip
    sat = Saturation(
        predicted_rps=258.0,
        measured_rps=None,
        error_pct=None,
        band_pct=None,
        within_band=None,
        bottleneck="front",
    )
    entry = EntrypointVerify(
        name="web", url="http://127.0.0.1:1/", component="front", saturation=sat, points=[point]
    )
    return VerifyResult(
        system="demo-few-front",
        entrypoints=[entry],
        verdict=Verdict.PASS,
        duration_s=20,
        warmup_s=5,
        repeat=1,
        at=[0.5],
    )


# front: 1,000 requests, 1.2 s of own work, workers held 8.2 s in all (own work and the calls) and taken
# 8.2 s; 2,000 calls to back taking 14 s, 0.4 s of it waiting for the pool. back: 2,000 requests, 8.4 s of
# own work, answered in 12 s in all, its workers taken 8.6 s (0.2 s handing a freed worker to the next
# request). Overhead per call: (14 - 0.4) / 2000 - 12 / 2000 = 0.8 ms.
FEW_FRONT = {
    "front": Counters(
        seconds=10.0, workers=2, requests=1000, own_s=1.2, hold_s=8.2, response_s=9.0, busy_s=8.2,
        calls={"back": CallCounters(calls=2000, call_s=14.0, pool_wait_s=0.4, pool_busy_s=14.0, pool_size=32)},
    ),
    "back": Counters(seconds=10.0, workers=4, requests=2000, own_s=8.4, hold_s=8.4, response_s=12.0, busy_s=8.6),
}  # fmt: skip


def test_service_times_and_call_overheads_from_stats_counters() -> None:
    system = scan(SYSTEMS[Config.FEW_FRONT].folder)
    cal = calibrate(system, _result(FEW_FRONT), "verify run v.json")
    fits = {(f.component, f.kind): f for f in cal.fits}
    back = fits[("back", FitKind.SERVICE_TIME)]
    assert (back.before, back.after, back.samples) == (0.004, pytest.approx(0.0043), 2000)  # (8.6 s) / 2000
    front = fits[("front", FitKind.SERVICE_TIME)]
    if overhead_supported():
        over = fits[("front", FitKind.OVERHEAD)]
        assert (over.callee, over.after, over.samples) == ("back", pytest.approx(0.0008), 2000)
        assert front.after == pytest.approx(0.0012)
    else:
        # front holds its worker through the calls: the overhead of its parallel block (one call's worth)
        # goes into its service time, and the note says so
        assert front.after == pytest.approx(0.0012 + 0.0008)
        assert cal.notes == [
            "front -> back: overhead 0.8 ms per call folded into front's service_time (1 per request; this "
            "model has no calls[].overhead)"
        ]
    assert cal.saturation_after["web"] < cal.saturation_before["web"]  # more held time, less capacity


def test_an_async_caller_does_not_take_the_overhead_into_its_service_time() -> None:
    system = scan(SYSTEMS[Config.BACK_BOUND].folder)
    cal = calibrate(system, _result(FEW_FRONT), "verify run v.json")
    front = next(f for f in cal.fits if f.component == "front" and f.kind is FitKind.SERVICE_TIME)
    assert front.after == pytest.approx(0.0012)
    if overhead_supported():
        [over] = [f for f in cal.fits if f.kind is FitKind.OVERHEAD]
        assert (over.component, over.callee, over.after) == ("front", "back", pytest.approx(0.0008))
        assert cal.notes == []
    else:
        assert cal.notes[0].startswith(
            "front -> back: overhead 0.8 ms per call not written: this model has no"
        )


def test_the_yaml_keeps_every_comment_and_says_where_each_value_came_from() -> None:
    folder = SYSTEMS[Config.FEW_FRONT].folder
    text = (folder / "redline.yaml").read_text()
    cal = calibrate(scan(folder), _result(FEW_FRONT), "verify run v.json")
    written, problems = write_yaml(text, cal)
    assert problems == []
    lines = written.splitlines()
    assert [ln for ln in lines if ln.lstrip().startswith("#")] == [
        ln for ln in text.splitlines() if ln.lstrip().startswith("#")
    ]
    assert (
        "    service_time: 4.3ms  # calibrated from verify run v.json: stats, worker time on own work over 2,000 requests (was 4ms)"
        in lines
    )
    assert "    workers: 2                # held while the calls to back run (thread-per-request)" in lines
    if overhead_supported():  # the call's own comment stays, the provenance follows it
        assert (
            "      - {to: back, count: 2, parallel: true, pool: back, overhead: 0.8ms} # a fan-out: two calls at "
            "once; overhead calibrated from verify run v.json: stats, 2,000 calls less back's own response time "
            "(was not stated)"
        ) in lines
    again, _ = write_yaml(written, cal)
    assert again == written  # writing the same calibration twice changes nothing
