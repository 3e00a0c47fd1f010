"""OpenTelemetry SDK tracing of the reference system, exported to a file as OTLP JSON lines.

With ``--trace-file F`` every service gets its own ``TracerProvider`` (resource ``service.name``). A request
is one SERVER span, started when a worker takes it (as web frameworks do, so queueing for a worker is not
in the span), with one CLIENT span per call (attribute ``peer.service``), whose context travels to the
callee in a W3C ``traceparent`` header. A call that fails, and a request that answers an error, have
status ERROR.

:class:`OtlpJsonFileExporter` is a ``SpanExporter`` that appends each batch to ``F`` as one line of OTLP
JSON (an ``ExportTraceServiceRequest``, as the OpenTelemetry Collector's file exporter writes it).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from redline.demo.tracing import Tracing, encode_spans

__all__ = ["OtelTracing", "OtlpJsonFileExporter"]


class _Writer:
    """One file shared by every service's exporter: a line per batch, under a lock."""

    def __init__(self, path: Path) -> None:
        self.lock = threading.Lock()
        self.fh = path.open("a", encoding="utf-8")

    def write(self, line: str) -> None:
        with self.lock:
            if not self.fh.closed:
                self.fh.write(line + "\n")
                self.fh.flush()

    def close(self) -> None:
        with self.lock:
            self.fh.close()


class OtlpJsonFileExporter(SpanExporter):
    """A ``SpanExporter`` appending OTLP JSON lines to a shared file (closed by its owner, not here)."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self._writer.write(json.dumps(encode_spans(spans), separators=(",", ":")))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """The file is shared by every service: :class:`OtelTracing` closes it after the last flush."""

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class OtelTracing(Tracing):
    """OpenTelemetry SDK tracing of every service, exported to ``path`` as OTLP JSON lines."""

    def __init__(self, path: Path, services: Sequence[str]) -> None:

        self._writer = _Writer(path)
        self._providers = []
        self._tracers: dict[str, Any] = {}
        for name in services:
            provider = TracerProvider(resource=Resource.create({"service.name": name}))
            provider.add_span_processor(BatchSpanProcessor(OtlpJsonFileExporter(self._writer)))
            self._providers.append(provider)
            self._tracers[name] = provider.get_tracer("redline.demo")
        self._propagator = TraceContextTextMapPropagator()

    @contextmanager
    def server_span(self, service: str, traceparent: str | None) -> Iterator[None]:
        ctx = self._propagator.extract({"traceparent": traceparent}) if traceparent else None
        with self._tracers[service].start_as_current_span(
            "GET /", context=ctx, kind=SpanKind.SERVER, attributes={"http.request.method": "GET"}
        ):
            yield

    @contextmanager
    def client_span(self, caller: str, callee: str) -> Iterator[dict[str, str]]:

        with self._tracers[caller].start_as_current_span(
            f"GET {callee}", kind=SpanKind.CLIENT, attributes={"peer.service": callee}
        ):
            headers: dict[str, str] = {}
            self._propagator.inject(headers)
            yield headers

    def failed(self) -> None:

        trace.get_current_span().set_status(Status(StatusCode.ERROR))

    def shutdown(self) -> None:
        for provider in self._providers:
            provider.shutdown()  # flushes its batch processor
        self._writer.close()
