"""``verify``: the forecast against the system itself, under load, with the noise a run length allows.

For each target entry point: forecast its saturation; send requests one at a time (the probe: latency at
zero load, Server-Timing); run the open-model load at the given fractions of the predicted saturation,
the warm-up discarded, and compare each percentile with the forecast at that load inside the noise band
the model predicts for that many completions (:mod:`.band`); then find the measured saturation with a
stepped search around the prediction (0.8×, 0.9×, 1.0×, 1.1×, … until the trend test of :mod:`.trend` says
the system fell behind; down from 0.8× when it already did there) and name the bottleneck on both sides
with the same rule (:mod:`.bottleneck`). Entry points are verified one at a time; the others get no load.

Every run is bounded: ``duration + warmup`` per run, at most :data:`MAX_STEPS` search steps, and only the
URLs given are loaded. :func:`replay` re-forecasts against recorded measurements without sending load.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redline.forecast import Forecast, ForecastInputError, forecast
from redline.load import ConfigError, Histogram, LoadConfig, Progress, run
from redline.model import System
from redline.model.entrypoints import resolve
from redline.verify.band import Z95, StationLoad, autocorrelation, band_pct, between_runs_pct
from redline.verify.bottleneck import pool_resource, root_bottleneck
from redline.verify.probe import ProbeError, probe
from redline.verify.result import (
    Counters,
    EntrypointVerify,
    LoadPoint,
    Pct,
    Percentiles,
    Probe,
    Saturation,
    Step,
    Verdict,
    VerifyResult,
)
from redline.verify.stats import StatsError, difference, snapshot
from redline.verify.trend import decide

__all__ = ["DEFAULT_AT", "MAX_STEPS", "VerifyError", "VerifyInterrupted", "predict_point", "replay", "verify"]

DEFAULT_AT = (0.5, 0.7, 0.85)
SEARCH_UP = (0.8, 0.9, 1.0, 1.1, 1.2, 1.35, 1.5, 2.0)
SEARCH_DOWN = (0.7, 0.6, 0.5, 0.4, 0.3)
MAX_STEPS = 8
NEAR_SATURATION = 0.99  # the predicted bottleneck is read just below the predicted saturation
ZERO_LOAD = 1e-6  # of the saturation: the forecast's latency with nothing else in the system
ONE_WORKER_RATE = 2000.0  # below this rate one generator process sends everything (less CPU contention)
MAX_REPEAT = 20
QUANTILES = ((0.5, "p50"), (0.95, "p95"), (0.99, "p99"))
ASSUMPTIONS = [
    "entry points are verified one at a time; the others get no load",
    "latency runs from each request's intended send time (open model, Poisson arrivals)",
    "the load generator runs on the same host: it shares CPU and the loopback with the system",
]


class VerifyInterrupted(Exception):
    """Ctrl-C or SIGTERM during a run: verify stops at once; ``code`` is the exit code (130 or 143)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"interrupted (exit {code})")
        self.code = code


class VerifyError(ValueError):
    """Input verify cannot work with: bad options, a forecast that fails, an endpoint that does not answer."""


@dataclass(frozen=True)
class _Options:
    at: tuple[float, ...]
    duration: float
    warmup: float
    repeat: int
    search: bool
    probe: bool
    stats: dict[str, str]
    seed: int | None
    progress: Callable[[str], None]
    runs: Iterator[int] = field(default_factory=itertools.count)  # numbers the runs: each its own seed


@dataclass
class _Run:
    doc: dict[str, Any]
    measured: Histogram
    counters: dict[str, Counters]
    note: str | None


def _check(at: tuple[float, ...], duration: float, warmup: float, repeat: int) -> None:
    problems = []
    if not at:
        problems.append("--at: give at least one load, e.g. 50%,70%,85%")
    problems += [
        f"--at {f:.0%}: each load must lie in (0%, 99%] of the saturation" for f in at if not 0 < f <= 0.99
    ]
    if not (math.isfinite(duration) and 1 <= duration <= 3600):
        problems.append(f"--duration must lie in [1s, 1h] (got {duration:g}s)")
    if not (math.isfinite(warmup) and 0 <= warmup <= 600):
        problems.append(f"--warmup must lie in [0s, 10m] (got {warmup:g}s)")
    if not 1 <= repeat <= MAX_REPEAT:
        problems.append(f"--repeat must lie in [1, {MAX_REPEAT}] (got {repeat})")
    if problems:
        raise VerifyError("; ".join(problems))


def _check_targets(system: System, targets: dict[str, str]) -> None:
    """Every target an entry point or a component, each with a forecast saturation, before any load."""
    if not targets:
        raise VerifyError("give at least one --target ENTRY=URL")
    known = sorted(e.name for e in resolve(system).entrypoints)
    for name in targets:
        if name not in known and system.component(name) is None:
            raise VerifyError(
                f"--target {name}: no entry point or component of that name (entry points: "
                f"{', '.join(known) or 'none'})"
            )
        if _forecast(system, name, 1.0).entrypoints[0].saturation_rps is None:
            raise VerifyError(
                f"--target {name}: the forecast never saturates, so there is no load to verify it at"
            )


def verify(
    system: System,
    targets: dict[str, str],
    *,
    at: tuple[float, ...] = DEFAULT_AT,
    duration: float = 20.0,
    warmup: float = 5.0,
    repeat: int = 1,
    stats: dict[str, str] | None = None,
    search: bool = True,
    send_probe: bool = True,
    seed: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> VerifyResult:
    """Verify the forecast of ``system`` against the running system.

    ``targets`` maps entry points (or components) to the URL that reaches them; only those URLs get load.
    ``at`` are fractions of the predicted saturation; each run lasts ``warmup + duration`` seconds, the
    warm-up discarded, ``repeat`` times per load. ``stats`` maps components to their stats endpoints
    (read before and after each run: measured utilization and the bottleneck, and calibrate's input).
    Raises :class:`VerifyError` on unusable input.
    """
    _check(at, duration, warmup, repeat)
    _check_targets(system, targets)
    opts = _Options(at, duration, warmup, repeat, search, send_probe, dict(stats or {}), seed,
                    progress or (lambda _: None))  # fmt: skip
    if opts.stats:
        try:
            snapshot(opts.stats)
        except StatsError as exc:
            raise VerifyError(str(exc)) from None
    started = datetime.now(UTC).isoformat(timespec="seconds")
    entries = [_verify_entry(system, name, url, opts) for name, url in targets.items()]
    return _result(system, entries, opts, replayed=False).model_copy(update={"measured_at": started})


def replay(system: System, previous: VerifyResult) -> VerifyResult:
    """Re-forecast ``system`` against the measurements in ``previous`` (no load is sent).

    What changes is only the prediction side: after ``redline calibrate``, the errors left are the model's.
    """
    entries = []
    for old in previous.entrypoints:
        base = _forecast(system, old.name, 1.0)
        s_pred = base.entrypoints[0].saturation_rps
        if s_pred is None:
            raise VerifyError(f"{old.name}: the forecast never saturates: nothing to compare against")
        points = [_repredict(system, old.name, p, s_pred) for p in old.points]
        sat = _saturation(system, old.name, s_pred, base, old.steps)
        found = _with_zero_load(system, old.name, s_pred, old.probe) if old.probe else None
        entries.append(old.model_copy(update={"points": points, "saturation": sat, "probe": found}))
    opts = _Options(tuple(previous.at), previous.duration_s, previous.warmup_s, previous.repeat, False, False,
                    {}, None, lambda _: None)  # fmt: skip
    return _result(system, entries, opts, replayed=True).model_copy(
        update={"measured_at": previous.measured_at}
    )


# ---------------------------------------------------------------------------------------------- one entry


def _forecast(system: System, entry: str, rps: float) -> Forecast:
    try:
        return forecast(system, entrypoints={entry: rps})
    except ForecastInputError as exc:
        raise VerifyError(f"the forecast cannot run: {exc}") from None


def _verify_entry(system: System, name: str, url: str, opts: _Options) -> EntrypointVerify:
    base = _forecast(system, name, 1.0)
    ep = base.entrypoints[0]
    s_pred = ep.saturation_rps
    if s_pred is None or s_pred <= 0:
        raise VerifyError(f"{name}: the forecast never saturates, so there is no load to verify it at")
    notes: list[str] = []
    found = None
    if opts.probe:
        opts.progress(f"{name}: probe, requests one at a time")
        try:
            found = _with_zero_load(system, name, s_pred, probe(url))
        except ProbeError as exc:
            raise VerifyError(f"{name}: {exc}") from None
    points = []
    for i, f in enumerate(opts.at):
        opts.progress(
            f"{name}: load {i + 1}/{len(opts.at)}: {f:.0%} of {s_pred:,.1f} rps = {f * s_pred:,.1f} rps"
        )
        points.append(_point(system, name, url, f, s_pred, opts, notes))
    steps = _search(system, name, url, s_pred, opts, notes) if opts.search else []
    return EntrypointVerify(
        name=name,
        url=url,
        component=ep.component,
        saturation=_saturation(system, name, s_pred, base, steps),
        points=points,
        steps=steps,
        probe=found,
        notes=notes,
    )


def _with_zero_load(system: System, name: str, s_pred: float, found: Probe) -> Probe:
    """The probe with the forecast's mean latency at (next to) zero load beside it."""
    mean = _forecast(system, name, ZERO_LOAD * s_pred).entrypoints[0].mean_ms
    return found.model_copy(update={"predicted_mean_ms": mean})


def _measure(url: str, rps: float, opts: _Options, notes: list[str]) -> _Run:
    """One load run at ``rps``: ``warmup + duration`` seconds, stats read after the warm-up and at the end."""
    before: dict[str, Any] = {}
    problems: list[str] = []

    def read_stats() -> None:
        try:
            before.update(snapshot(opts.stats))
        except StatsError as exc:
            problems.append(str(exc))

    def on_progress(p: Progress) -> None:
        if opts.stats and not before and not problems and p.elapsed >= opts.warmup:
            read_stats()

    if opts.stats and opts.warmup <= 0:
        read_stats()
    cfg = LoadConfig(
        url=url,
        rate=rps,
        duration=opts.duration + opts.warmup,
        warmup=opts.warmup,
        seed=None if opts.seed is None else opts.seed + next(opts.runs),
        workers=1 if rps <= ONE_WORKER_RATE else None,
    )
    try:
        result = run(cfg, on_progress=on_progress)
    except ConfigError as exc:
        raise VerifyError(f"load at {rps:,.1f} rps: {exc}") from None
    if result.data["interrupted"]:  # the load runner took the signal; no further run may start
        raise VerifyInterrupted(result.exit_code)
    counters: dict[str, Counters] = {}
    if opts.stats and before and not problems:
        try:
            counters = difference(before, snapshot(opts.stats))
        except StatsError as exc:
            problems.append(str(exc))
    note = f"stats not read at {rps:,.1f} rps: {problems[0]}" if problems else None
    if note:
        notes.append(note)
    notes.extend(f"{rps:,.1f} rps: {m}" for m in result.messages)
    return _Run(result.data, result.measured, counters, note)


def _percentiles(h: Histogram) -> Percentiles:
    if h.total == 0:
        return Percentiles()
    return Percentiles(**{f"{key}_ms": round(h.percentile(q * 100) / 1000, 3) for q, key in QUANTILES})


def _stations(fc: Forecast, rps: float) -> list[StationLoad]:
    out = [
        StationLoad(c.utilization or 0.0, c.arrival_rps / rps, c.wait_ms or 0.0)
        for c in fc.components
        if c.arrival_rps > 0 and c.utilization is not None
    ]
    out += [
        StationLoad(p.utilization or 0.0, p.arrival_rps / rps, p.wait_ms or 0.0)
        for p in fc.pools
        if p.arrival_rps > 0 and p.utilization is not None
    ]
    return out


def _compare(
    predicted: Percentiles, measured: Percentiles, n: int, inflation: float, repeats: list[Percentiles]
) -> tuple[Pct, Pct, bool | None]:
    """Errors and bands per percentile, and whether every error lies inside its band.

    The band is the model's for ``n`` samples, or the scatter between ``repeats`` when that is wider.
    """
    pred = (predicted.p50_ms, predicted.p95_ms, predicted.p99_ms)
    meas = (measured.p50_ms, measured.p95_ms, measured.p99_ms)
    p50, p95, p99 = pred
    known = (p50, p95, p99) if p50 and p95 and p99 else None
    errors: dict[str, float | None] = {}
    bands: dict[str, float | None] = {}
    inside: list[bool] = []
    for (q, key), p, m in zip(QUANTILES, pred, meas, strict=True):
        error = round((m - p) / p * 100, 2) if p and m is not None else None
        band = band_pct(q, known, n, inflation) if known is not None else None
        values = [v for r in repeats if (v := getattr(r, f"{key}_ms")) is not None]
        spread = between_runs_pct(values, p) if p and len(values) == len(repeats) else None
        band = max(band, spread) if band is not None and spread is not None else band
        errors[key], bands[key] = error, round(band, 2) if band is not None else None
        if error is not None and band is not None:
            inside.append(abs(error) <= round(band, 2))
    within = all(inside) if len(inside) == len(QUANTILES) else None
    return Pct(**errors), Pct(**bands), within


def predict_point(system: System, entry: str, rps: float) -> tuple[Percentiles, float, float | None]:
    """The forecast at ``rps``: percentiles, the band's autocorrelation factor, and the mean latency."""
    fc = _forecast(system, entry, rps)
    e = fc.entrypoints[0]
    predicted = Percentiles(p50_ms=e.p50_ms, p95_ms=e.p95_ms, p99_ms=e.p99_ms)
    inflation = autocorrelation(_stations(fc, rps), e.mean_ms) if e.mean_ms else 1.0
    return predicted, inflation, e.mean_ms


def _point(
    system: System, entry: str, url: str, f: float, s_pred: float, opts: _Options, notes: list[str]
) -> LoadPoint:
    rps = f * s_pred
    predicted, inflation, _ = predict_point(system, entry, rps)
    runs = [_measure(url, rps, opts, notes) for _ in range(opts.repeat)]
    pooled = Histogram()
    for r in runs:
        pooled.merge(r.measured)
    measured = _percentiles(pooled)
    repeats = [_percentiles(r.measured) for r in runs]
    error, band, within = _compare(predicted, measured, pooled.total, inflation, repeats)
    achieved = [r.doc["measured"]["rps"] for r in runs if r.doc["measured"]["rps"] is not None]
    return LoadPoint(
        fraction=f,
        rps=round(rps, 3),
        achieved_rps=round(statistics.fmean(achieved), 3) if achieved else None,
        completions=pooled.total,
        predicted=predicted,
        measured=measured,
        error_pct=error,
        band_pct=band,
        within_band=within,
        repeats=repeats,
        errors=sum(int(r.doc["measured"]["errors"]) for r in runs),
        keeping_up=all(bool(r.doc["generator"]["keeping_up"]) for r in runs),
        autocorrelation=round(inflation, 3),
        stats=[r.counters for r in runs if r.counters],
    )


def _repredict(system: System, entry: str, old: LoadPoint, s_pred: float) -> LoadPoint:
    predicted, inflation, _ = predict_point(system, entry, old.rps)
    error, band, within = _compare(predicted, old.measured, old.completions, inflation, old.repeats)
    return old.model_copy(
        update={
            "fraction": round(old.rps / s_pred, 4),
            "predicted": predicted,
            "error_pct": error,
            "band_pct": band,
            "within_band": within,
            "autocorrelation": round(inflation, 3),
        }
    )


# ------------------------------------------------------------------------------------------------ search


def _utilization(system: System, counters: dict[str, Counters]) -> dict[str, float]:
    """Measured utilization per resource: components' workers, and pools (named as the model names them)."""
    out: dict[str, float] = {}
    for name, c in counters.items():
        if c.utilization is not None:
            out[name] = round(c.utilization, 4)
        comp = system.component(name)
        for callee, call in c.calls.items():
            if not call.pool_size or c.seconds <= 0:
                continue
            edge = next((e for e in system.calls_from(name) if e.to == callee), None)
            pool = edge.pool if edge is not None and edge.pool else None
            if pool is None and comp is not None:
                pool = next((p.name for p in comp.pools if callee in p.to), None)
            if pool is not None:
                out[pool_resource(name, pool)] = round(call.pool_busy_s / (call.pool_size * c.seconds), 4)
    return out


def _step(system: System, url: str, f: float, s_pred: float, opts: _Options, notes: list[str]) -> Step:
    rps = f * s_pred
    r = _measure(url, rps, opts, notes)
    d = decide(r.doc["series"], math.ceil(opts.warmup), opts.warmup + opts.duration)
    first, _, last = d.thirds_ms
    return Step(
        fraction=f,
        rps=round(rps, 3),
        arrivals=d.arrivals,
        completions=d.completions,
        backlog=d.backlog,
        backlog_limit=round(d.backlog_limit, 1),
        throughput_rps=round(d.throughput_rps, 3) if d.throughput_rps is not None else None,
        throughput_completions=d.throughput_completions,
        first_third_ms=first,
        last_third_ms=last,
        stable=d.stable,
        reason=d.reason,
        errors=int(r.doc["measured"]["errors"]),
        keeping_up=bool(r.doc["generator"]["keeping_up"]),
        stats=r.counters,
        utilization=_utilization(system, r.counters),
    )


def _search(
    system: System, name: str, url: str, s_pred: float, opts: _Options, notes: list[str]
) -> list[Step]:
    """Up from 0.8× until a step is unstable; down from 0.8× while it is. At most :data:`MAX_STEPS`."""
    steps: list[Step] = []

    def take(f: float) -> Step:
        opts.progress(f"{name}: search step {len(steps) + 1}: {f:.2g}× = {f * s_pred:,.1f} rps")
        step = _step(system, url, f, s_pred, opts, notes)
        steps.append(step)
        return step

    first = take(SEARCH_UP[0])
    plan = SEARCH_UP[1:] if first.stable else SEARCH_DOWN
    want_stable = not first.stable
    for f in plan:
        if len(steps) >= MAX_STEPS:
            break
        if take(f).stable == want_stable:
            break
    return steps


def _predicted_bottleneck(system: System, name: str, s_pred: float) -> str | None:
    """The saturated resource nearest the leaves, from the forecast just below its saturation."""
    near = _forecast(system, name, NEAR_SATURATION * s_pred)
    util = {c.name: c.utilization for c in near.components if c.utilization is not None}
    util.update(
        {pool_resource(p.component, p.name): p.utilization for p in near.pools if p.utilization is not None}
    )
    return root_bottleneck(system, util)


def _measured(steps: list[Step]) -> tuple[float, float | None, list[float], Step] | None:
    """(saturation rps, band %, bracket, first unstable step) from the search; ``None``: none fell behind.

    The completion rate over the last two thirds of the unstable steps, clamped between the last stable
    step's throughput and the first unstable step's load.
    """
    unstable = sorted((s for s in steps if not s.stable), key=lambda s: s.rps)
    if not unstable:
        return None
    first = unstable[0]
    below = [s for s in steps if s.stable and s.rps < first.rps]
    floor = max((s.completions / max(s.arrivals, 1) * s.rps for s in below), default=0.0)
    used = [s for s in unstable if s.throughput_rps]
    value = statistics.fmean(s.throughput_rps or 0.0 for s in used) if used else first.rps
    counted = sum(s.throughput_completions for s in used)
    band = Z95 / math.sqrt(counted) * 100 if counted else None
    bracket = [round(max((s.rps for s in below), default=0.0), 3), round(first.rps, 3)]
    return min(max(value, floor), first.rps), band, bracket, first


def _saturation(system: System, name: str, s_pred: float, base: Forecast, steps: list[Step]) -> Saturation:
    ep = base.entrypoints[0]
    predicted_neck = _predicted_bottleneck(system, name, s_pred)
    forecast_neck = (
        ep.bottleneck if not ep.bottleneck_pool else pool_resource(ep.bottleneck or "", ep.bottleneck_pool)
    )
    out = Saturation(
        predicted_rps=round(s_pred, 3),
        measured_rps=None,
        error_pct=None,
        band_pct=None,
        within_band=None,
        bottleneck=predicted_neck,
        forecast_bottleneck=forecast_neck,
        forecast_reason=ep.bottleneck_reason,
        method="not searched",
    )
    if not steps:
        return out
    found = _measured(steps)
    if found is None:
        top = max(s.rps for s in steps)
        return out.model_copy(update={"method": f"never fell behind, up to {top:,.1f} rps: not found"})
    measured, band, bracket, first = found
    error = (measured - s_pred) / s_pred * 100
    neck = root_bottleneck(system, first.utilization) if first.utilization else None
    return out.model_copy(
        update={
            "measured_rps": round(measured, 3),
            "error_pct": round(error, 2),
            "band_pct": round(band, 2) if band is not None else None,
            "within_band": abs(error) <= band if band is not None else None,
            "measured_bottleneck": neck,
            "bottleneck_matches": None if neck is None else neck == predicted_neck,
            "bracket_rps": bracket,
            "method": "completions per second over the last two thirds of the unstable steps, "
            "between the last stable step's throughput and the first unstable step's load",
        }
    )


# ---------------------------------------------------------------------------------------------- verdict


def _verdict(entries: list[EntrypointVerify]) -> tuple[Verdict, list[str]]:
    failed: list[str] = []
    missing: list[str] = []
    for e in entries:
        for p in e.points:
            if p.completions == 0:
                missing.append(f"{e.name}: nothing measured at {p.rps:,.1f} rps")
            elif p.within_band is False:
                worst = [k for k in ("p50", "p95", "p99") if _outside(p, k)]
                failed.append(f"{e.name} at {p.rps:,.1f} rps: {', '.join(worst)} outside the band")
        s = e.saturation
        if e.steps and s.measured_rps is None:
            missing.append(f"{e.name}: saturation not found ({s.method})")
        if s.within_band is False:
            failed.append(
                f"{e.name}: saturation predicted {s.predicted_rps:,.1f} rps, measured "
                f"{s.measured_rps:,.1f} rps ({s.error_pct:+.1f}%, band ±{s.band_pct:.1f}%)"
            )
        if s.bottleneck_matches is False:
            failed.append(f"{e.name}: bottleneck predicted {s.bottleneck}, measured {s.measured_bottleneck}")
    if missing:
        return Verdict.INCOMPLETE, missing + failed
    return (Verdict.FAIL, failed) if failed else (Verdict.PASS, [])


def _outside(p: LoadPoint, key: str) -> bool:
    e, b = getattr(p.error_pct, key), getattr(p.band_pct, key)
    return e is not None and b is not None and abs(e) > b


def _result(
    system: System, entries: list[EntrypointVerify], opts: _Options, *, replayed: bool
) -> VerifyResult:
    verdict, reasons = _verdict(entries)
    return VerifyResult(
        system=system.name,
        entrypoints=entries,
        verdict=verdict,
        reasons=reasons,
        duration_s=opts.duration,
        warmup_s=opts.warmup,
        repeat=opts.repeat,
        at=list(opts.at),
        replayed=replayed,
        assumptions=ASSUMPTIONS,
    )
