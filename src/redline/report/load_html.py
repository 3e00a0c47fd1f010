"""Self-contained HTML report for a `redline load` results document (inline SVG, no network)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from redline.report.charts import histogram_chart, line_chart

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;
  margin:24px auto;max-width:880px;color:#111827}
h1{font-size:20px;margin:0 0 4px} h2{font-size:15px;margin:24px 0 6px}
.note{color:#4b5563;font-size:13px;margin:4px 0 12px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:right}
td:first-child,th:first-child{text-align:left}
.pass{color:#15803d;font-weight:600} .fail{color:#b91c1c;font-weight:600} .warn{color:#b45309}
svg{display:block;margin:6px 0 14px;max-width:100%;height:auto}
"""

_PCTS = ("p50", "p90", "p95", "p99", "p999", "max")


def _pct_table(d: dict[str, Any]) -> str:
    rows = []
    for label, key in (
        ("latency (from intended send)", "latency_ms"),
        ("service time", "service_time_ms"),
        ("schedule lag", "schedule_lag_ms"),
    ):
        if d["model"] == "closed" and key == "latency_ms":
            label = "latency (closed model)"
        cells = "".join(f"<td>{_ms(d[key][p])}</td>" for p in _PCTS)
        rows.append(f"<tr><td>{label}</td>{cells}</tr>")
    head = "".join(f"<th>{p}</th>" for p in _PCTS)
    return f"<table><tr><th>ms</th>{head}</tr>{''.join(rows)}</table>"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


def _actual(th: dict[str, Any]) -> str:
    v = th.get("actual")
    if v is None:
        return "n/a"
    if th.get("unit") == "fraction":
        return f"{float(v):.3%}"
    return f"{float(v):,.2f} {escape(str(th.get('unit', '')))}"


def render_load_report(d: dict[str, Any]) -> str:
    """The report as one HTML string."""
    series = d.get("series") or []
    t = [float(r["t"]) for r in series]
    lat = {  # seconds without a response have no latency: no point is drawn for them
        p: [
            (x, float(r["latency_ms"][p]))
            for x, r in zip(t, series, strict=True)
            if r["latency_ms"][p] is not None
        ]
        for p in ("p50", "p90", "p99", "max")
    }
    slo_lines = [
        (float(th["limit"]), th["threshold"]) for th in d.get("thresholds", []) if th["metric"] == "latency"
    ]
    charts = [
        line_chart(
            lat, title="Latency percentiles per second", x_label="time (s)", y_label="ms", hlines=slo_lines
        )
    ]
    thr = {"achieved": [(x, float(r["rps"])) for x, r in zip(t, series, strict=True)]}
    if d["model"] == "open":
        thr["target"] = [(x, float(r["target_rps"] or 0)) for x, r in zip(t, series, strict=True)]
    vlines = []
    bp = d.get("breakpoint")
    if bp and bp.get("break_window"):
        vlines.append((float(bp["break_window"]["t"]), "break"))
    charts.append(
        line_chart(thr, title="Throughput vs target", x_label="time (s)", y_label="requests/s", vlines=vlines)
    )
    kinds = sorted({k for r in series for k in r.get("error_kinds", {})})
    errs = {"errors (all)": [(x, float(r["errors"])) for x, r in zip(t, series, strict=True)]}
    for k in kinds:
        errs[k] = [(x, float(r["error_kinds"].get(k, 0))) for x, r in zip(t, series, strict=True)]
    charts.append(line_chart(errs, title="Errors per second", x_label="time (s)", y_label="errors/s"))
    hist = [(float(v), float(c)) for v, c in d.get("latency_histogram", [])]
    marks = [(float(d["latency_ms"][p]), p) for p in ("p50", "p99") if d["latency_ms"][p] is not None]
    charts.append(
        histogram_chart(
            hist, title="Latency distribution (whole run)", x_label="latency (ms, log)", markers=marks
        )
    )
    th_rows = "".join(
        f"<tr><td>{escape(th['threshold'])}</td><td>{_actual(th)}</td>"
        f"<td class='{'pass' if th['passed'] else 'fail'}'>{'PASS' if th['passed'] else 'FAIL'}</td></tr>"
        for th in d.get("thresholds", [])
    )
    th_html = (
        f"<h2>Thresholds</h2><table><tr><th>threshold</th><th>actual</th><th></th></tr>{th_rows}</table>"
        if th_rows
        else ""
    )
    warn = []
    if not d.get("generator", {}).get("keeping_up", True):
        warn.append("The load generator fell behind its schedule: the server received less load than asked.")
    if d.get("interrupted"):
        warn.append("Interrupted: this covers the measured part only.")
    if d.get("aborted"):
        warn.append(f"Stopped early: {escape(str(d['aborted']))}.")
    drift = d.get("drift")
    if drift:
        warn.append(
            f"Soak drift: p95 {drift['first_p95_ms']} ms (first {drift['window_s']} s) → "
            f"{drift['last_p95_ms']} ms (last), {drift['p95_change_pct']:+.1f}%"
            + (" — DRIFTED." if drift["drifted"] else " — stable.")
        )
    if bp:
        warn.append(_breakpoint_line(bp))
    warn_html = "".join(f"<p class='warn'>{w}</p>" for w in warn)
    rate = d.get("error_rate")
    summary = (
        f"{d['requests']:,} requests in {d['elapsed_s']:g} s ({d['rps']:,.1f}/s), "
        f"{d['errors']:,} errors" + (f" ({rate:.2%})" if rate else "")
    )
    profile = f" · profile {escape(d['profile'])}" if d.get("profile") else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>redline load — {escape(d["target"])}</title>
<style>{_CSS}</style></head><body>
<h1>redline load: {escape(d["target"])}</h1>
<p class="note">{escape(d["model"])} model{profile} · {escape(summary)}</p>
<p class="note">{escape(d["note"])}</p>
{warn_html}
{_pct_table(d)}
{th_html}
<h2>Over time</h2>
{"".join(charts)}
</body></html>
"""


def _breakpoint_line(bp: dict[str, Any]) -> str:
    if not bp["broken"]:
        return f"Breakpoint: last sustained {bp['last_sustained_rps']} req/s; did not break."
    target = bp["break_window"]["target_rps"]
    if bp.get("broke_in_first_window"):
        return f"Breakpoint: broke in the first window at {target} req/s target; no rate was sustained."
    return f"Breakpoint: last sustained {bp['last_sustained_rps']} req/s, broke at target {target} req/s."


def write_load_report(d: dict[str, Any], path: Path) -> None:
    """Write the report atomically (mode 0644; the folder must exist, no temp file is left)."""
    from redline.load.results import write_text_atomic

    write_text_atomic(Path(path), render_load_report(d))
