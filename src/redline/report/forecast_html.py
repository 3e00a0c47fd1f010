"""A self-contained HTML forecast report: inline SVG charts, inline CSS, no script, no CDN.

Charts come from :mod:`redline.report.charts` (generic helpers shared with other reports): latency vs
load (p50/p95/p99) per entry point with the SLO lines and the current and target loads marked, and
utilization per component at current and target load.
"""

from __future__ import annotations

import math
from html import escape

from redline.forecast.result import Forecast
from redline.model import Skipped
from redline.model.secrets import masked
from redline.report import charts
from redline.report import skipped as not_read

__all__ = ["latency_svg", "render", "utilization_svg"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1040px;
color:#111827;padding:0 16px}h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:13px;width:100%}th,td{border-bottom:1px solid #e5e7eb;
padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f9fafb}
.bad{color:#b91c1c;font-weight:600}.ok{color:#15803d}.warn{color:#b45309}.summary{font-size:15px;
background:#f3f4f6;border-left:4px solid #2563eb;padding:8px 12px;margin:8px 0}
.breach{border-left-color:#dc2626}ul{font-size:13px}svg{max-width:100%;height:auto}.dim{color:#6b7280}
"""

_UTIL_CAP = 1.5  # bars above 150% would flatten the rest; they are labelled "unstable" anyway


def _ms(v: float | None) -> str:
    return '<span class="bad">saturated</span>' if v is None else f"{v:,.1f} ms"


def _pct(v: float | None) -> str:
    if v is None or v >= 1:
        return '<span class="bad">unstable</span>' if v is None else f'<span class="bad">{v:.0%}</span>'
    return f'<span class="warn">{v:.0%}</span>' if v > 0.7 else f"{v:.0%}"


def _header(*cols: str) -> str:
    return "<table><tr>" + "".join(f"<th>{escape(c)}</th>" for c in cols) + "</tr>"


def latency_svg(result: Forecast, entry: str) -> str:
    """Latency percentiles vs load for one entry point."""
    points = result.curves.get(entry, [])
    e = next(x for x in result.entrypoints if x.name == entry)
    series = {
        label: [(p.rps, v) for p in points if (v := getattr(p, key)) is not None]
        for label, key in (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"))
    }
    hlines = [(v, f"SLO {k} {v:g} ms") for k, v in e.slo_ms.items()]
    top = max((x for x, _ in series["p50"]), default=0.0)
    vlines = [(e.rps, f"now {e.rps:,.0f}")]
    if e.target_rps != e.rps and e.target_rps <= top * 1.05:
        vlines.append((e.target_rps, f"target {e.target_rps:,.0f}"))
    title = f"{entry}: latency vs load"
    if e.saturation_rps is not None:
        title += f", saturates at {e.saturation_rps:,.0f} rps"
    if e.target_rps > top * 1.05:
        title += f" (target {e.target_rps:,.0f} rps is beyond)"
    return charts.line_chart(
        series,
        title=title,
        x_label="requests per second",
        y_label="latency (ms)",
        hlines=[h for h in hlines if h[0] <= 3 * max((y for _, y in series["p99"]), default=h[0])],
        vlines=vlines,
    )


def utilization_svg(result: Forecast) -> str:
    """Utilization per loaded component, now and at the target (display clipped at 150%)."""
    rows = []
    for c in result.components:
        if c.arrival_rps <= 0 and c.target_arrival_rps <= 0:
            continue
        now = math.inf if c.utilization is None else c.utilization * 100
        target = math.inf if c.target_utilization is None else c.target_utilization * 100
        rows.append((c.name, [now, target]))
    return charts.grouped_hbar_chart(
        rows,
        series=["current load", f"target ({result.growth.target_rps:,.0f} rps)"],
        title="Utilization per component, % (≥ 100% = unstable)",
        x_label="utilization %",
        x_max=_UTIL_CAP * 100,
        vlines=[(70.0, "70%"), (100.0, "100%")],
    )


def render(result: Forecast, skipped: list[Skipped] | None = None) -> str:
    """The whole report as one HTML string; ``skipped`` (the scan's) is shown first when not empty."""
    result = masked(result)
    g = result.growth
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>redline forecast {escape(result.system or '')}</title><style>{_CSS}</style></head><body>",
        f"<h1>redline forecast: {escape(result.system or 'system')}</h1>",
        f"<p>current {g.current_rps:,.0f} rps; target {g.target_rps:,.0f} rps ({g.factor:g}×, "
        f"{escape(g.source)})</p>",
        not_read.html(skipped or []),
    ]
    for e in result.entrypoints:
        out.append(f'<div class="summary"><b>{escape(e.name)}</b>: {escape(e.summary)}</div>')
    if result.breached:
        reasons = "; ".join(result.breach_reasons)
        out.append(f'<div class="summary breach"><b>breached at the target:</b> {escape(reasons)}</div>')

    out.append("<h2>Entry points</h2>")
    out.append(
        _header("entry point", "rps", "p50", "p95", "p99", "saturates at", "SLO crossed at", "target p95")
    )
    for e in result.entrypoints:
        sat = "—" if e.saturation_rps is None else f"{e.saturation_rps:,.0f} rps"
        slo = "—" if e.slo_breach_rps is None else f"{e.slo_breach_rps:,.0f} rps ({e.slo_breach_percentile})"
        out.append(
            f"<tr><td>{escape(e.name)}</td><td>{e.rps:,.0f}</td><td>{_ms(e.p50_ms)}</td><td>{_ms(e.p95_ms)}</td>"
            f"<td>{_ms(e.p99_ms)}</td><td>{sat}</td><td>{slo}</td><td>{_ms(e.target_p95_ms)}</td></tr>"
        )
    out.append("</table>")
    for e in result.entrypoints:
        if e.name in result.curves:
            out.append(latency_svg(result, e.name))
    out.append("<h2>Components</h2>")
    out.append(utilization_svg(result))
    out.append(
        _header("component", "kind", "replicas×workers", "arrival rps", "utilization", "wait", "target util",
                "needed ≤70%", "for SLO")
    )  # fmt: skip
    for c in result.components:
        wait = "—" if c.wait_ms is None else f"{c.wait_ms:,.2f} ms"
        slo = "—" if c.replicas_for_slo is None else str(c.replicas_for_slo)
        out.append(
            f"<tr><td>{escape(c.name)}{' *' if c.assumed else ''}</td><td>{c.kind}</td>"
            f"<td>{c.replicas}×{c.workers}</td><td>{c.arrival_rps:,.1f}</td><td>{_pct(c.utilization)}</td>"
            f"<td>{wait}</td><td>{_pct(c.target_utilization)}</td><td>{c.replicas_needed}</td><td>{slo}</td></tr>"
        )
    out.append("</table>")

    out.append("<h2>At the target</h2><ul>")
    for ch in g.changes:
        what = f"{ch.component} pool {ch.pool}" if ch.pool else ch.component
        out.append(f"<li>{escape(what)}: {ch.current} → {ch.planned} ({escape(ch.reason)})</li>")
    if not g.changes:
        out.append("<li>no change needed</li>")
    for note in g.notes:
        out.append(f'<li class="warn">{escape(note)}</li>')
    cost = result.cost
    if cost.known and cost.monthly_before is not None and cost.monthly_after is not None:
        out.append(
            f"<li>cost {cost.monthly_before:,.0f} → {cost.monthly_after:,.0f} {escape(cost.currency)}/month "
            f"({escape(cost.note)})</li>"
        )
    else:
        out.append(f"<li>{escape(cost.note)}</li>")
    out.append("</ul><h2>Availability</h2>")
    out.append(_header("entry point", "availability", "SLO", "expected downtime", "error budget", "weakest"))
    for a in result.availability:
        slo = "—" if a.slo is None else f"{a.slo:.3%}"
        cls = "" if a.meets_slo is None else (' class="ok"' if a.meets_slo else ' class="bad"')
        budget = "—" if a.budget_minutes_month is None else f"{a.budget_minutes_month:g} min/month"
        out.append(
            f"<tr><td>{escape(a.entrypoint)}</td><td{cls}>{a.value:.4%}</td><td>{slo}</td>"
            f"<td>{a.expected_downtime_minutes_month:,.1f} min/month</td><td>{budget}</td>"
            f"<td>{escape(a.weakest)} ({a.weakest_availability:.4%})</td></tr>"
        )
    out.append("</table>")
    if result.warnings:
        out.append(
            "<h2>Warnings</h2><ul>" + "".join(f"<li>{escape(w)}</li>" for w in result.warnings) + "</ul>"
        )
    out.append(f"<h2>Assumptions ({len(result.assumptions)})</h2><ul>")
    out.extend(f"<li>{escape(a)}</li>" for a in result.assumptions)
    out.append("</ul></body></html>\n")
    return "\n".join(out)
