"""k6-style pass/fail thresholds: ``p95<200ms``, ``p99<1s``, ``errors<0.1%``, ``rps>500``.

Grammar: ``METRIC OP VALUE`` with OP one of ``< <= > >=``.

* latency metrics (from intended send time): ``p50 p90 p95 p99 p999 (or p99.9) max``; the same
  prefixed ``service_`` (e.g. ``service_p95<50ms``) apply to service time; VALUE is a duration
  with its unit (``200ms``, ``1s``, ``250us``); a bare number other than 0 is refused as ambiguous;
* ``errors``: error rate, ``0.1%`` or a fraction ``0.001``;
* ``rps``: achieved requests per second over the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from redline.load.histogram import Histogram
from redline.model.units import parse_duration, parse_percent

_PCT = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9, "p99.9": 99.9, "max": 100.0}
_RE = re.compile(r"^\s*([a-z_][a-z0-9_.]*)\s*(<=|>=|<|>)\s*([0-9.]+)\s*([a-zµ%/]*)\s*$")


class ThresholdError(ValueError):
    """Bad threshold syntax: exit code 2."""


@dataclass(frozen=True)
class Threshold:
    text: str
    metric: str  # "latency" | "service" | "errors" | "rps"
    percentile: float  # for latency/service; 100 = max
    op: str
    value: float  # ms for latency/service, fraction for errors, req/s for rps

    @property
    def during_run(self) -> bool:
        """Whether the threshold may be evaluated before the end (rps needs the whole run)."""
        return self.metric != "rps"


def parse_threshold(text: str) -> Threshold:
    m = _RE.match(text.lower())
    if not m:
        raise ThresholdError(f"bad threshold {text!r}: expected e.g. 'p95<200ms', 'errors<0.1%', 'rps>500'")
    name, op, num, unit = m.groups()
    try:
        number = float(num)
    except ValueError:
        raise ThresholdError(f"bad threshold {text!r}: {num!r} is not a number") from None
    if name == "errors":
        # A bare number above 1 would be read as a percentage by parse_percent; here it is refused.
        if unit not in ("", "%") or (unit == "" and number > 1):
            raise ThresholdError(
                f"bad threshold {text!r}: errors take a percentage like 0.1% or a fraction from 0 to 1"
            )
        try:
            value = parse_percent(num + unit)
        except ValueError as exc:
            raise ThresholdError(f"bad threshold {text!r}: {exc}") from None
        return Threshold(text, "errors", 0.0, op, value)
    if name == "rps":
        if unit not in ("", "/s"):
            raise ThresholdError(f"bad threshold {text!r}: rps takes a plain number")
        return Threshold(text, "rps", 0.0, op, number)
    metric = "latency"
    if name.startswith("service_"):
        metric, name = "service", name[len("service_") :]
    if name not in _PCT:
        raise ThresholdError(
            f"bad threshold {text!r}: unknown metric {name!r} "
            "(use p50 p90 p95 p99 p999 max, service_pNN, errors, rps)"
        )
    try:
        seconds = parse_duration(num + unit, default_unit=None)
    except ValueError as exc:
        raise ThresholdError(f"bad threshold {text!r}: {exc}") from None
    return Threshold(text, metric, _PCT[name], op, seconds * 1000.0)


@dataclass(frozen=True)
class Observed:
    """What thresholds are evaluated against (whole run, or a window of it)."""

    latency: Histogram
    service: Histogram
    requests: int
    errors: int
    seconds: float


def observe(th: Threshold, obs: Observed) -> float | None:
    """The measured value of a threshold's metric; None when nothing was measured."""
    if th.metric == "errors":
        return obs.errors / obs.requests if obs.requests else None
    if th.metric == "rps":
        return obs.requests / obs.seconds if obs.seconds > 0 else None
    hist = obs.latency if th.metric == "latency" else obs.service
    if hist.total == 0:
        return None
    return hist.percentile(th.percentile) / 1000.0


def holds(th: Threshold, actual: float) -> bool:
    return {
        "<": actual < th.value,
        "<=": actual <= th.value,
        ">": actual > th.value,
        ">=": actual >= th.value,
    }[th.op]


def evaluate(thresholds: list[Threshold], obs: Observed) -> list[dict[str, object]]:
    """One stable record per threshold: text, metric, op, limit, actual, passed."""
    out: list[dict[str, object]] = []
    for th in thresholds:
        actual = observe(th, obs)
        unit = {"errors": "fraction", "rps": "req/s"}.get(th.metric, "ms")
        out.append(
            {
                "threshold": th.text,
                "metric": th.metric,
                "op": th.op,
                "limit": th.value,
                "unit": unit,
                "actual": None if actual is None else round(actual, 6),
                "passed": actual is not None and holds(th, actual),
            }
        )
    return out
