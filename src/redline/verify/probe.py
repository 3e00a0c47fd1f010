"""The probe: requests sent one at a time before any load, for the latency at zero load and Server-Timing.

One client, one keep-alive connection, the next request only after the previous answer: nothing queues
behind anything else, so the latencies are the system's own path (service times and transport), which is
what the forecast predicts at zero load. Each response's ``Server-Timing`` header is read (W3C Server
Timing: ``name;dur=MS;desc=TEXT`` entries, comma-separated): redline reads ``desc=own`` (or no ``desc``) as
that component's own work, ``desc=response`` as its whole response, ``desc="call X"`` as one call to X as
the caller saw it. Bounded by ``count`` requests and ``seconds``.
"""

from __future__ import annotations

import http.client
import statistics
import time
from urllib.parse import urlsplit

from redline.verify.result import CallTiming, Probe, ServerTiming

__all__ = ["PROBE_REQUESTS", "PROBE_SECONDS", "ProbeError", "parse_server_timing", "probe"]

PROBE_REQUESTS = 200
PROBE_SECONDS = 10.0
_TIMEOUT = 5.0


class ProbeError(Exception):
    """The target did not answer the probe."""


def _split(header: str) -> list[str]:
    """Comma-separated entries, commas inside quoted strings kept."""
    parts: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def parse_server_timing(header: str) -> list[tuple[str, float, str]]:
    """``(name, dur_ms, desc)`` of every entry with a ``dur``; entries without one are skipped."""
    out = []
    for entry in _split(header):
        name, *params = (p.strip() for p in entry.split(";"))
        dur: float | None = None
        desc = ""
        for param in params:
            key, _, value = param.partition("=")
            value = value.strip().strip('"')
            if key.strip().lower() == "dur":
                try:
                    dur = float(value)
                except ValueError:
                    dur = None
            elif key.strip().lower() == "desc":
                desc = value
        if name and dur is not None:
            out.append((name, dur, desc))
    return out


class _Timings:
    def __init__(self) -> None:
        self.own: dict[str, list[float]] = {}
        self.response: dict[str, list[float]] = {}
        self.calls: dict[tuple[str, str], list[float]] = {}

    def add(self, header: str) -> None:
        for name, dur, desc in parse_server_timing(header):
            if desc in ("", "own"):
                self.own.setdefault(name, []).append(dur)
            elif desc == "response":
                self.response.setdefault(name, []).append(dur)
            elif desc.startswith("call "):
                self.calls.setdefault((name, desc[5:].strip()), []).append(dur)

    def summary(self, requests: int) -> dict[str, ServerTiming]:
        names = sorted(set(self.own) | set(self.response) | {c for c, _ in self.calls})
        out = {}
        for name in names:
            own, resp = self.own.get(name, []), self.response.get(name, [])
            out[name] = ServerTiming(
                visits_per_request=len(own or resp) / requests,
                own_ms=statistics.fmean(own) if own else None,
                response_ms=statistics.fmean(resp) if resp else None,
                calls={
                    callee: CallTiming(calls_per_request=len(v) / requests, mean_ms=statistics.fmean(v))
                    for (caller, callee), v in sorted(self.calls.items())
                    if caller == name
                },
            )
        return out


def probe(url: str, *, count: int = PROBE_REQUESTS, seconds: float = PROBE_SECONDS) -> Probe:
    """``count`` sequential GETs to ``url`` (at most ``seconds``); :class:`ProbeError` when none answers."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeError(f"{url}: expected an http:// or https:// URL")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=_TIMEOUT)
    latencies: list[float] = []
    timings = _Timings()
    errors = 0
    deadline = time.perf_counter() + seconds
    try:
        while len(latencies) + errors < count and time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException) as exc:
                errors += 1
                conn.close()
                if not latencies and errors >= 3:
                    raise ProbeError(f"{url}: {exc}") from None
                continue
            latencies.append((time.perf_counter() - start) * 1000)
            if resp.status >= 400:
                errors += 1
            for header in resp.headers.get_all("Server-Timing") or []:
                timings.add(header)
    finally:
        conn.close()
    if not latencies:
        raise ProbeError(f"{url}: no response within {seconds:g} s")
    return Probe(
        requests=len(latencies),
        errors=errors,
        latency_ms={
            "p50": round(statistics.median(latencies), 3),
            "mean": round(statistics.fmean(latencies), 3),
        },
        server_timing=timings.summary(len(latencies)),
    )
