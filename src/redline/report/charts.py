"""Tiny inline-SVG charts for self-contained HTML reports (no JavaScript, no CDN, no network).

Generic on purpose: nothing here knows about load tests. ``line_chart`` draws named series of
(x, y) points with optional reference lines; ``bar_chart`` draws labelled bars;
``histogram_chart`` draws counts over (optionally log-scaled) value bins. Every function returns
an ``<svg>`` string to paste into HTML.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")
_FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"'
_M_LEFT, _M_RIGHT, _M_TOP, _M_BOTTOM = 64, 16, 36, 46


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1-2-5 steps)."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    for _ in range(count * 3 + 2):
        if v > hi + step * 1e-9:
            break
        if v >= lo - step * 1e-9:
            ticks.append(round(v, 10))
        v += step
    return ticks


def _log_ticks(lo: float, hi: float) -> list[float]:
    lo_e, hi_e = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    return [10.0**e for e in range(lo_e, hi_e + 1)]


def fmt_num(v: float) -> str:
    """Short tick label: 1.5k, 2M, 0.25, 12."""
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:g}M"
    if a >= 1e3:
        return f"{v / 1e3:g}k"
    if a >= 1 or a == 0:
        return f"{v:g}"
    return f"{v:.3g}"


class _Frame:
    """Maps data to pixels and draws axes, grid and labels."""

    def __init__(
        self,
        width: int,
        height: int,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        log_x: bool = False,
        log_y: bool = False,
    ) -> None:
        self.w, self.h = width, height
        self.log_x, self.log_y = log_x, log_y
        self.x0, self.x1 = self._t(x_range[0], log_x), self._t(x_range[1], log_x)
        self.y0, self.y1 = self._t(y_range[0], log_y), self._t(y_range[1], log_y)
        if self.x1 <= self.x0:
            self.x1 = self.x0 + 1
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1

    @staticmethod
    def _t(v: float, log: bool) -> float:
        return math.log10(max(v, 1e-12)) if log else v

    def px(self, x: float) -> float:
        span = self.w - _M_LEFT - _M_RIGHT
        return _M_LEFT + (self._t(x, self.log_x) - self.x0) / (self.x1 - self.x0) * span

    def py(self, y: float) -> float:
        span = self.h - _M_TOP - _M_BOTTOM
        return self.h - _M_BOTTOM - (self._t(y, self.log_y) - self.y0) / (self.y1 - self.y0) * span

    def axes(
        self, title: str, x_label: str, y_label: str, x_ticks: Sequence[float], y_ticks: Sequence[float]
    ) -> list[str]:
        out = [
            f'<rect x="0" y="0" width="{self.w}" height="{self.h}" fill="#fff"/>',
            f'<text x="{_M_LEFT}" y="20" font-size="14" font-weight="600" {_FONT}>{escape(title)}</text>',
        ]
        bottom, right = self.h - _M_BOTTOM, self.w - _M_RIGHT
        for t in y_ticks:
            y = self.py(t)
            if _M_TOP - 1 <= y <= bottom + 1:
                out.append(f'<line x1="{_M_LEFT}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
                out.append(
                    f'<text x="{_M_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
                    f'fill="#374151" {_FONT}>{fmt_num(t)}</text>'
                )
        for t in x_ticks:
            x = self.px(t)
            if _M_LEFT - 1 <= x <= right + 1:
                out.append(
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="#6b7280"/>'
                )
                out.append(
                    f'<text x="{x:.1f}" y="{bottom + 17}" font-size="11" text-anchor="middle" '
                    f'fill="#374151" {_FONT}>{fmt_num(t)}</text>'
                )
        out.append(f'<line x1="{_M_LEFT}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#6b7280"/>')
        out.append(f'<line x1="{_M_LEFT}" x2="{_M_LEFT}" y1="{_M_TOP}" y2="{bottom}" stroke="#6b7280"/>')
        out.append(
            f'<text x="{(_M_LEFT + right) / 2:.1f}" y="{self.h - 8}" font-size="12" text-anchor="middle" '
            f'fill="#111827" {_FONT}>{escape(x_label)}</text>'
        )
        cy = (_M_TOP + bottom) / 2
        out.append(
            f'<text x="14" y="{cy:.1f}" font-size="12" text-anchor="middle" fill="#111827" '
            f'transform="rotate(-90 14 {cy:.1f})" {_FONT}>{escape(y_label)}</text>'
        )
        return out


def _svg(width: int, height: int, parts: list[str], title: str) -> str:
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}">\n{body}\n</svg>'
    )


def _legend(names: Sequence[str], colors: Sequence[str], width: int) -> list[str]:
    out, x = [], width - _M_RIGHT
    for name, color in reversed(list(zip(names, colors, strict=True))):
        x -= 14 + 7 * len(name) + 10
        out.append(f'<rect x="{x}" y="11" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14}" y="20" font-size="11" fill="#374151" {_FONT}>{escape(name)}</text>')
    return out


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    hlines: Sequence[tuple[float, str]] = (),
    vlines: Sequence[tuple[float, str]] = (),
    log_y: bool = False,
    width: int = 820,
    height: int = 300,
    y_min: float | None = None,
) -> str:
    """Named (x, y) series as lines (with dots when sparse); ``hlines``/``vlines`` are labelled references."""
    pts = [p for s in series.values() for p in s if math.isfinite(p[1])]
    xs = [p[0] for p in pts] + [v for v, _ in vlines]
    ys = [p[1] for p in pts] + [v for v, _ in hlines]
    if log_y:
        ys = [y for y in ys if y > 0]
    if not xs or not ys:
        return _svg(
            width,
            height,
            _Frame(width, height, (0, 1), (0, 1)).axes(title + " (no data)", x_label, y_label, [], []),
            title,
        )
    x_lo, x_hi = min(xs), max(xs)
    if log_y:
        y_lo, y_hi = min(ys), max(ys)
        y_ticks = _log_ticks(y_lo, y_hi)
        y_lo, y_hi = y_ticks[0], y_ticks[-1]
    else:
        y_lo = 0.0 if y_min is None else y_min
        y_hi = max(ys) * 1.08 if max(ys) > 0 else 1.0
        y_ticks = nice_ticks(y_lo, y_hi)
        y_hi = max(y_hi, y_ticks[-1])
    x_ticks = nice_ticks(x_lo, x_hi, 8)
    frame = _Frame(width, height, (x_lo, x_hi if x_hi > x_lo else x_lo + 1), (y_lo, y_hi), log_y=log_y)
    parts = frame.axes(title, x_label, y_label, x_ticks, y_ticks)
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
    for (_, s), color in zip(series.items(), colors, strict=True):
        good = [(x, y) for x, y in s if math.isfinite(y) and (y > 0 or not log_y)]
        if not good:
            continue
        path = " ".join(f"{frame.px(x):.1f},{frame.py(y):.1f}" for x, y in good)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.8" '
            'stroke-linejoin="round"/>'
        )
        if len(good) <= 60:
            parts.extend(
                f'<circle cx="{frame.px(x):.1f}" cy="{frame.py(y):.1f}" r="2.2" fill="{color}"/>'
                for x, y in good
            )
    for value, label in hlines:
        if log_y and value <= 0:
            continue
        y = frame.py(value)
        parts.append(
            f'<line x1="{_M_LEFT}" x2="{width - _M_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#991b1b" '
            'stroke-dasharray="5,4"/>'
        )
        parts.append(
            f'<text x="{width - _M_RIGHT - 4}" y="{y - 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#991b1b" {_FONT}>{escape(label)}</text>'
        )
    for value, label in vlines:
        x = frame.px(value)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_M_TOP}" y2="{height - _M_BOTTOM}" stroke="#6b7280" '
            'stroke-dasharray="3,3"/>'
        )
        parts.append(
            f'<text x="{x + 4:.1f}" y="{_M_TOP + 12}" font-size="11" fill="#374151" {_FONT}>'
            f"{escape(label)}</text>"
        )
    parts += _legend(list(series), colors, width)
    return _svg(width, height, parts, title)


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    color: str = PALETTE[0],
    width: int = 820,
    height: int = 300,
) -> str:
    """Labelled vertical bars (categories on x)."""
    frame_hi = max([v for _, v in bars] + [0.0]) * 1.1 or 1.0
    y_ticks = nice_ticks(0, frame_hi)
    frame = _Frame(width, height, (0, max(len(bars), 1)), (0, max(frame_hi, y_ticks[-1])))
    parts = frame.axes(title, x_label, y_label, [], y_ticks)
    slot = (width - _M_LEFT - _M_RIGHT) / max(len(bars), 1)
    for i, (label, value) in enumerate(bars):
        x = _M_LEFT + i * slot + slot * 0.15
        y = frame.py(value)
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{height - _M_BOTTOM - y:.1f}" fill="{color}"><title>{escape(label)}: '
            f"{fmt_num(value)}</title></rect>"
        )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{height - _M_BOTTOM + 15}" font-size="11" '
            f'text-anchor="middle" fill="#374151" {_FONT}>{escape(label)}</text>'
        )
    return _svg(width, height, parts, title)


def histogram_chart(
    bins: Sequence[tuple[float, float]],
    *,
    title: str,
    x_label: str,
    y_label: str = "count",
    log_x: bool = True,
    markers: Sequence[tuple[float, str]] = (),
    color: str = PALETTE[0],
    width: int = 820,
    height: int = 300,
    max_bars: int = 80,
) -> str:
    """Counts over value bins ``(value, count)``; values are regrouped into at most ``max_bars`` bars."""
    data = sorted((v, c) for v, c in bins if c > 0 and (v > 0 or not log_x))
    if not data:
        return _svg(
            width,
            height,
            _Frame(width, height, (0, 1), (0, 1)).axes(title + " (no data)", x_label, y_label, [], []),
            title,
        )
    lo, hi = data[0][0], data[-1][0]
    if hi <= lo:
        hi = lo * 1.5 if log_x else lo + 1
    t = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    edges_t = [t(lo) + (t(hi) - t(lo)) * i / max_bars for i in range(max_bars + 1)]
    counts = [0.0] * max_bars
    for v, c in data:
        i = min(int((t(v) - edges_t[0]) / (edges_t[-1] - edges_t[0]) * max_bars), max_bars - 1)
        counts[i] += c
    inv = (lambda u: 10**u) if log_x else (lambda u: u)
    y_hi = max(counts) * 1.1
    y_ticks = nice_ticks(0, y_hi)
    frame = _Frame(
        width, height, (inv(edges_t[0]), inv(edges_t[-1])), (0, max(y_hi, y_ticks[-1])), log_x=log_x
    )
    x_ticks = _log_ticks(inv(edges_t[0]), inv(edges_t[-1])) if log_x else nice_ticks(lo, hi, 8)
    parts = frame.axes(title, x_label, y_label, x_ticks, y_ticks)
    for i, c in enumerate(counts):
        if c <= 0:
            continue
        x0, x1 = frame.px(inv(edges_t[i])), frame.px(inv(edges_t[i + 1]))
        y = frame.py(c)
        parts.append(
            f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0 - 0.5, 0.8):.1f}" '
            f'height="{height - _M_BOTTOM - y:.1f}" fill="{color}"/>'
        )
    for value, label in markers:
        if value <= 0 and log_x:
            continue
        x = frame.px(value)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_M_TOP}" y2="{height - _M_BOTTOM}" stroke="#991b1b" '
            'stroke-dasharray="4,3"/>'
        )
        near_right = x > width - _M_RIGHT - 40
        anchor = 'text-anchor="end" ' if near_right else ""
        parts.append(
            f'<text x="{x - 3 if near_right else x + 3:.1f}" y="{_M_TOP + 10}" font-size="10" '
            f'{anchor}fill="#991b1b" {_FONT}>{escape(label)}</text>'
        )
    return _svg(width, height, parts, title)


def grouped_hbar_chart(
    rows: Sequence[tuple[str, Sequence[float]]],
    *,
    series: Sequence[str],
    title: str,
    x_label: str,
    x_max: float | None = None,
    vlines: Sequence[tuple[float, str]] = (),
    width: int = 820,
    bar_height: int = 9,
) -> str:
    """Horizontal bars, one group per labelled row and one bar per series (long labels stay readable).

    Values above ``x_max`` are drawn clipped at ``x_max`` with their true value printed beside the bar.
    """
    label_w = min(220, 12 + 7 * max((len(label) for label, _ in rows), default=4))
    group_h = bar_height * max(len(series), 1) + 8
    top, bottom = 40, 40
    height = top + bottom + group_h * max(len(rows), 1)
    values = [v for _, vs in rows for v in vs if math.isfinite(v)] + [v for v, _ in vlines]
    hi = x_max if x_max is not None else max([*values, 1.0]) * 1.05
    ticks = nice_ticks(0, hi, 6)
    left, right = label_w, width - 60
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(series))]

    def px(v: float) -> float:
        return left + min(max(v, 0.0), hi) / hi * (right - left)

    parts = [
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="8" y="20" font-size="14" font-weight="600" {_FONT}>{escape(title)}</text>',
    ]
    for t in ticks:
        if t <= hi:
            x = px(t)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - bottom}" stroke="#e5e7eb"/>'
            )
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 15}" font-size="11" text-anchor="middle" '
                f'fill="#374151" {_FONT}>{fmt_num(t)}</text>'
            )
    for i, (label, vs) in enumerate(rows):
        y0 = top + i * group_h + 4
        parts.append(
            f'<text x="{left - 6}" y="{y0 + group_h / 2:.1f}" font-size="11" text-anchor="end" '
            f'fill="#374151" {_FONT}>{escape(label)}</text>'
        )
        for j, v in enumerate(vs):
            y = y0 + j * bar_height
            w = px(v) - left if math.isfinite(v) else right - left
            text = fmt_num(v) if math.isfinite(v) else "∞"
            parts.append(
                f'<rect x="{left}" y="{y}" width="{max(w, 0.5):.1f}" height="{bar_height - 1}" '
                f'fill="{colors[j]}"><title>{escape(label)} {escape(series[j])}: {text}</title></rect>'
            )
            if not math.isfinite(v) or v > hi:
                parts.append(
                    f'<text x="{left + w + 4:.1f}" y="{y + bar_height - 1}" font-size="10" fill="#991b1b" '
                    f"{_FONT}>{text}</text>"
                )
    for value, label in vlines:
        x = px(value)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - bottom}" stroke="#991b1b" '
            'stroke-dasharray="5,4"/>'
        )
        parts.append(
            f'<text x="{x + 3:.1f}" y="{top - 4}" font-size="11" fill="#991b1b" {_FONT}>'
            f"{escape(label)}</text>"
        )
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}" stroke="#6b7280"/>')
    parts.append(
        f'<text x="{(left + right) / 2:.1f}" y="{height - 8}" font-size="12" text-anchor="middle" '
        f'fill="#111827" {_FONT}>{escape(x_label)}</text>'
    )
    parts += _legend(list(series), colors, width)
    return _svg(width, height, parts, title)
