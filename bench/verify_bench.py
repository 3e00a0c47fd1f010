"""verify and calibrate on the reference system, three configurations; the tables of bench/RESULTS.md.

    python bench/verify_bench.py [--duration 20] [--warmup 5] [--repeat 1]
                                 [--configs single,back-bound,few-front] [--band-config back-bound]
                                 [--band-runs 5] [--json verify-bench.json]

For each configuration: start ``python -m redline.demo`` on free ports, run ``verify`` (points at 50%, 70%
and 85% of the predicted saturation, then the saturation search) with every service's stats endpoint,
``calibrate`` from that run, and re-forecast against the same measurement (``replay``): the errors left
after calibration are the model's. Then the band check: ``--band-runs`` independent runs at 50% and 70%
of one configuration, whose scatter is set against the band verify predicts for one run. Prints
markdown; ``--json`` keeps every result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from redline.demo.process import DemoProcess
from redline.demo.systems import SYSTEMS, Config
from redline.sources.scan import scan
from redline.verify import replay, verify
from redline.verify.band import RESOLUTION_PCT, Z95
from redline.verify.calibrate import calibrate, calibrated_system, overhead_supported
from redline.verify.result import Calibration, VerifyResult

KEYS = ("p50", "p95", "p99")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def run_config(config: Config, duration: float, warmup: float, repeat: int = 1) -> dict[str, Any]:
    spec = SYSTEMS[config]
    system = scan(spec.folder)
    load_before = _load()
    with DemoProcess(config, max_seconds=3600, seed=1) as demo:
        result = verify(
            system,
            {spec.entrypoint: demo.entry_url},
            duration=duration,
            warmup=warmup,
            repeat=repeat,
            stats=demo.stats_urls,
            progress=lambda m: log(f"{config.value}: {m}"),
        )
    cal = calibrate(system, result, f"verify run {config.value}")
    after = replay(calibrated_system(system, cal.fits), result)
    return {
        "config": config.value,
        "load": f"{load_before} → {_load()}",
        "verify": result,
        "calibration": cal,
        "after": after,
    }


def _sat_error(predicted: float | None, measured: float | None) -> str:
    if predicted is None or measured is None:
        return "—"
    return f"{(predicted - measured) / measured * 100:+.1f}%"


def saturation_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| config | predicted rps | measured rps | forecast error | bottleneck predicted / measured | "
        "bracket (stable, unstable) | after calibrate | error after | machine load (1/5 min) |",
        "|---|---:|---:|---:|---|---|---:|---:|---|",
    ]
    for r in rows:
        v: VerifyResult = r["verify"]
        a: VerifyResult = r["after"]
        s, sa = v.entrypoints[0].saturation, a.entrypoints[0].saturation
        neck = f"{s.bottleneck} / {s.measured_bottleneck or '—'}" + (" ✓" if s.bottleneck_matches else " ✗")
        bracket = ", ".join(f"{b:,.1f}" for b in s.bracket_rps) or "—"
        measured = "—" if s.measured_rps is None else f"{s.measured_rps:,.1f}"
        before, after = (
            _sat_error(s.predicted_rps, s.measured_rps),
            _sat_error(sa.predicted_rps, sa.measured_rps),
        )
        out.append(
            f"| {r['config']} | {s.predicted_rps:,.1f} | {measured} | {before} | {neck} | {bracket} "
            f"| {sa.predicted_rps:,.1f} | {after} | {r['load']} |"
        )
    return out


def _triple(values: Any) -> str:
    """p50 / p95 / p99 of a Percentiles (``p50_ms`` ...) in ms."""
    shown = [getattr(values, f"{k}_ms") for k in KEYS]
    return " / ".join("—" if v is None else f"{v:,.1f}" for v in shown)


def _errors(p: Any) -> str:
    parts = []
    for k in KEYS:
        e, b = getattr(p.error_pct, k), getattr(p.band_pct, k)
        if e is None or b is None:
            parts.append("—")
        else:
            parts.append(f"{e:+.1f} (±{b:.1f}){'' if abs(e) <= b else ' ✗'}")
    return " / ".join(parts)


def points_table(rows: list[dict[str, Any]], key: str) -> list[str]:
    out = [
        "| config | load | predicted p50 / p95 / p99 ms | measured | error % (band ±%) p50 / p95 / p99 | "
        "in band | generator |",
        "|---|---:|---|---|---|---|---|",
    ]
    for r in rows:
        res: VerifyResult = r[key]
        for p in res.entrypoints[0].points:
            within = "—" if p.within_band is None else ("yes" if p.within_band else "no")
            out.append(
                f"| {r['config']} | {p.rps:,.1f} rps ({p.fraction:.0%}) | {_triple(p.predicted)} | "
                f"{_triple(p.measured)} | {_errors(p)} | {within} | "
                f"{'kept up' if p.keeping_up else 'fell behind'} |"
            )
    return out


def steps_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| config | step | load rps | throughput | backlog (limit) | p50 first → last third | trend test |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        for s in r["verify"].entrypoints[0].steps:
            thirds = (
                "—" if s.first_third_ms is None else f"{s.first_third_ms:,.1f} → {s.last_third_ms:,.1f} ms"
            )
            thr = "—" if s.throughput_rps is None else f"{s.throughput_rps:,.1f}"
            backlog = f"{s.backlog:,} ({s.backlog_limit:,.0f})"
            out.append(
                f"| {r['config']} | {s.fraction:g}× | {s.rps:,.1f} | {thr} | {backlog} "
                f"| {thirds} | {'kept up' if s.stable else 'fell behind'} |"
            )
    return out


def fits_table(rows: list[dict[str, Any]]) -> list[str]:
    out = ["| config | component | value | stated | fitted | samples |", "|---|---|---|---:|---:|---:|"]
    for r in rows:
        cal: Calibration = r["calibration"]
        for f in cal.fits:
            what = f.kind.value + (f" → {f.callee}" if f.callee else "")
            before = "—" if f.before is None else f"{f.before * 1000:.3f} ms"
            after = f"{f.after * 1000:.3f} ms"
            out.append(f"| {r['config']} | {f.component} | {what} | {before} | {after} | {f.samples:,} |")
        for note in cal.notes:
            out.append(f"| {r['config']} | | note: {note} | | | |")
    return out


def band_check(config: Config, runs: int, duration: float, warmup: float) -> list[str]:
    """``runs`` independent verifies at 50% and 70%: the scatter of each percentile against the band."""
    spec = SYSTEMS[config]
    system = scan(spec.folder)
    results: list[VerifyResult] = []
    with DemoProcess(config, max_seconds=3600, seed=2) as demo:
        for i in range(runs):
            log(f"band check {config.value}: run {i + 1}/{runs} (load {_load()})")
            results.append(
                verify(
                    system,
                    {spec.entrypoint: demo.entry_url},
                    at=(0.5, 0.7),
                    duration=duration,
                    warmup=warmup,
                    search=False,
                    send_probe=False,
                )
            )
    out = [
        f"Band check, {config.value}: {runs} independent runs of {warmup:g} s + {duration:g} s per load.",
        "",
        "| load | percentile | mean measured ms | observed sd | band sd (band / 1.96) | observed / band |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for idx in range(2):
        points = [r.entrypoints[0].points[idx] for r in results]
        for k in KEYS:
            values = [getattr(p.measured, f"{k}_ms") for p in points]
            bands = [getattr(p.band_pct, k) for p in points]
            if None in values or None in bands or len(values) < 2:
                continue
            mean = statistics.fmean(values)
            sd = statistics.stdev(values)
            predicted = getattr(points[0].predicted, f"{k}_ms")
            model_sd = statistics.fmean((b - RESOLUTION_PCT) / Z95 / 100 * predicted for b in bands)
            out.append(
                f"| {points[0].rps:,.1f} rps ({points[0].fraction:.0%}) | {k} | {mean:,.2f} | {sd:,.2f} | "
                f"{model_sd:,.2f} | {sd / model_sd:.2f} |"
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--configs", default=",".join(c.value for c in Config))
    ap.add_argument("--band-config", default=Config.BACK_BOUND.value)
    ap.add_argument("--repeat", type=int, default=1, help="verify's --repeat: runs per load point")
    ap.add_argument("--band-runs", type=int, default=5)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    rows = [
        run_config(Config(c), args.duration, args.warmup, args.repeat) for c in args.configs.split(",") if c
    ]
    lines = [
        f"Per run {args.warmup:g} s warm-up + {args.duration:g} s measured, {args.repeat} run(s) per load "
        "point; calls[].overhead in the model: "
        f"{'yes' if overhead_supported() else 'no (folded into held callers)'}.",
        "",
        "### Saturation",
        "",
        *saturation_table(rows),
        "",
        "### Load points, forecast as stated",
        "",
        *points_table(rows, "verify"),
        "",
        "### Load points, re-forecast after calibrate (same measurements)",
        "",
        *points_table(rows, "after"),
        "",
        "### Saturation search",
        "",
        *steps_table(rows),
        "",
        "### What calibrate fitted",
        "",
        *fits_table(rows),
        "",
    ]
    if args.band_runs >= 2:
        lines += [
            "### Band check",
            "",
            *band_check(Config(args.band_config), args.band_runs, args.duration, args.warmup),
        ]
    print("\n".join(lines))
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                [
                    {k: (v.model_dump(mode="json") if hasattr(v, "model_dump") else v) for k, v in r.items()}
                    for r in rows
                ],
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
