"""One service of the reference system: plain HTTP/1.1 on asyncio, a FIFO worker pool, calls, counters.

A request (any path but ``/stats`` and ``/health``) waits for a worker (FIFO), does its own work
(``asyncio.sleep`` of a draw from the stated law: that is "capacity known by construction"), makes its
calls (parallel ones together, the rest in order, each through its bounded connection pool) and answers
``200 ok``. A held worker is released after the calls, an async one after the own work.

Every response carries ``Server-Timing`` entries (milliseconds) for this service and, forwarded, for every
service it called::

    front;dur=8.112;desc=own          the worker's own work
    front;dur=9.020;desc=response     from the request read to the response ready (waits included)
    front;dur=5.210;desc="call back"  one call as the caller saw it (pool wait and transport included)

``GET /stats`` answers the counters since start as JSON (:meth:`ServiceRuntime.stats`); the difference of
two snapshots gives exact means and utilizations over the time between them.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import deque
from typing import Any

from httptools import HttpParserError, HttpRequestParser

from redline.demo.client import CallError, Downstream
from redline.demo.slots import FifoSlots
from redline.demo.systems import Call, Service
from redline.demo.tracing import Tracing

__all__ = ["HttpProtocol", "ServiceRuntime"]

_now = time.perf_counter


def _response(status: int, body: bytes, headers: list[tuple[str, str]], content_type: str) -> bytes:
    reason = {200: "OK", 404: "Not Found", 502: "Bad Gateway"}.get(status, "Error")
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class _CallStats:
    __slots__ = ("call_s", "calls", "errors", "pool_wait_s")

    def __init__(self) -> None:
        self.calls = 0
        self.errors = 0
        self.call_s = 0.0
        self.pool_wait_s = 0.0


class ServiceRuntime:
    """A running service: its workers, its connection pools, its counters."""

    def __init__(self, spec: Service, seed: int | None, tracing: Tracing) -> None:
        self.spec = spec
        self.workers = FifoSlots(spec.workers)
        self.rng = random.Random(seed)
        self.tracing = tracing
        self.started = _now()
        self.downstream: dict[str, Downstream] = {}
        self.requests = 0
        self.errors = 0
        self.wait_s = 0.0
        self.own_s = 0.0
        self.hold_s = 0.0
        self.response_s = 0.0
        self.calls = {c.to: _CallStats() for c in spec.calls}

    def connect(self, ports: dict[str, int], host: str = "127.0.0.1") -> None:
        """Open (lazily) the pools towards the callees, now that their ports are known."""
        sizes = {p.to: p.size for p in self.spec.pools}
        for call in self.spec.calls:
            self.downstream[call.to] = Downstream(call.to, host, ports[call.to], sizes.get(call.to, 256))

    def draw(self) -> float:
        """One own-work time from the stated law (mean ``service_time_s``, SCV ``scv``)."""
        mean, scv = self.spec.service_time_s, self.spec.scv
        if scv <= 0:
            return mean
        if scv == 1:
            return self.rng.expovariate(1.0 / mean)
        return self.rng.gammavariate(1.0 / scv, mean * scv)

    async def handle(self, received: float, traceparent: str | None) -> tuple[int, list[str]]:
        """Serve one request; returns its status and its Server-Timing entries."""
        await self.workers.acquire()
        start = _now()
        timing: list[str] = []
        status = 200
        own = 0.0
        released = False
        try:
            with self.tracing.server_span(self.spec.name, traceparent):
                await asyncio.sleep(self.draw())
                own = _now() - start
                if not self.spec.held:
                    self.workers.release()
                    released = True
                    self.hold_s += own
                status = await self._calls(timing)
                if status != 200:
                    self.tracing.failed()
        finally:
            if not released:
                self.workers.release()
                self.hold_s += _now() - start
        done = _now()
        self.requests += 1
        self.errors += status != 200
        self.wait_s += start - received
        self.own_s += own
        self.response_s += done - received
        name = self.spec.name
        mine = [
            f"{name};dur={own * 1000:.3f};desc=own",
            f"{name};dur={(done - received) * 1000:.3f};desc=response",
        ]
        return status, mine + timing

    async def _calls(self, timing: list[str]) -> int:
        parallel = [c for c in self.spec.calls if c.parallel]
        ok = True
        for call in self.spec.calls:
            if not call.parallel:
                for _ in range(call.count):
                    ok &= await self._call(call, timing)
        if parallel:
            results = await asyncio.gather(*(self._call(c, timing) for c in parallel for _ in range(c.count)))
            ok &= all(results)
        return 200 if ok else 502

    async def _call(self, call: Call, timing: list[str]) -> bool:
        stats = self.calls[call.to]
        start = _now()
        with self.tracing.client_span(self.spec.name, call.to) as headers:
            try:
                reply, waited = await self.downstream[call.to].call("/", headers)
            except CallError:
                stats.errors += 1
                self.tracing.failed()
                return False
        took = _now() - start
        stats.calls += 1
        stats.call_s += took
        stats.pool_wait_s += waited
        timing.append(f'{self.spec.name};dur={took * 1000:.3f};desc="call {call.to}"')
        timing.extend(reply.server_timing)
        return reply.status == 200

    def stats(self) -> dict[str, Any]:
        """Counters since start; sums are seconds, ``busy_s``/``queue_s`` are time integrals."""
        spec = self.spec
        return {
            "service": spec.name,
            "workers": spec.workers,
            "held": spec.held,
            "service_time_s": spec.service_time_s,
            "service_time_scv": spec.scv,
            "uptime_s": _now() - self.started,
            "requests": self.requests,
            "errors": self.errors,
            "in_service": self.workers.used,
            "queued": self.workers.waiting,
            "wait_s": self.wait_s,
            "own_s": self.own_s,
            "hold_s": self.hold_s,
            "response_s": self.response_s,
            "busy_s": self.workers.busy.area(),
            "queue_s": self.workers.queue.area(),
            "calls": {
                to: {
                    "calls": s.calls,
                    "errors": s.errors,
                    "call_s": s.call_s,
                    "pool_wait_s": s.pool_wait_s,
                    "pool_size": self.downstream[to].slots.size if to in self.downstream else None,
                    "pool_busy_s": self.downstream[to].slots.busy.area() if to in self.downstream else 0.0,
                }
                for to, s in self.calls.items()
            },
        }

    def close(self) -> None:
        for d in self.downstream.values():
            d.close()


class HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive; requests on one connection are answered in order."""

    def __init__(self, service: ServiceRuntime) -> None:
        self.service = service
        self.parser = HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.traceparent: str | None = None
        self.pending: deque[tuple[bytes, str | None, float]] = deque()
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"traceparent":
            self.traceparent = value.decode("latin-1")

    def on_message_complete(self) -> None:
        self.pending.append((self.url, self.traceparent, _now()))
        self.url, self.traceparent = b"", None
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._serve())

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    async def _serve(self) -> None:
        while self.pending:
            url, traceparent, received = self.pending.popleft()
            path = url.split(b"?", 1)[0]
            if path == b"/stats":
                body = json.dumps(self.service.stats()).encode()
                raw = _response(200, body, [], "application/json")
            elif path == b"/health":
                raw = _response(200, b"ok\n", [], "text/plain")
            else:
                status, timing = await self.service.handle(received, traceparent)
                raw = _response(status, b"ok\n", [("Server-Timing", ", ".join(timing))], "text/plain")
            if self.transport is None or self.transport.is_closing():
                return
            self.transport.write(raw)
