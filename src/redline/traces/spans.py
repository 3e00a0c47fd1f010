"""Spans as every trace format reduces to them, and the two readers: OTLP JSON and Jaeger JSON.

* **OTLP JSON** (the OpenTelemetry protocol's JSON encoding, as the Collector's file exporter and
  ``python -m redline.demo --trace-file`` write it): one ``{"resourceSpans": [...]}`` document, or one per
  line. ``resourceSpans[].resource.attributes`` holds ``service.name``; ``scopeSpans[].spans[]`` hold
  ``traceId``, ``spanId``, ``parentSpanId``, ``kind`` (2 server, 3 client, ...), ``startTimeUnixNano``,
  ``endTimeUnixNano`` (strings or numbers), ``status.code`` (2 is an error) and attributes.
* **Jaeger JSON** (its query API and UI export): ``{"data": [{"traceID", "spans": [...], "processes":
  {...}}]}``; a span has ``spanID``, ``references`` (``CHILD_OF`` names the parent), ``startTime`` and
  ``duration`` in microseconds, ``processID`` (whose ``serviceName`` is the service) and ``tags``
  (``span.kind``, ``error``, ``otel.status_code``, ``peer.service``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = ["Span", "SpanKind", "TraceFormat", "TraceReadError", "read_spans"]

MAX_BYTES = 512 * 1024 * 1024  # a trace file larger than this is refused, not read into memory
MAX_SPANS = 5_000_000


class TraceReadError(ValueError):
    """A trace file that cannot be read (its path and why)."""


class TraceFormat(StrEnum):
    OTLP = "otlp-json"
    JAEGER = "jaeger-json"


class SpanKind(StrEnum):
    INTERNAL = "internal"
    SERVER = "server"
    CLIENT = "client"
    PRODUCER = "producer"
    CONSUMER = "consumer"
    UNSPECIFIED = "unspecified"


_OTLP_KINDS = {
    0: SpanKind.UNSPECIFIED,
    1: SpanKind.INTERNAL,
    2: SpanKind.SERVER,
    3: SpanKind.CLIENT,
    4: SpanKind.PRODUCER,
    5: SpanKind.CONSUMER,
}
_OTLP_KIND_NAMES = {f"SPAN_KIND_{k.name}": k for k in SpanKind}


@dataclass(frozen=True)
class Span:
    """One span: times in nanoseconds since the epoch."""

    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    name: str
    kind: SpanKind
    start_ns: int
    end_ns: int
    error: bool
    peer: str | None  # the callee a client span names (peer.service), when it says

    @property
    def duration_ns(self) -> int:
        return max(self.end_ns - self.start_ns, 0)


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TraceReadError(f"{what}: expected an integer, got {value!r}") from None


def _otlp_attr(attrs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in attrs or []:
        if isinstance(a, dict) and "key" in a and isinstance(a.get("value"), dict):
            v = a["value"]
            out[str(a["key"])] = next(iter(v.values()), None) if v else None
    return out


def _otlp_kind(value: Any) -> SpanKind:
    if isinstance(value, str):
        return _OTLP_KIND_NAMES.get(value, SpanKind.UNSPECIFIED)
    return _OTLP_KINDS.get(value if isinstance(value, int) else 0, SpanKind.UNSPECIFIED)


def _otlp_error(status: Any) -> bool:
    code = status.get("code") if isinstance(status, dict) else None
    return code in (2, "STATUS_CODE_ERROR")


def _otlp_spans(doc: dict[str, Any], where: str) -> list[Span]:
    out: list[Span] = []
    for rs in doc.get("resourceSpans") or []:
        service = str(_otlp_attr((rs.get("resource") or {}).get("attributes")).get("service.name", "unknown"))
        for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
            for s in ss.get("spans") or []:
                attrs = _otlp_attr(s.get("attributes"))
                peer = attrs.get("peer.service")
                out.append(
                    Span(
                        trace_id=str(s.get("traceId", "")),
                        span_id=str(s.get("spanId", "")),
                        parent_id=str(s["parentSpanId"]) if s.get("parentSpanId") else None,
                        service=service,
                        name=str(s.get("name", "")),
                        kind=_otlp_kind(s.get("kind")),
                        start_ns=_int(s.get("startTimeUnixNano"), f"{where}: startTimeUnixNano"),
                        end_ns=_int(s.get("endTimeUnixNano"), f"{where}: endTimeUnixNano"),
                        error=_otlp_error(s.get("status")),
                        peer=str(peer) if peer else None,
                    )
                )
    return out


def _jaeger_tags(tags: Any) -> dict[str, Any]:
    return {str(t["key"]): t.get("value") for t in tags or [] if isinstance(t, dict) and "key" in t}


def _jaeger_spans(doc: dict[str, Any], where: str) -> list[Span]:
    out: list[Span] = []
    for trace in doc.get("data") or []:
        processes = trace.get("processes") or {}
        for s in trace.get("spans") or []:
            tags = _jaeger_tags(s.get("tags"))
            parent = next(
                (r.get("spanID") for r in s.get("references") or [] if r.get("refType") == "CHILD_OF"), None
            )
            process = processes.get(s.get("processID"), {})
            start_us = _int(s.get("startTime"), f"{where}: startTime")
            duration_us = _int(s.get("duration"), f"{where}: duration")
            kind = str(tags.get("span.kind", "")).lower()
            error = (
                tags.get("error") in (True, "true")
                or str(tags.get("otel.status_code", "")).upper() == "ERROR"
            )
            out.append(
                Span(
                    trace_id=str(s.get("traceID", trace.get("traceID", ""))),
                    span_id=str(s.get("spanID", "")),
                    parent_id=str(parent) if parent else None,
                    service=str(process.get("serviceName", "unknown")),
                    name=str(s.get("operationName", "")),
                    kind=SpanKind(kind) if kind in SpanKind._value2member_map_ else SpanKind.UNSPECIFIED,
                    start_ns=start_us * 1000,
                    end_ns=(start_us + duration_us) * 1000,
                    error=error,
                    peer=str(tags["peer.service"]) if tags.get("peer.service") else None,
                )
            )
    return out


def _documents(text: str, where: str) -> list[dict[str, Any]]:
    """One JSON document, or JSON Lines (one document per line)."""
    try:
        doc = json.loads(text)
        return [doc] if isinstance(doc, dict) else []
    except json.JSONDecodeError:
        pass
    docs = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TraceReadError(f"{where}:{n}: not JSON ({exc.msg})") from None
        if isinstance(doc, dict):
            docs.append(doc)
    return docs


def read_spans(path: Path) -> tuple[TraceFormat, list[Span]]:
    """Every span in ``path`` (OTLP JSON or Jaeger JSON, told apart by their top-level keys)."""
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise TraceReadError(f"{where}: {size:,} bytes is more than the {MAX_BYTES:,} read at most")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TraceReadError(f"{where}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TraceReadError(f"{where}: not UTF-8 text") from None
    docs = _documents(text, where)
    if docs and all("resourceSpans" in d for d in docs):
        spans = [s for d in docs for s in _otlp_spans(d, where)]
        fmt = TraceFormat.OTLP
    elif docs and all(isinstance(d.get("data"), list) for d in docs):
        spans = [s for d in docs for s in _jaeger_spans(d, where)]
        fmt = TraceFormat.JAEGER
    else:
        raise TraceReadError(
            f"{where}: neither OTLP JSON (resourceSpans) nor Jaeger JSON (data[].spans): export traces "
            "with an OTLP file exporter or Jaeger's query API"
        )
    if len(spans) > MAX_SPANS:
        raise TraceReadError(f"{where}: {len(spans):,} spans is more than the {MAX_SPANS:,} read at most")
    return fmt, spans
