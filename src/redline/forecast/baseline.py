"""Forecast baselines: fail when an entry point gets worse than an earlier forecast by more than a limit.

A baseline is an earlier ``redline forecast --format json`` result. For every entry point both hold
(matched by name), two numbers are compared:

* **saturation load** (``saturation_rps``, the entry point's rps at which a station saturates; higher is
  better). Worse by ``(before - after) / before``. A baseline that never saturated and a forecast that
  does is a regression whatever the limit.
* **p95 at the target load** (``target_p95_ms``; lower is better). Worse by ``(after - before) /
  before``. A forecast saturated at the target (no p95: unbounded) where the baseline was not is a
  regression whatever the limit. When the two forecasts were made for different target loads, their p95s
  answer different questions: the check says so and is not counted as passed or failed.

An entry point of the baseline that the forecast no longer has is listed, never silently passed; when no
entry point is shared at all, :func:`compare` raises :class:`ForecastBaselineError`.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from redline.forecast.result import EntrypointForecast, Forecast

#: Largest baseline file read, in bytes: a bound on the memory one baseline may take.
MAX_BASELINE_BYTES = 200_000_000
#: Relative difference below which two target loads are the same load.
_SAME_TARGET = 1e-9


class ForecastBaselineError(ValueError):
    """A forecast baseline that cannot be used: unreadable, not JSON, not a forecast, or sharing nothing."""


class Metric(StrEnum):
    SATURATION_RPS = "saturation_rps"
    TARGET_P95_MS = "target_p95_ms"


class Verdict(StrEnum):
    OK = "ok"  # not worse than the limit allows (better, equal, or worse within it)
    REGRESSED = "regressed"
    NOT_COMPARABLE = "not-comparable"  # p95 at two different target loads


class Check(BaseModel):
    """One number of one entry point, before and after."""

    model_config = ConfigDict(extra="forbid")

    entrypoint: str
    metric: Metric
    before: float | None  # None: never saturates (saturation) / unbounded, saturated (p95)
    after: float | None
    worse_by: float | None = Field(description="fraction worse (negative: better); None when unbounded")
    limit: float  # the fraction of worsening accepted
    verdict: Verdict
    note: str


class Comparison(BaseModel):
    """A forecast against its baseline."""

    model_config = ConfigDict(extra="forbid")

    baseline: str  # the file compared with
    checks: list[Check] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)  # entry points of the baseline not forecast now
    added: list[str] = Field(default_factory=list)  # entry points forecast now, not in the baseline

    @property
    def regressed(self) -> bool:
        """True when any check regressed or an entry point of the baseline is gone."""
        return bool(self.missing) or any(c.verdict is Verdict.REGRESSED for c in self.checks)


def load_forecast(path: str | Path) -> Forecast:
    """Read an earlier ``redline forecast --format json`` result."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BASELINE_BYTES:
            raise ForecastBaselineError(f"{p}: larger than {MAX_BASELINE_BYTES:,} bytes; not a forecast")
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ForecastBaselineError(f"{p}: cannot read the baseline: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ForecastBaselineError(
            f"{p}: not JSON; a forecast baseline is `redline forecast --format json` output"
        ) from exc
    if not isinstance(doc, dict):
        raise ForecastBaselineError(f"{p}: not a forecast (expected a JSON object)")
    doc.pop("skipped", None)  # the report's own key, beside the Forecast's
    try:
        return Forecast.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "the document"
        raise ForecastBaselineError(
            f"{p}: not a forecast of this redline version ({where}: {err['msg']}); write a new one with "
            "`redline forecast PATH --format json -o FILE`"
        ) from exc


def compare(
    current: Forecast, baseline: Forecast, file: str, *, max_saturation: float, max_p95: float
) -> Comparison:
    """Compare ``current`` with ``baseline`` (read from ``file``): saturation load may drop by at most
    ``max_saturation``, p95 at the target load may grow by at most ``max_p95`` (fractions)."""
    now = {e.name: e for e in current.entrypoints}
    before = {e.name: e for e in baseline.entrypoints}
    shared = [name for name in before if name in now]
    if not shared:
        raise ForecastBaselineError(
            f"{file}: shares no entry point with this forecast (baseline: {', '.join(before) or 'none'}; "
            f"now: {', '.join(now) or 'none'}): nothing to compare"
        )
    checks: list[Check] = []
    for name in shared:
        checks.append(_saturation(before[name], now[name], max_saturation))
        checks.append(_p95(before[name], now[name], max_p95))
    return Comparison(
        baseline=file,
        checks=checks,
        missing=[n for n in before if n not in now],
        added=[n for n in now if n not in before],
    )


def _saturation(b: EntrypointForecast, a: EntrypointForecast, limit: float) -> Check:
    old, new = b.saturation_rps, a.saturation_rps
    if new is None:
        return _check(b.name, Metric.SATURATION_RPS, old, new, None, limit, Verdict.OK, "never saturates")
    if old is None:
        note = f"now saturates at {new:g} rps; the baseline never did"
        return _check(b.name, Metric.SATURATION_RPS, old, new, None, limit, Verdict.REGRESSED, note)
    worse = (old - new) / old if old > 0 else (0.0 if new >= old else math.inf)
    return _relative(b.name, Metric.SATURATION_RPS, old, new, worse, limit, "rps")


def _p95(b: EntrypointForecast, a: EntrypointForecast, limit: float) -> Check:
    old, new = b.target_p95_ms, a.target_p95_ms
    if abs(a.target_rps - b.target_rps) > _SAME_TARGET * max(abs(a.target_rps), abs(b.target_rps), 1.0):
        note = f"target loads differ ({b.target_rps:g} rps then, {a.target_rps:g} rps now): not compared"
        return _check(b.name, Metric.TARGET_P95_MS, old, new, None, limit, Verdict.NOT_COMPARABLE, note)
    if new is None:
        verdict = Verdict.OK if old is None else Verdict.REGRESSED
        note = "saturated at the target load" + (
            ", as in the baseline" if old is None else "; the baseline was not"
        )
        return _check(b.name, Metric.TARGET_P95_MS, old, new, None, limit, verdict, note)
    if old is None:
        note = f"{new:g} ms; the baseline was saturated at the target load"
        return _check(b.name, Metric.TARGET_P95_MS, old, new, None, limit, Verdict.OK, note)
    worse = (new - old) / old if old > 0 else (0.0 if new <= old else math.inf)
    return _relative(b.name, Metric.TARGET_P95_MS, old, new, worse, limit, "ms")


def _relative(
    name: str, metric: Metric, old: float, new: float, worse: float, limit: float, unit: str
) -> Check:
    verdict = Verdict.REGRESSED if worse > limit else Verdict.OK
    change = "worse" if worse > 0 else "better" if worse < 0 else "unchanged"
    amount = f" by {abs(worse):.1%}" if worse and math.isfinite(worse) else ""
    note = f"{old:g} → {new:g} {unit}: {change}{amount} (limit {limit:.1%})"
    shown = worse if math.isfinite(worse) else None
    return _check(name, metric, old, new, shown, limit, verdict, note)


def _check(
    name: str,
    metric: Metric,
    old: float | None,
    new: float | None,
    worse: float | None,
    limit: float,
    verdict: Verdict,
    note: str,
) -> Check:
    return Check(
        entrypoint=name,
        metric=metric,
        before=old,
        after=new,
        worse_by=worse,
        limit=limit,
        verdict=verdict,
        note=note,
    )


def lines(comparison: Comparison) -> list[str]:
    """The comparison as lines for a terminal or a log: one per check, then what is missing or new."""
    out = [f"baseline {comparison.baseline}:"]
    for c in comparison.checks:
        out.append(f"  {c.entrypoint} {c.metric.value}: {c.verdict.value}: {c.note}")
    out += [
        f"  {name}: in the baseline, not forecast now (counts as regressed)" for name in comparison.missing
    ]
    out += [f"  {name}: new, not in the baseline (not compared)" for name in comparison.added]
    return out
