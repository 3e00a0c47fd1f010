"""The bounds the forecast engine accepts, in one place, and the checks that enforce them.

Why bounds at all: every loop, array and grid in the engine has a length that comes from the input —
replicas and zones in the availability sums, call counts in the parallel fan-out, the doublings and
bisection steps of the load searches. A value far past anything real (``replicas: 2**63``,
``zones: 1000000000``) must end in a clear error naming the component, the field and the bound, not in an
``OverflowError`` or a run that never returns. The CLI and the redline.yaml reader check too; these checks
make :func:`redline.forecast.forecast` safe for a :class:`~redline.model.System` built in code.

The bounds are far above real deployments (Kubernetes documents 150,000 pods per cluster; clouds have a
handful of zones per region) and low enough that every sum and product stays finite in float64.
"""

from __future__ import annotations

import math

__all__ = [
    "MAX_CALL_COUNT",
    "MAX_GROWTH",
    "MAX_POOL_SIZE",
    "MAX_PRICE",
    "MAX_REPLICAS",
    "MAX_RETRIES",
    "MAX_RPS",
    "MAX_SCV",
    "MAX_SERVICE_TIME_S",
    "MAX_VISITS",
    "MAX_WORKERS",
    "MAX_ZONES",
    "check_fraction",
    "check_int",
    "check_positive",
]

MAX_REPLICAS = 1_000_000  # per component; also the most a sizing plan may propose
MAX_WORKERS = 1_000_000  # per replica
MAX_POOL_SIZE = 1_000_000  # connections per replica
MAX_ZONES = 1_000
MAX_CALL_COUNT = 10_000.0  # calls per request of the caller, on one edge
MAX_RETRIES = 1_000
MAX_VISITS = 1e9  # visits of one station per entry-point request, all paths multiplied out
MAX_RPS = 1e9  # total entry-point rps, current or target
MAX_GROWTH = 1e6  # target load / current load
MAX_SERVICE_TIME_S = 86_400.0  # one day per visit
MAX_SCV = 100.0  # squared coefficient of variation of a service time
MAX_PRICE = 1e6  # per replica-hour, any currency


def _fmt(bound: float) -> str:
    return f"{bound:,.0f}" if bound >= 1000 and float(bound).is_integer() else f"{bound:g}"


def check_int(value: object, lo: int, hi: int, what: str) -> str | None:
    """A problem when ``value`` is not an integer in ``[lo, hi]``; ``what`` is "file:line: comp: field"."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{what} must be a whole number in [{_fmt(lo)}, {_fmt(hi)}] (got {value!r})"
    if not lo <= value <= hi:
        return f"{what} must lie in [{_fmt(lo)}, {_fmt(hi)}] (got {value:,})"
    return None


def check_positive(value: float, hi: float, what: str, *, allow_zero: bool = False) -> str | None:
    """A problem when ``value`` is not a finite number in ``(0, hi]`` (``[0, hi]`` with ``allow_zero``)."""
    low_ok = value >= 0 if allow_zero else value > 0
    if isinstance(value, bool) or not math.isfinite(value) or not low_ok or value > hi:
        low = "[0" if allow_zero else "(0"
        return f"{what} must be a finite number in {low}, {_fmt(hi)}] (got {value!r})"
    return None


def check_fraction(value: float, what: str, *, closed_low: bool, closed_high: bool) -> str | None:
    """A problem when ``value`` is not in the interval from 0 to 1 with the stated closedness."""
    ok = math.isfinite(value) and (value >= 0 if closed_low else value > 0)
    ok = ok and (value <= 1 if closed_high else value < 1)
    if not ok:
        span = f"{'[' if closed_low else '('}0, 1{']' if closed_high else ')'}"
        return f"{what} must lie in {span} (got {value!r})"
    return None
