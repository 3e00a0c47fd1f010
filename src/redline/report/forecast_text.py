"""Render a :class:`~redline.forecast.Forecast` as Rich tables for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from redline.forecast.result import Forecast
from redline.model import Skipped
from redline.model.secrets import masked
from redline.report import skipped as not_read

__all__ = ["render"]


def _ms(v: float | None) -> str:
    if v is None:
        return "[red]saturated[/]"
    return f"{v:,.1f} ms" if v < 10_000 else f"{v / 1000:,.1f} s"


def _rps(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f}" if v >= 10 else f"{v:,.2f}"


def _pct(v: float | None, saturated: bool = False) -> str:
    if v is None:
        return "[red]unstable[/]"
    text = f"{v:.0%}"
    if saturated or v >= 1:
        return f"[red]{text} unstable[/]"
    return f"[yellow]{text}[/]" if v > 0.7 else text


def render(result: Forecast, console: Console, skipped: list[Skipped] | None = None) -> None:
    """What was not read first (``skipped``: the scan's), then summary sentences (what an architect
    reads), then tables, then every assumption."""
    result = masked(result)
    not_read.render_text(skipped or [], console)
    g = result.growth
    console.print(
        f"[bold]redline forecast[/] {result.system or ''}: current {g.current_rps:,.0f} rps, "
        f"target {g.target_rps:,.0f} rps ({g.factor:g}x, {g.source})"
    )
    for e in result.entrypoints:
        console.print(f"  [bold]{e.name}[/]: {e.summary}")
    console.print()

    t = Table(title="Entry points", title_justify="left")
    for col in (
        "entry point",
        "rps",
        "p50",
        "p95",
        "p99",
        "SLO",
        "saturates at",
        "SLO crossed at",
        "at target p95",
    ):
        t.add_column(col, justify="left" if col == "entry point" else "right")
    for e in result.entrypoints:
        slo = ", ".join(f"{k} {v:g} ms" for k, v in e.slo_ms.items()) or "—"
        met = "" if e.slo_met is None else (" [green]ok[/]" if e.slo_met else " [red]breached[/]")
        t.add_row(
            e.name, _rps(e.rps), _ms(e.p50_ms), _ms(e.p95_ms), _ms(e.p99_ms), slo + met,
            f"{_rps(e.saturation_rps)} rps",
            "—" if e.slo_breach_rps is None else f"{_rps(e.slo_breach_rps)} rps",
            _ms(e.target_p95_ms),
        )  # fmt: skip
    console.print(t)

    t = Table(title="Components (current load → target)", title_justify="left")
    for col in (
        "component",
        "kind",
        "servers",
        "arrival rps",
        "util",
        "wait",
        "held",
        "target util",
        "needed ≤70%",
        "for SLO",
    ):
        t.add_column(col, justify="left" if col in ("component", "kind") else "right")
    for c in result.components:
        assumed = " [dim]*[/]" if c.assumed else ""
        t.add_row(
            c.name + assumed, c.kind, f"{c.replicas}×{c.workers}", _rps(c.arrival_rps),
            _pct(c.utilization, c.saturated), _ms(c.wait_ms) if not c.saturated else "—",
            _ms(c.hold_ms) if c.held_workers else "async", _pct(c.target_utilization, c.target_saturated),
            str(c.replicas_needed), "—" if c.replicas_for_slo is None else str(c.replicas_for_slo),
        )  # fmt: skip
    console.print(t)
    if any(c.assumed for c in result.components):
        console.print("[dim]* has defaulted fields; see assumptions[/]")

    if result.pools:
        t = Table(title="Connection pools", title_justify="left")
        for col in ("pool", "connections", "arrival rps", "util", "wait", "target util", "size needed"):
            t.add_column(col, justify="left" if col == "pool" else "right")
        for p in result.pools:
            t.add_row(
                f"{p.component}/{p.name}", f"{p.size}×{p.servers // max(p.size, 1)}", _rps(p.arrival_rps),
                _pct(p.utilization, p.saturated), _ms(p.wait_ms), _pct(p.target_utilization),
                str(p.size_needed),
            )  # fmt: skip
        console.print(t)

    console.print(f"\n[bold]At the target[/] ({g.target_rps:,.0f} rps):", end=" ")
    if not g.changes:
        console.print("no change needed.")
    else:
        console.print()
        for ch in g.changes:
            what = f"{ch.component} pool {ch.pool}" if ch.pool else ch.component
            unit = "connections/replica" if ch.pool else "replicas"
            console.print(f"  {what}: {ch.current} → {ch.planned} {unit} ({ch.reason})")
    if g.slo_met_after is not None:
        after = ", ".join(f"{k} p95 {_ms(v)}" for k, v in g.p95_after_ms.items())
        console.print(
            f"  after the change: {after}; SLO {'met' if g.slo_met_after else '[red]still breached[/]'}"
        )
    for note in g.notes:
        console.print(f"  [yellow]note:[/] {note}")
    cost = result.cost
    if cost.known and cost.monthly_before is not None and cost.monthly_after is not None:
        console.print(
            f"  cost: {cost.monthly_before:,.0f} → {cost.monthly_after:,.0f} {cost.currency}/month "
            f"({cost.note})"
        )
    else:
        console.print(f"  {cost.note}")

    console.print("\n[bold]Availability[/]")
    for a in result.availability:
        slo = "" if a.slo is None else f" vs SLO {a.slo:.3%} ({'ok' if a.meets_slo else '[red]below[/]'})"
        budget = "" if a.budget_minutes_month is None else f", budget {a.budget_minutes_month:g} min/month"
        console.print(
            f"  {a.entrypoint}: {a.value:.4%}{slo}: ~{a.expected_downtime_minutes_month:,.1f} min/month "
            f"down{budget}; weakest: {a.weakest} ({a.weakest_availability:.4%})"
        )
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    console.print(f"\n[bold]Assumptions[/] ({len(result.assumptions)})")
    for text in result.assumptions:
        console.print(f"  - {text}", markup=False)
    if result.breached:
        console.print("\n[bold red]breached at the target:[/] " + "; ".join(result.breach_reasons))
