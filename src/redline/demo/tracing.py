"""Tracing hooks of the reference system (none by default) and the OTLP/JSON encoding of spans.

:class:`Tracing` is what the services call; it does nothing. :mod:`redline.demo.otel` implements it with
the OpenTelemetry SDK (the ``otel`` extra), imported only when ``--trace-file`` asks for traces.

:func:`encode_spans` writes SDK spans in the OTLP/JSON encoding (an ``ExportTraceServiceRequest``):
``resourceSpans`` → ``scopeSpans`` → ``spans``; ``traceId``/``spanId`` in lowercase hex; enums as integers;
64-bit integers as decimal strings; attribute values typed (``stringValue``, ``intValue``, ...).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ["Tracing", "encode_spans"]

# OTLP's Span.SpanKind numbers (opentelemetry/proto/trace/v1/trace.proto)
_OTLP_KIND = {"INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5}
# OTLP's Status.StatusCode numbers
_OTLP_STATUS = {"UNSET": 0, "OK": 1, "ERROR": 2}


class Tracing:
    """No tracing: every hook does nothing (the demo's default)."""

    @contextmanager
    def server_span(self, service: str, traceparent: str | None) -> Iterator[None]:
        yield

    @contextmanager
    def client_span(self, caller: str, callee: str) -> Iterator[dict[str, str]]:
        yield {}

    def failed(self) -> None:
        """Mark the current span as failed."""

    def shutdown(self) -> None:
        """Flush and close."""


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list | tuple):
        return {"arrayValue": {"values": [_value(x) for x in v]}}
    return {"stringValue": str(v)}


def _attributes(attrs: Any) -> list[dict[str, Any]]:
    return [{"key": str(k), "value": _value(v)} for k, v in (attrs or {}).items()]


def _span(span: Any) -> dict[str, Any]:
    ctx = span.context
    parent = span.parent
    return {
        "traceId": f"{ctx.trace_id:032x}",
        "spanId": f"{ctx.span_id:016x}",
        "parentSpanId": f"{parent.span_id:016x}" if parent is not None else "",
        "name": span.name,
        "kind": _OTLP_KIND.get(span.kind.name, 0),
        "startTimeUnixNano": str(span.start_time),
        "endTimeUnixNano": str(span.end_time),
        "attributes": _attributes(span.attributes),
        "status": {
            "code": _OTLP_STATUS.get(span.status.status_code.name, 0),
            "message": span.status.description or "",
        },
    }


def encode_spans(spans: Sequence[Any]) -> dict[str, Any]:
    """An OTLP/JSON ``ExportTraceServiceRequest`` holding ``spans`` (SDK ``ReadableSpan`` objects)."""
    resources: dict[int, tuple[Any, dict[tuple[str, str], list[Any]]]] = {}
    for span in spans:
        _, scopes = resources.setdefault(id(span.resource), (span.resource, {}))
        scope = span.instrumentation_scope
        key = (scope.name, scope.version or "") if scope is not None else ("", "")
        scopes.setdefault(key, []).append(span)
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": _attributes(resource.attributes)},
                "scopeSpans": [
                    {"scope": {"name": name, "version": version}, "spans": [_span(s) for s in group]}
                    for (name, version), group in scopes.items()
                ],
            }
            for resource, scopes in resources.values()
        ]
    }
