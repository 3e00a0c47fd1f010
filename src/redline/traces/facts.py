"""Measured facts from spans: the call graph with calls per request, each service's own time, error rates.

A **visit** is a SERVER span (or a root span of any kind): one request a service served. Within a visit,
the service's **own time** is what its spans took minus what their children took, summed over the
visit's spans of that service other than CLIENT spans; children's intervals are merged before they are
subtracted, so parallel calls are not subtracted twice. A CLIENT span's own time (its duration minus the
callee's SERVER span under it) is the call's **overhead**: connection-pool wait, transport, and the callee's
queueing before its span starts. **Calls per request** of A → B are A's CLIENT spans to B (the callee's
SERVER span under them, or their ``peer.service``) divided by A's visits. A service's **error rate** is
the share of its visits whose span has an error status.

Every fact carries the trace file as its source.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from redline.model.source import Source
from redline.traces.result import CallFacts, ServiceFacts, TraceFacts
from redline.traces.spans import Span, SpanKind, read_spans

__all__ = ["facts_from_spans", "read_traces"]


def _union_ns(intervals: list[tuple[int, int]], lo: int, hi: int) -> int:
    """Length of the union of ``intervals`` clipped to ``[lo, hi]``."""
    total, end = 0, lo
    for a, b in sorted((max(a, lo), min(b, hi)) for a, b in intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


class _Index:
    def __init__(self, spans: list[Span]) -> None:
        self.by_id = {(s.trace_id, s.span_id): s for s in spans}
        self.children: dict[tuple[str, str], list[Span]] = defaultdict(list)
        for s in spans:
            if s.parent_id and (s.trace_id, s.parent_id) in self.by_id:
                self.children[(s.trace_id, s.parent_id)].append(s)

    def kids(self, s: Span) -> list[Span]:
        return self.children.get((s.trace_id, s.span_id), [])

    def is_root(self, s: Span) -> bool:
        return not s.parent_id or (s.trace_id, s.parent_id) not in self.by_id

    def own_ns(self, s: Span) -> int:
        return s.duration_ns - _union_ns([(c.start_ns, c.end_ns) for c in self.kids(s)], s.start_ns, s.end_ns)

    def callee(self, client: Span) -> tuple[str | None, Span | None]:
        """The service a CLIENT span called, and that service's span under it."""
        for c in self.kids(client):
            if c.service != client.service:
                return c.service, c
        return client.peer, None


def _visit_spans(index: _Index, root: Span) -> list[Span]:
    """The spans of ``root``'s service within its visit (stopping at other services' spans)."""
    out, stack = [], [root]
    while stack:
        s = stack.pop()
        out.append(s)
        stack.extend(c for c in index.kids(s) if c.service == root.service)
    return out


def facts_from_spans(spans: list[Span], source: Source) -> TraceFacts:
    """What ``spans`` say about the system they were recorded in."""
    index = _Index(spans)
    visits = [s for s in spans if s.kind == SpanKind.SERVER or index.is_root(s)]
    own: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    calls: dict[tuple[str, str], int] = defaultdict(int)
    overhead: dict[tuple[str, str], list[float]] = defaultdict(list)
    entries: dict[str, int] = defaultdict(int)
    for v in visits:
        if index.is_root(v):
            entries[v.service] += 1
        mine = _visit_spans(index, v)
        own[v.service].append(sum(index.own_ns(s) for s in mine if s.kind != SpanKind.CLIENT) / 1e6)
        errors[v.service] += v.error
        for client in (s for s in mine if s.kind == SpanKind.CLIENT):
            callee, served = index.callee(client)
            if callee is None:
                continue
            calls[(v.service, callee)] += 1
            if served is not None:
                overhead[(v.service, callee)].append((client.duration_ns - served.duration_ns) / 1e6)
    services = {
        name: ServiceFacts(
            name=name,
            visits=len(times),
            own_ms=round(statistics.fmean(times), 4),
            own_p50_ms=round(statistics.median(times), 4),
            error_rate=round(errors[name] / len(times), 6),
            entry_requests=entries.get(name, 0),
            source=source,
        )
        for name, times in sorted(own.items())
    }
    call_facts = [
        CallFacts(
            **{"from": a, "to": b},
            calls=n,
            per_request=round(n / services[a].visits, 6),
            overhead_ms=round(statistics.fmean(overhead[(a, b)]), 4) if overhead.get((a, b)) else None,
            source=source,
        )
        for (a, b), n in sorted(calls.items())
    ]
    traces = len({s.trace_id for s in spans})
    return TraceFacts(source=source, spans=len(spans), traces=traces, services=services, calls=call_facts)


def read_traces(path: Path) -> TraceFacts:
    """Read an OTLP JSON or Jaeger JSON export into measured facts (raises ``TraceReadError``)."""
    fmt, spans = read_spans(path)
    facts = facts_from_spans(spans, Source(file=str(path)))
    return facts.model_copy(update={"format": fmt})
