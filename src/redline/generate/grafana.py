"""Grafana dashboards: one per entry point and one overview, as dashboard JSON (schemaVersion 39).

An entry point's dashboard shows its SLIs over the chosen range, the error-budget burn rate over 1 h and
6 h against the page thresholds, p50/p95/p99 latency, traffic against the forecast's saturation load,
and the saturation of every component on its path (CPU, memory, queue depth, connections). The overview
shows each entry point's traffic and every running component's saturation. Every panel queries the data
source chosen in the ``datasource`` variable; nothing depends on the recording rules, so a dashboard
works with or without the generated alerts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from redline.forecast.result import Forecast
from redline.generate.alert import Alert, AlertKind
from redline.generate.naming import slug, uid
from redline.generate.selectors import Matcher
from redline.generate.sli import Objective, Sli
from redline.generate.slo import PAGE, SloSet, window_text
from redline.generate.targets import Target

__all__ = ["SCHEMA_VERSION", "dashboards"]

SCHEMA_VERSION = 39
_DS = {"type": "prometheus", "uid": "${datasource}"}


@dataclass
class _Grid:
    """Places panels left to right, 24 columns wide, and numbers them."""

    panels: list[dict[str, Any]] = field(default_factory=list)
    x: int = 0
    y: int = 0
    row_h: int = 0

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append(
            {
                "type": "row",
                "title": title,
                "id": len(self.panels) + 1,
                "collapsed": False,
                "panels": [],
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
            }
        )
        self.y += 1

    def add(self, panel: dict[str, Any], w: int, h: int) -> None:
        if self.x + w > 24:
            self._newline()
        panel["id"] = len(self.panels) + 1
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += w
        self.row_h = max(self.row_h, h)

    def _newline(self) -> None:
        if self.x:
            self.y += self.row_h
        self.x, self.row_h = 0, 0


def _target(expr: str, legend: str, ref: int) -> dict[str, Any]:
    return {"refId": chr(ord("A") + ref), "expr": expr, "legendFormat": legend, "datasource": dict(_DS)}


def _thresholds(steps: list[tuple[str, float | None]]) -> dict[str, Any]:
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for c, v in steps]}


def _timeseries(
    title: str, description: str, queries: list[tuple[str, str]], unit: str, lines: list[float] | None = None
) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": unit}
    if lines:
        defaults["thresholds"] = _thresholds([("green", None), *(("red", v) for v in sorted(lines))])
        defaults["custom"] = {"thresholdsStyle": {"mode": "line"}}
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": dict(_DS),
        "targets": [_target(q, legend, i) for i, (legend, q) in enumerate(queries)],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
    }


def _stat(title: str, description: str, expr: str, unit: str, good_from: float | None) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": unit}
    if good_from is not None:
        defaults["thresholds"] = _thresholds([("red", None), ("green", good_from)])
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": dict(_DS),
        "targets": [_target(expr, title, 0)],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "justifyMode": "auto",
            "orientation": "auto",
            "textMode": "auto",
        },
    }


def _text(title: str, content: str) -> dict[str, Any]:
    return {"type": "text", "title": title, "options": {"mode": "markdown", "content": content}}


def _dashboard(title: str, key: str, tags: list[str], grid: _Grid, description: str) -> dict[str, Any]:
    return {
        "uid": uid("redline", key),
        "title": title,
        "description": description,
        "tags": tags,
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "hide": 0,
                    "current": {},
                    "options": [],
                    "refresh": 1,
                }
            ]
        },
        "annotations": {"list": []},
        "links": [],
        "panels": grid.panels,
    }


# ------------------------------------------------------------------------------------------ panels


def _sli_panels(grid: _Grid, sli: Sli, sets: list[SloSet], objectives: list[Objective]) -> None:
    grid.row("Service level")
    req, err, lat = sli.requests, sli.errors, sli.latency
    by_key = {s.objective.key: s for s in sets}
    for o in objectives:
        s = by_key.get(o.key)
        if s is None:
            continue
        if o.latency:
            assert lat is not None and s.le is not None
            good = lat.render(sli.le_matchers(s.le))
            total = lat.render((Matcher("le", "=", "+Inf"),))
            expr = f"sum(increase({good}[$__range])) / sum(increase({total}[$__range]))"
        else:
            assert req is not None and err is not None
            expr = f"1 - (sum(increase({err.render()}[$__range])) / sum(increase({req.render()}[$__range])))"
        grid.add(
            _stat(
                f"SLI: {o.describe()}",
                f"Share of good requests over the dashboard's range; objective {o.describe()}.",
                expr,
                "percentunit",
                float(o.target),
            ),
            6,
            5,
        )
    burn: list[tuple[str, str]] = []
    for s in sets:
        for p in PAGE:
            w = window_text(p.long)
            burn.append((f"{s.objective.key} {w}", f"({s.ratio(w)}) / {float(s.objective.budget):g}"))
    if burn:
        grid.add(
            _timeseries(
                "Error-budget burn rate",
                "1 = the budget lasts exactly 30 days; page lines at 6 and 14.4.",
                burn,
                "none",
                [float(p.burn) for p in PAGE],
            ),
            12,
            8,
        )
    if lat is not None:
        scale = "ms" if sli.unit == "ms" else "s"
        qs = [
            (
                f"p{q}",
                f"histogram_quantile({q / 100:g}, sum by (le) (rate({lat.render()}[$__rate_interval])))",
            )
            for q in (50, 95, 99)
        ]
        grid.add(_timeseries("Latency p50 / p95 / p99", f"From {sli.origin}.", qs, scale), 12, 8)
    if req is not None and err is not None:
        ratio = f"sum(rate({err.render()}[$__rate_interval])) / sum(rate({req.render()}[$__rate_interval]))"
        grid.add(
            _timeseries(
                "Error ratio", "Share of requests that failed (5xx).", [("errors", ratio)], "percentunit"
            ),
            12,
            8,
        )


def _traffic_panel(grid: _Grid, sli: Sli, forecast: Forecast | None) -> None:
    if sli.requests is None:
        return
    queries = [("requests/s", f"sum(rate({sli.requests.render()}[$__rate_interval]))")]
    entry = (
        next((e for e in forecast.entrypoints if e.name == sli.entrypoint.name), None) if forecast else None
    )
    description = "Requests per second."
    if entry is not None and entry.saturation_rps is not None:
        queries.append(("forecast: saturates", f"vector({entry.saturation_rps:g})"))
        queries.append(("70%: capacity alert", f"vector({round(0.7 * entry.saturation_rps, 3):g})"))
        neck = entry.bottleneck
        description += f" The forecast says it saturates at {entry.saturation_rps:g} rps (bottleneck {neck})."
    grid.add(_timeseries("Traffic against forecast capacity", description, queries, "reqps"), 12, 8)


def _component_panels(grid: _Grid, t: Target, alerts: list[Alert]) -> None:
    c = t.component
    matchers = ", ".join(m.render() for m in t.containers)
    cpu = f"sum(rate(container_cpu_usage_seconds_total{{{matchers}}}[$__rate_interval]))"
    mem = f"sum(container_memory_working_set_bytes{{{', '.join(m.render() for m in t.containers)}}})"
    grid.add(
        _timeseries(f"{c.name}: CPU", "Cores used, all replicas (cAdvisor).", [("cores", cpu)], "short"), 8, 7
    )
    grid.add(
        _timeseries(f"{c.name}: memory", "Working set, all replicas (cAdvisor).", [("bytes", mem)], "bytes"),
        8,
        7,
    )
    shares = [(a.kind.value, a.queries[0][1]) for a in alerts if a.kind in (AlertKind.CPU, AlertKind.MEMORY)]
    if shares:
        lines = sorted(
            {
                0.7 if a.kind is AlertKind.CPU else 0.85
                for a in alerts
                if a.kind in (AlertKind.CPU, AlertKind.MEMORY)
            }
        )
        grid.add(
            _timeseries(
                f"{c.name}: share of limits",
                "Alert lines: CPU 70%, memory 85%.",
                shares,
                "percentunit",
                lines,
            ),
            8,
            7,
        )
    for a in alerts:
        if a.kind is AlertKind.QUEUE_DEPTH:
            grid.add(
                _timeseries(
                    f"{c.name}: queue depth", a.summary, [("messages", a.queries[0][1])], "short", [1000]
                ),
                8,
                7,
            )
        elif a.kind is AlertKind.CONNECTIONS:
            grid.add(
                _timeseries(
                    f"{c.name}: connections / max",
                    a.summary,
                    [("share", a.queries[0][1])],
                    "percentunit",
                    [0.8],
                ),
                8,
                7,
            )


def dashboards(
    system_name: str,
    slis: dict[str, Sli | str],
    sets: list[SloSet],
    objectives: list[Objective],
    targets: list[Target],
    paths: dict[str, list[str]],
    alerts: list[Alert],
    forecast: Forecast | None,
) -> dict[str, str]:
    """Dashboard JSON files (relative to --out): ``grafana/entrypoint-NAME.json`` and
    ``grafana/overview.json``.

    ``slis`` maps each entry point to its SLI or the reason it has none; ``paths`` maps each entry point
    to the components on its path (itself first).
    """
    by_component: dict[str, list[Alert]] = {}
    for a in alerts:
        if a.entrypoint is None:
            by_component.setdefault(a.component, []).append(a)
    by_name = {t.component.name: t for t in targets}
    files: dict[str, str] = {}
    for ep, sli in slis.items():
        grid = _Grid()
        if isinstance(sli, Sli):
            _sli_panels(grid, sli, [s for s in sets if s.sli.entrypoint.name == ep], objectives)
            _traffic_panel(grid, sli, forecast)
        else:
            grid.row("Service level")
            grid.add(_text("No SLI metrics", f"No request metrics for {ep}: {sli}"), 24, 3)
        grid.row("Saturation of the components on its path")
        for name in paths.get(ep, []):
            if name in by_name:
                _component_panels(grid, by_name[name], by_component.get(name, []))
        title = f"{system_name} / {ep}"
        files[f"grafana/entrypoint-{slug(ep)}.json"] = _json(
            _dashboard(
                title,
                f"{system_name}-{ep}",
                ["redline", slug(system_name)],
                grid,
                f"Entry point {ep}: SLIs, error-budget burn, latency, traffic and saturation on its path.",
            )
        )
    grid = _Grid()
    grid.row("Entry points")
    for sli in slis.values():
        if isinstance(sli, Sli):
            _traffic_panel(grid, sli, forecast)
    grid.row("Components")
    for t in targets:
        _component_panels(grid, t, by_component.get(t.component.name, []))
    if all(p["type"] == "row" for p in grid.panels):
        return files  # no entry point with metrics and no running component: nothing to show
    files["grafana/overview.json"] = _json(
        _dashboard(
            f"{system_name} / overview",
            f"{system_name}-overview",
            ["redline", slug(system_name)],
            grid,
            "Traffic of every entry point and saturation of every running component.",
        )
    )
    return files


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
