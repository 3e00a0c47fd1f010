"""Render a :class:`~redline.verify.VerifyResult` (and a :class:`~redline.verify.result.Calibration`) for
the terminal: one table of load points per entry point, then the saturation and its bottleneck."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from redline.model import Skipped
from redline.report import skipped as not_read
from redline.verify.result import (
    Calibration,
    EntrypointVerify,
    FitKind,
    Pct,
    Percentiles,
    Verdict,
    VerifyResult,
)

__all__ = ["render", "render_calibration"]

_VERDICT = {
    Verdict.PASS: "[green]PASS[/]: every error lies inside its noise band",
    Verdict.FAIL: "[red]FAIL[/]",
    Verdict.INCOMPLETE: "[yellow]INCOMPLETE[/]: not everything could be measured",
}


def _ms3(p: Percentiles) -> str:
    values = (p.p50_ms, p.p95_ms, p.p99_ms)
    return " / ".join("—" if v is None else f"{v:,.1f}" for v in values)


def _pct3(p: Pct, band: Pct | None = None) -> str:
    out = []
    for key in ("p50", "p95", "p99"):
        v = getattr(p, key)
        b = getattr(band, key) if band is not None else None
        text = "—" if v is None else (f"{v:+.1f}" if band is not None else f"±{v:.1f}")
        if v is not None and b is not None and abs(v) > b:
            text = f"[red]{text}[/]"
        out.append(text)
    return " / ".join(out)


def _points(e: EntrypointVerify) -> Table:
    t = Table(title=f"{e.name} → {e.url}  (ms: p50 / p95 / p99)", title_justify="left")
    for col in (
        "load rps",
        "of sat.",
        "predicted",
        "measured",
        "error %",
        "band ±%",
        "in band",
        "n",
        "generator",
    ):
        t.add_column(col, justify="right")
    for p in e.points:
        within = "—" if p.within_band is None else ("[green]yes[/]" if p.within_band else "[red]no[/]")
        gen = "kept up" if p.keeping_up else "[yellow]behind[/]"
        t.add_row(
            f"{p.rps:,.1f}", f"{p.fraction:.0%}", _ms3(p.predicted), _ms3(p.measured),
            _pct3(p.error_pct, p.band_pct), _pct3(p.band_pct), within, f"{p.completions:,}", gen,
        )  # fmt: skip
    return t


def _saturation(e: EntrypointVerify, console: Console) -> None:
    s = e.saturation
    if s.measured_rps is None:
        console.print(
            f"  saturation: predicted {s.predicted_rps:,.1f} rps; measured: {s.method or 'not searched'}"
        )
    else:
        ok = "" if s.within_band is None else (" [green]inside[/]" if s.within_band else " [red]outside[/]")
        band = "" if s.band_pct is None else f", band ±{s.band_pct:.1f}%"
        console.print(
            f"  saturation: predicted {s.predicted_rps:,.1f} rps, measured {s.measured_rps:,.1f} rps "
            f"({s.error_pct:+.1f}%{band}){ok}"
        )
    measured = s.measured_bottleneck or "not measured (give --stats NAME=URL)"
    mark = "" if s.bottleneck_matches is None else (" [green]✓[/]" if s.bottleneck_matches else " [red]✗[/]")
    console.print(f"  bottleneck: predicted {s.bottleneck or '—'}, measured {measured}{mark}")
    if s.forecast_reason:
        console.print(f"  [dim]forecast: {s.forecast_reason}[/]")


def _steps(e: EntrypointVerify) -> Table:
    t = Table(title=f"{e.name}: saturation search (trend test per step)", title_justify="left")
    for col in ("load rps", "×pred", "throughput", "backlog", "p50 first→last third", "trend test"):
        t.add_column(col, justify="right" if col != "trend test" else "left")
    for s in e.steps:
        thirds = (
            "—"
            if s.first_third_ms is None or s.last_third_ms is None
            else f"{s.first_third_ms:,.1f} → {s.last_third_ms:,.1f} ms"
        )
        thr = "—" if s.throughput_rps is None else f"{s.throughput_rps:,.1f}/s"
        verdict = f"[green]{s.reason}[/]" if s.stable else f"[red]{s.reason}[/]"
        t.add_row(f"{s.rps:,.1f}", f"{s.fraction:g}", thr, f"{s.backlog:,}", thirds, verdict)
    return t


def render(result: VerifyResult, console: Console, skipped: list[Skipped] | None = None) -> None:
    """What was not read, then per entry point: the load points, the search, saturation and bottleneck."""
    not_read.render_text(skipped or [], console)
    how = (
        "replayed against recorded measurements (no load sent)"
        if result.replayed
        else (f"{result.duration_s:g} s per run after a {result.warmup_s:g} s warm-up, × {result.repeat}")
    )
    console.print(f"[bold]redline verify[/] {result.system or ''}: {how}")
    for e in result.entrypoints:
        if e.probe is not None:
            pr = e.probe
            model = (
                ""
                if pr.predicted_mean_ms is None
                else (
                    f"; the forecast's mean {pr.predicted_mean_ms:,.2f} ms "
                    f"({pr.latency_ms['mean'] - pr.predicted_mean_ms:+,.2f} ms a request it does not carry)"
                )
            )
            console.print(
                f"  {e.name}: at zero load (probe, {pr.requests} requests one at a time) p50 "
                f"{pr.latency_ms['p50']:,.2f} ms, mean {pr.latency_ms['mean']:,.2f} ms{model}"
            )
        console.print(_points(e))
        if e.steps:
            console.print(_steps(e))
        _saturation(e, console)
        for note in e.notes:
            console.print(f"  [yellow]note:[/] {note}", highlight=False)
    console.print(f"verdict: {_VERDICT[result.verdict]}")
    for reason in result.reasons:
        console.print(f"  {reason}", highlight=False)


def _value(kind: FitKind, v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.4g}" if kind is FitKind.COUNT else f"{v * 1000:,.3f} ms"


def render_calibration(result: Calibration, console: Console) -> None:
    t = Table(title=f"redline calibrate: from {result.source}", title_justify="left")
    for col in ("component", "value", "before", "after", "samples", "from"):
        t.add_column(col, justify="right" if col in ("before", "after", "samples") else "left")
    for f in result.fits:
        what = f.kind.value + (f" → {f.callee}" if f.callee else "")
        t.add_row(
            f.component, what, _value(f.kind, f.before), _value(f.kind, f.after), f"{f.samples:,}", f.method
        )
    console.print(t)
    for name, before in result.saturation_before.items():
        after = result.saturation_after.get(name)
        measured = result.measured_saturation.get(name)
        line = f"{name}: predicted saturation {_rps(before)} → {_rps(after)} rps"
        if measured:
            err = (after - measured) / measured * 100 if after else None
            line += f"; measured {measured:,.1f} rps" + (f" ({err:+.1f}% after)" if err is not None else "")
        console.print(line)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    if result.written:
        console.print(f"wrote {result.written}")


def _rps(v: float | None) -> str:
    return "—" if v is None else f"{v:,.1f}"
