"""A system's own counters: ``/stats`` snapshots, and their differences over a measured run.

A stats endpoint answers cumulative counters as JSON (the reference system's shape, see
:mod:`redline.demo.server`): ``requests``, sums of seconds (``own_s`` worker time spent on the service's own
work, ``wait_s`` waiting for a worker, ``hold_s`` worker held, ``response_s`` from request read to response
ready), time integrals (``busy_s`` workers in use, ``queue_s`` requests waiting), ``workers``, and per callee
``calls``, ``call_s`` (as the caller saw each call), ``pool_wait_s``, ``pool_busy_s``, ``pool_size``.

The difference of two snapshots is exact over the time between them, whatever happened before: that is
what verify keeps per run (from the end of the warm-up to the end of the run) and what calibrate fits.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from redline.verify.result import CallCounters, Counters

__all__ = ["STATS_TIMEOUT", "StatsError", "difference", "snapshot"]

STATS_TIMEOUT = 2.0  # seconds per stats request


class StatsError(Exception):
    """A stats endpoint that did not answer usable counters."""


def snapshot(urls: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every component's counters now (``component -> document``); :class:`StatsError` when one fails."""
    out: dict[str, dict[str, Any]] = {}
    for name, url in urls.items():
        try:
            with urllib.request.urlopen(url, timeout=STATS_TIMEOUT) as resp:
                doc = json.loads(resp.read())
        except (OSError, urllib.error.URLError, ValueError) as exc:
            raise StatsError(f"--stats {name}={url}: {exc}") from None
        if not isinstance(doc, dict) or "requests" not in doc or "uptime_s" not in doc:
            raise StatsError(f"--stats {name}={url}: not a stats document (no 'requests' and 'uptime_s')")
        out[name] = doc
    return out


def _num(doc: dict[str, Any], key: str) -> float:
    value = doc.get(key, 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


def difference(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> dict[str, Counters]:
    """Per component, what its counters grew by between two snapshots."""
    out: dict[str, Counters] = {}
    for name, a in after.items():
        b = before.get(name)
        if b is None:
            continue
        calls: dict[str, CallCounters] = {}
        for callee, ca in (a.get("calls") or {}).items():
            cb = (b.get("calls") or {}).get(callee, {})
            calls[callee] = CallCounters(
                calls=int(_num(ca, "calls") - _num(cb, "calls")),
                call_s=_num(ca, "call_s") - _num(cb, "call_s"),
                pool_wait_s=_num(ca, "pool_wait_s") - _num(cb, "pool_wait_s"),
                pool_busy_s=_num(ca, "pool_busy_s") - _num(cb, "pool_busy_s"),
                pool_size=int(ca["pool_size"]) if isinstance(ca.get("pool_size"), int) else None,
            )
        out[name] = Counters(
            seconds=_num(a, "uptime_s") - _num(b, "uptime_s"),
            workers=int(_num(a, "workers")) or None,
            requests=int(_num(a, "requests") - _num(b, "requests")),
            own_s=_num(a, "own_s") - _num(b, "own_s"),
            wait_s=_num(a, "wait_s") - _num(b, "wait_s"),
            hold_s=_num(a, "hold_s") - _num(b, "hold_s"),
            response_s=_num(a, "response_s") - _num(b, "response_s"),
            busy_s=_num(a, "busy_s") - _num(b, "busy_s"),
            queue_s=_num(a, "queue_s") - _num(b, "queue_s"),
            calls=calls,
        )
    return out
