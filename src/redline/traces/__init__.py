"""Traces → model: OpenTelemetry (OTLP JSON) and Jaeger JSON exports read into measured facts.

Public API::

    from redline.traces import read_traces, apply_facts
    facts = read_traces(Path("traces.json"))          # -> TraceFacts: call graph, own times, error rates
    system, notes = apply_facts(system, facts)         # a copy with measured service times and call counts

Every fact carries the trace file as its source. ``redline calibrate PATH --from traces.json`` writes them
into redline.yaml; :func:`apply_facts` hands them to ``forecast()`` directly.
"""

from __future__ import annotations

from redline.traces.apply import apply_facts
from redline.traces.facts import facts_from_spans, read_traces
from redline.traces.result import CallFacts, ServiceFacts, TraceFacts
from redline.traces.spans import Span, SpanKind, TraceFormat, TraceReadError, read_spans

__all__ = [
    "CallFacts",
    "ServiceFacts",
    "Span",
    "SpanKind",
    "TraceFacts",
    "TraceFormat",
    "TraceReadError",
    "apply_facts",
    "facts_from_spans",
    "read_spans",
    "read_traces",
]
