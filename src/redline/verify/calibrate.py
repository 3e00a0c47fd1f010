"""``calibrate``: fit service times and call overheads to what was measured, and write them to redline.yaml.

Inputs, best first:

1. **Stats endpoints** (verify's ``--stats``; :mod:`.stats`): each component's service time is the worker
   time per request spent on its own work, over every run (the utilization law, :func:`own_service_time`);
   a call's overhead is the caller's mean call time less its pool wait, less the callee's own mean
   response time (transport and HTTP on both sides).
2. **Server-Timing** (verify's probe): the same two quantities from ``desc=own``, ``desc=response`` and
   ``desc="call X"`` entries, over the probe's requests.
3. **Traces** (:mod:`redline.traces`): own time per visit, calls per request, and each call's overhead
   (client span minus the callee's server span).
4. **Neither**: the saturation throughput fixes the bottleneck's service time (re-forecast until the
   predicted saturation meets the measured one), and a low-load run's p50 scales every service time on
   the path by one factor. Coarser, and said so.

A call overhead is written as ``calls[].overhead`` when the model has that field; otherwise it is folded
into a held caller's ``service_time`` (its worker waits through it) and left out for an async caller
(whose worker does not), with a note either way. Values go into redline.yaml round-trip (comments and
layout kept), each with a comment saying where it came from, so that re-forecasting separates input
error (fixed here) from model error (what is left).
"""

from __future__ import annotations

import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.tokens import CommentToken

from redline.fix.apply import detect_indent
from redline.forecast import ForecastInputError, forecast
from redline.model import Edge, Provenance, Source, System
from redline.traces.result import TraceFacts
from redline.verify.result import Calibration, Counters, Fit, FitKind, VerifyResult
from redline.verify.trend import decide

__all__ = ["CalibrateError", "LoadRun", "calibrate", "calibrated_system", "overhead_supported", "write_yaml"]

MAX_FIT_ROUNDS = 12  # re-forecasts when fitting a service time to a measured saturation
FIT_TOLERANCE = 0.002  # relative: stop when the predicted saturation is this close to the measured one


class CalibrateError(ValueError):
    """Input calibrate cannot fit from (nothing measured, no redline.yaml to write)."""


@dataclass(frozen=True)
class LoadRun:
    """A ``redline load`` results document, the rate it ran at, and the entry point it loaded."""

    doc: dict[str, Any]
    rate: float
    entry: str


def overhead_supported() -> bool:
    """Whether the model has a per-call overhead (redline.yaml ``calls[].overhead``, ``Edge.overhead_s``)."""
    from redline.sources.native import CallSpec

    return "overhead_s" in Edge.model_fields and "overhead" in CallSpec.model_fields


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.4g} ms"


def duration_text(seconds: float) -> str:
    """A duration as redline.yaml writes one: ``8.612ms``, ``1.25s``."""
    ms = seconds * 1000
    return f"{ms:.4g}ms" if ms < 1000 else f"{seconds:.4g}s"


# -------------------------------------------------------------------------------------------- fitting


def _sum_counters(runs: Iterable[dict[str, Counters]]) -> dict[str, Counters]:
    total: dict[str, Counters] = {}
    for run in runs:
        for name, c in run.items():
            t = total.get(name)
            if t is None:
                total[name] = c.model_copy(deep=True)
                continue
            t.requests += c.requests
            t.seconds += c.seconds
            for key in ("own_s", "wait_s", "hold_s", "response_s", "busy_s", "queue_s"):
                setattr(t, key, getattr(t, key) + getattr(c, key))
            for callee, call in c.calls.items():
                tc = t.calls.get(callee)
                if tc is None:
                    t.calls[callee] = call.model_copy()
                    continue
                tc.calls += call.calls
                tc.call_s += call.call_s
                tc.pool_wait_s += call.pool_wait_s
    return total


def _stated_service(system: System, name: str) -> float | None:
    comp = system.component(name)
    return comp.service_time_s if comp is not None else None


def _edge(system: System, caller: str, callee: str) -> Edge | None:
    return next((e for e in system.calls_from(caller) if e.to == callee), None)


def _stated_overhead(system: System, caller: str, callee: str) -> float | None:
    edge = _edge(system, caller, callee)
    value = getattr(edge, "overhead_s", None) if edge is not None else None
    return float(value) if isinstance(value, int | float) else None


def own_service_time(c: Counters) -> float:
    """Seconds a worker is unavailable per request for the service's own work (the utilization law).

    ``busy_s`` integrates the workers taken; taking away the time they are held waiting on calls
    (``hold_s − own_s``) leaves the own work plus what the measured sleeps miss: the hand-over of a freed
    worker to the next waiting request, which under load is part of what a worker costs.
    """
    own = c.busy_s - (c.hold_s - c.own_s) if c.busy_s > 0 else c.own_s
    return max(own, c.own_s) / c.requests


def _fits_from_stats(system: System, result: VerifyResult, label: str) -> list[Fit]:
    runs = [c for e in result.entrypoints for p in e.points for c in p.stats]
    runs += [s.stats for e in result.entrypoints for s in e.steps if s.stats]
    total = _sum_counters(runs)
    fits: list[Fit] = []
    for name, c in sorted(total.items()):
        if c.requests <= 0 or system.component(name) is None:
            continue
        fits.append(
            Fit(
                component=name,
                kind=FitKind.SERVICE_TIME,
                before=_stated_service(system, name),
                after=own_service_time(c),
                samples=c.requests,
                method=f"{label}: stats, worker time on own work over {c.requests:,} requests",
            )
        )
        for callee, call in sorted(c.calls.items()):
            served = total.get(callee)
            if call.calls <= 0 or served is None or served.requests <= 0:
                continue
            overhead = (call.call_s - call.pool_wait_s) / call.calls - served.response_s / served.requests
            fits.append(
                Fit(
                    component=name,
                    kind=FitKind.OVERHEAD,
                    callee=callee,
                    before=_stated_overhead(system, name, callee),
                    after=max(overhead, 0.0),
                    samples=call.calls,
                    method=f"{label}: stats, {call.calls:,} calls less {callee}'s own response time",
                )
            )
    return fits


def _fits_from_timing(system: System, result: VerifyResult, label: str) -> list[Fit]:
    fits: list[Fit] = []
    for e in result.entrypoints:
        if e.probe is None:
            continue
        timing = e.probe.server_timing
        for name, t in sorted(timing.items()):
            samples = round(t.visits_per_request * e.probe.requests)
            if t.own_ms is not None and system.component(name) is not None:
                fits.append(
                    Fit(
                        component=name,
                        kind=FitKind.SERVICE_TIME,
                        before=_stated_service(system, name),
                        after=t.own_ms / 1000,
                        samples=samples,
                        method=f"{label}: Server-Timing over {e.probe.requests} probe requests",
                    )
                )
            for callee, call in sorted(t.calls.items()):
                served = timing.get(callee)
                if served is None or served.response_ms is None:
                    continue
                fits.append(
                    Fit(
                        component=name,
                        kind=FitKind.OVERHEAD,
                        callee=callee,
                        before=_stated_overhead(system, name, callee),
                        after=max(call.mean_ms - served.response_ms, 0.0) / 1000,
                        samples=round(call.calls_per_request * e.probe.requests),
                        method=f"{label}: Server-Timing, calls less {callee}'s response",
                    )
                )
    return fits


def _fits_from_traces(system: System, facts: TraceFacts) -> list[Fit]:
    label = f"traces {facts.source.file}"
    fits: list[Fit] = []
    for name, sf in sorted(facts.services.items()):
        if system.component(name) is None:
            continue
        fits.append(
            Fit(
                component=name,
                kind=FitKind.SERVICE_TIME,
                before=_stated_service(system, name),
                after=sf.own_ms / 1000,
                samples=sf.visits,
                method=f"{label}: own time over {sf.visits:,} spans",
            )
        )
    for cf in facts.calls:
        edge = _edge(system, cf.from_, cf.to)
        if edge is None:
            continue
        fits.append(
            Fit(
                component=cf.from_,
                kind=FitKind.COUNT,
                callee=cf.to,
                before=edge.count,
                after=cf.per_request,
                samples=cf.calls,
                method=f"{label}: {cf.calls:,} calls over the caller's spans",
            )
        )
        if cf.overhead_ms is not None:
            fits.append(
                Fit(
                    component=cf.from_,
                    kind=FitKind.OVERHEAD,
                    callee=cf.to,
                    before=_stated_overhead(system, cf.from_, cf.to),
                    after=max(cf.overhead_ms, 0.0) / 1000,
                    samples=cf.calls,
                    method=f"{label}: client spans less the callee's server spans",
                )
            )
    return fits


def _saturation(system: System, entry: str) -> float | None:
    try:
        return forecast(system, entrypoints={entry: 1.0}).entrypoints[0].saturation_rps
    except ForecastInputError as exc:
        raise CalibrateError(f"the forecast cannot run: {exc}") from None


def _fit_bottleneck(system: System, entry: str, measured: float, label: str) -> list[Fit]:
    """The bottleneck's service time that makes the predicted saturation meet the measured one."""
    fc = forecast(system, entrypoints={entry: 1.0}).entrypoints[0]
    name = fc.bottleneck
    comp = system.component(name) if name and not fc.bottleneck_pool else None
    if comp is None or fc.saturation_rps is None:
        return []
    start = comp.service_time_s or next(
        (
            c.service_ms / 1000
            for c in forecast(system, entrypoints={entry: 1.0}).components
            if c.name == name
        ),
        0.0,
    )
    value: float = start
    predicted: float | None = fc.saturation_rps
    for _ in range(MAX_FIT_ROUNDS):
        if predicted is None or abs(predicted / measured - 1) <= FIT_TOLERANCE:
            break
        value *= predicted / measured
        fit = Fit(
            component=comp.name, kind=FitKind.SERVICE_TIME, before=None, after=value, samples=0, method=""
        )
        predicted = _saturation(calibrated_system(system, [fit]), entry)
    return [
        Fit(
            component=comp.name,
            kind=FitKind.SERVICE_TIME,
            before=comp.service_time_s,
            after=value,
            samples=0,
            method=f"{label}: set so the predicted saturation meets the measured {measured:,.1f} rps "
            f"({comp.name} is the bottleneck)",
        )
    ]


def _fit_scale(system: System, entry: str, rps: float, measured_p50_ms: float, label: str) -> list[Fit]:
    """One factor on every service time on the path, so that the predicted p50 at ``rps`` is the measured."""
    fc = forecast(system, entrypoints={entry: rps})
    on_path = [c for c in fc.components if c.arrival_rps > 0]

    def p50(k: float) -> float:
        fits = [Fit(component=c.name, kind=FitKind.SERVICE_TIME, before=None, after=c.service_ms / 1000 * k,
                    samples=0, method="") for c in on_path]  # fmt: skip
        e = forecast(calibrated_system(system, fits), entrypoints={entry: rps}).entrypoints[0]
        return e.p50_ms if e.p50_ms is not None else math.inf

    lo, hi = 0.2, 5.0
    if not p50(lo) <= measured_p50_ms <= p50(hi):
        return []
    for _ in range(30):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if p50(mid) < measured_p50_ms else (lo, mid)
    k = math.sqrt(lo * hi)
    return [
        Fit(
            component=c.name,
            kind=FitKind.SERVICE_TIME,
            before=_stated_service(system, c.name),
            after=c.service_ms / 1000 * k,
            samples=0,
            method=f"{label}: every service time on the path × {k:.3f}, so that p50 at {rps:,.1f} rps is the "
            f"measured {measured_p50_ms:g} ms",
        )
        for c in on_path
    ]


def _fits_from_load(system: System, load: LoadRun, label: str) -> tuple[list[Fit], float | None]:
    d = decide(load.doc.get("series") or [], int(load.doc.get("measured", {}).get("from_s") or 0),
               float(load.doc.get("planned_duration_s") or 0))  # fmt: skip
    if not d.stable and d.throughput_rps:
        return _fit_bottleneck(system, load.entry, d.throughput_rps, label), d.throughput_rps
    p50 = ((load.doc.get("measured") or {}).get("latency_ms") or load.doc.get("latency_ms") or {}).get("p50")
    if p50 is None:
        raise CalibrateError(f"{label}: no latency measured")
    return _fit_scale(system, load.entry, load.rate, float(p50), label), None


def _fold_overheads(system: System, fits: list[Fit], notes: list[str]) -> list[Fit]:
    """Without a per-call overhead in the model: into a held caller's service time; else noted and dropped."""
    extra: dict[str, float] = defaultdict(float)
    for f in fits:
        if f.kind is not FitKind.OVERHEAD:
            continue
        comp = system.component(f.component)
        edge = _edge(system, f.component, f.callee or "")
        if comp is None or edge is None:
            continue
        if comp.async_:
            notes.append(
                f"{f.component} -> {f.callee}: overhead {_ms(f.after)} per call not written: this model has "
                f"no calls[].overhead, and {f.component} is async (its worker does not wait through it)"
            )
            continue
        per_request = 1.0 if edge.parallel else float(edge.count or 1.0)
        extra[f.component] = max(extra[f.component], 0.0) + f.after * per_request
        notes.append(
            f"{f.component} -> {f.callee}: overhead {_ms(f.after)} per call folded into {f.component}'s "
            f"service_time ({per_request:g} per request; this model has no calls[].overhead)"
        )
    out = []
    for f in fits:
        if f.kind is FitKind.OVERHEAD:
            continue
        if f.kind is FitKind.SERVICE_TIME and f.component in extra:
            add = extra.pop(f.component)
            f = f.model_copy(
                update={"after": f.after + add, "method": f"{f.method} + call overhead {_ms(add)}"}
            )
        out.append(f)
    return out


def calibrate(system: System, source: VerifyResult | LoadRun | TraceFacts, label: str) -> Calibration:
    """Fit ``system``'s service times (and call overheads, call counts from traces) to ``source``.

    ``label`` names the source in provenance comments (e.g. ``verify run verify.json``).
    """
    notes: list[str] = []
    measured: dict[str, float | None] = {}
    if isinstance(source, VerifyResult):
        entries = [e.name for e in source.entrypoints]
        measured = {e.name: e.saturation.measured_rps for e in source.entrypoints}
        fits = _fits_from_stats(system, source, label)
        if not fits:
            fits = _fits_from_timing(system, source, label)
        if not fits:
            notes.append("no stats and no Server-Timing: fitted the bottleneck from the measured saturation")
            for e in source.entrypoints:
                if e.saturation.measured_rps:
                    fits += _fit_bottleneck(system, e.name, e.saturation.measured_rps, label)
    elif isinstance(source, LoadRun):
        entries = [source.entry]
        fits, sat = _fits_from_load(system, source, label)
        measured = {source.entry: sat}
    else:
        entries = [e.name for e in system.entrypoints if not e.inferred]
        fits = _fits_from_traces(system, source)
    if not fits:
        raise CalibrateError(f"{label}: nothing to fit (no stats, Server-Timing, trace or saturation data)")
    if not overhead_supported():
        fits = _fold_overheads(system, fits, notes)
    after = calibrated_system(system, fits, source=label)
    return Calibration(
        source=label,
        fits=fits,
        notes=notes,
        saturation_before={e: _saturation(system, e) for e in entries},
        saturation_after={e: _saturation(after, e) for e in entries},
        measured_saturation=measured,
    )


def calibrated_system(system: System, fits: list[Fit], *, source: str = "calibrate") -> System:
    """A copy of ``system`` with the fitted values applied (provenance origin ``calibrate``)."""
    out = system.model_copy(deep=True)
    where = Source(file=source)
    for f in fits:
        comp = out.component(f.component)
        if comp is None:
            continue
        if f.kind is FitKind.SERVICE_TIME:
            comp.service_time_s = f.after
            comp.provenance["service_time_s"] = Provenance(source=where, origin="calibrate")
            continue
        edge = next((e for e in out.calls_from(comp.name) if e.to == f.callee), None)
        if edge is None:
            continue
        if f.kind is FitKind.COUNT:
            edge.count = f.after
        elif "overhead_s" in Edge.model_fields:
            setattr(edge, "overhead_s", f.after)  # noqa: B010 - a field another change adds to the model
    return out


# -------------------------------------------------------------------------------------------- writing


def _yaml(text: str) -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    mapping, sequence, offset = detect_indent(text)
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


_EARLIER = re.compile(r"(?:^|;\s*)(?:[a-z_]+ )?calibrated from .*$")


def _comment(node: CommentedMap | CommentedSeq, key: Any, text: str) -> None:
    """Say where a value came from in its end-of-line comment, after whatever the comment said before (an
    earlier calibration's words replaced); full-line comments that follow stay where they are."""
    entry = node.ca.items.get(key)
    slot = 0 if isinstance(node, CommentedSeq) else 2
    token = entry[slot] if entry and len(entry) > slot else None
    if not isinstance(token, CommentToken):
        node.yaml_add_eol_comment(f"# {text}", key)
        return
    first, newline, rest = token.value.partition("\n")
    before = _EARLIER.sub("", first.strip().removeprefix("#").strip()).strip()
    token.value = f"# {before}; {text}" if before else f"# {text}"
    token.value += newline + rest


def _component_node(doc: CommentedMap, name: str) -> CommentedMap:
    comps = doc.get("components")
    if not isinstance(comps, CommentedMap):
        comps = CommentedMap()
        doc["components"] = comps
    node = comps.get(name)
    if not isinstance(node, CommentedMap):
        node = CommentedMap()
        comps[name] = node
    return node


def _write_fit(doc: CommentedMap, f: Fit) -> str | None:
    """Put one fit into the document; a message when it could not be placed."""
    node = _component_node(doc, f.component)
    was = (
        "not stated"
        if f.before is None
        else (duration_text(f.before) if f.kind is not FitKind.COUNT else f"{f.before:g}")
    )
    if f.kind is FitKind.SERVICE_TIME:
        node["service_time"] = duration_text(f.after)
        _comment(node, "service_time", f"calibrated from {f.method} (was {was})")
        return None
    calls = node.get("calls")
    index = next(
        (i for i, c in enumerate(calls or []) if isinstance(c, dict) and c.get("to") == f.callee), None
    )
    if not isinstance(calls, CommentedSeq) or index is None:
        return f"{f.component} -> {f.callee}: not written, the call is not stated in this redline.yaml"
    if f.kind is FitKind.COUNT:
        calls[index]["count"] = round(f.after, 4)
    else:
        calls[index]["overhead"] = duration_text(f.after)
    _comment(calls, index, f"{f.kind.value} calibrated from {f.method} (was {was})")
    return None


def write_yaml(text: str, calibration: Calibration) -> tuple[str, list[str]]:
    """``text`` (a redline.yaml) with the fitted values, comments and layout kept; and what was not placed."""
    y = _yaml(text)
    try:
        doc = y.load(text)
    except YAMLError as exc:
        raise CalibrateError(f"redline.yaml does not parse: {str(exc).splitlines()[0]}") from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise CalibrateError("redline.yaml: expected a mapping at the top level")
    problems = [m for f in calibration.fits if (m := _write_fit(doc, f)) is not None]
    buf = io.StringIO()
    y.dump(doc, buf)
    lead = text[: len(text) - len(text.lstrip("\n"))]
    return lead + buf.getvalue(), problems


def native_file(system: System) -> Path:
    """The redline.yaml a scan read (calibrate writes into it); :class:`CalibrateError` unless just one."""
    found = [f.file for f in system.files if f.as_ == "redline"]
    if not found:
        raise CalibrateError(
            "no redline.yaml was read: calibrate writes into one; create it with `redline init` first"
        )
    if len(found) > 1:
        raise CalibrateError(
            f"{len(found)} redline.yaml files were read ({', '.join(found)}); point at one folder"
        )
    path = Path(found[0])
    return path if path.is_absolute() else Path(system.root) / path
