"""The per-process load engine: a callback-only asyncio HTTP/1.1 client.

Why callbacks and no coroutines per request: a coroutine + future per request costs several
microseconds of Python; the whole budget to match wrk is ~15 µs per request. Here a request is one
``transport.write`` of pre-rendered bytes, and a response is parsed inside ``data_received`` by a
minimal hand-rolled parser (status line, Content-Length, chunked, ``Connection: close``), which
measured faster than httptools for small responses because it never builds a header dict.

Timing (all on ``time.perf_counter``, CLOCK_MONOTONIC, shared by all processes):

* ``intended`` - when the schedule said the request should start (open model), or when the user
  decided to send it (closed model);
* ``dispatched`` - when this engine got round to it; ``dispatched - intended`` is *schedule lag*,
  the generator's own lateness (a generator that cannot keep up says so here);
* ``sent`` - when the bytes were written (after waiting for a free connection);
* latency = done - intended (what a user sees), service time = done - sent (what the server took).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from redline.load.http import Prepared

_now = time.perf_counter

# Error classes reported everywhere (stable keys).
CONNECT_REFUSED = "connect_refused"
CONNECT_ERROR = "connect_error"
TIMEOUT = "timeout"
RESET = "reset"
HTTP_4XX = "http_4xx"
HTTP_5XX = "http_5xx"
UNEXPECTED = "unexpected_status"
PROTOCOL = "protocol_error"
ERROR_CLASSES = (CONNECT_REFUSED, CONNECT_ERROR, TIMEOUT, RESET, HTTP_4XX, HTTP_5XX, UNEXPECTED, PROTOCOL)


@dataclass
class Tally:
    """What happened during one flush interval (about a second)."""

    lat: list[float] = field(default_factory=list)
    svc: list[float] = field(default_factory=list)
    lag: list[float] = field(default_factory=list)
    status: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    done: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.done += 1


@dataclass
class EngineConfig:
    host: str
    port: int
    tls: bool
    server_hostname: str
    insecure: bool
    requests: list[Prepared]
    mix: list[int]  # request indices, repeated by weight; picked round-robin
    max_connections: int
    timeout: float
    connect_timeout: float
    max_requests: int
    closed: bool
    think: float
    end_after: float  # closed model: stop dispatching after this many seconds


_HEAD, _BODY, _CHUNKED, _UNTIL_CLOSE = 0, 1, 2, 3


class Conn(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight (no pipelining, like wrk)."""

    __slots__ = (
        "buf",
        "close_after",
        "eng",
        "expect_head",
        "intended",
        "need",
        "req",
        "sent",
        "state",
        "status",
        "transport",
    )

    def __init__(self, eng: Engine) -> None:
        self.eng = eng
        self.transport: Any = None
        self.buf = bytearray()
        self.req = -1  # index of the request in flight, -1 when idle
        self.intended = 0.0
        self.sent = 0.0
        self.state = _HEAD
        self.need = 0
        self.status = 0
        self.close_after = False
        self.expect_head = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def send(self, req: int, intended: float) -> None:
        self.req = req
        self.intended = intended
        p = self.eng.requests[req]
        self.expect_head = p.head
        self.state = _HEAD
        self.sent = _now()
        self.transport.write(p.raw)

    def data_received(self, data: bytes) -> None:
        if self.req < 0:
            self.eng.protocol_error(self)  # bytes nobody asked for: do not trust this connection
            return
        if self.state == _BODY:
            self.need -= len(data)
            if self.need <= 0:
                self._finish()
            return
        if self.buf:
            self.buf += data
            data = bytes(self.buf)
            self.buf.clear()
        if self.state == _HEAD:
            self._head(data)
        elif self.state == _CHUNKED:
            self._chunks(data)
        # _UNTIL_CLOSE: discard; completes on EOF

    def _head(self, data: bytes) -> None:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            if len(data) > 65536:
                self.eng.protocol_error(self)
            else:
                self.buf += data
            return
        try:
            status = int(data[9:12])
        except ValueError:
            self.eng.protocol_error(self)
            return
        if 100 <= status < 200:  # interim response: skip it and parse what follows
            rest = data[end + 4 :]
            if rest:
                self._head(rest)
            return
        self.status = status
        lower = data[:end].lower()
        self.close_after = b"\r\nconnection: close" in lower or data.startswith(b"HTTP/1.0")
        body = len(data) - end - 4
        if self.expect_head or status == 204 or status == 304:
            self._finish()
            return
        i = lower.find(b"\r\ncontent-length:")
        if i >= 0:
            j = lower.find(b"\r\n", i + 17)
            try:
                length = int(lower[i + 17 : j if j >= 0 else end])
            except ValueError:
                self.eng.protocol_error(self)
                return
            if body >= length:
                self._finish()
            else:
                self.need = length - body
                self.state = _BODY
            return
        if b"\r\ntransfer-encoding:" in lower and b"chunked" in lower:
            self.state = _CHUNKED
            self._chunks(data[end + 4 :])
            return
        self.state = _UNTIL_CLOSE
        self.close_after = True

    def _chunks(self, data: bytes) -> None:
        """Walk chunk framing; keep only an incomplete tail in ``buf``."""
        pos = 0
        n = len(data)
        while True:
            if self.need > 0:  # inside a chunk's data (+ its CRLF)
                take = min(self.need, n - pos)
                self.need -= take
                pos += take
                if self.need > 0:
                    return
            eol = data.find(b"\r\n", pos)
            if eol < 0:
                self.buf += data[pos:]
                return
            try:
                size = int(data[pos:eol].split(b";", 1)[0], 16)
            except ValueError:
                self.eng.protocol_error(self)
                return
            if size == 0:
                rest = data[eol + 2 :]
                if rest.startswith(b"\r\n") or rest.find(b"\r\n\r\n") >= 0:
                    self._finish()
                else:
                    self.buf += data[pos:]  # wait for the trailers' end, re-parse from the 0 line
                return
            self.need = size + 2
            pos = eol + 2

    def _finish(self) -> None:
        req = self.req
        self.req = -1
        self.state = _HEAD
        self.need = 0
        self.buf.clear()
        self.eng.on_response(self, req, self.status)

    def eof_received(self) -> bool | None:
        if self.req >= 0 and self.state == _UNTIL_CLOSE:
            self._finish()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.eng.on_lost(self, exc)


def _connect_error_kind(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return CONNECT_REFUSED
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return TIMEOUT
    if isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED:
        return CONNECT_REFUSED
    return CONNECT_ERROR


class Engine:
    """Schedules, sends and records. One per worker process, single-threaded."""

    def __init__(self, cfg: EngineConfig, arrivals: Iterator[float] | None) -> None:
        self.cfg = cfg
        self.requests = cfg.requests
        self._mix = cfg.mix
        self._mix_i = 0
        self.arrivals = arrivals
        self.tally = Tally()
        self.idle: list[Conn] = []
        self.conns: set[Conn] = set()
        self.connecting = 0
        self.pending: deque[tuple[float, int]] = deque()  # (intended, request index)
        self.dispatched = 0
        self.stopping = False
        self.unfinished = 0
        self.t0 = 0.0
        self._next_t = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ssl: ssl.SSLContext | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._idle_event: asyncio.Event | None = None
        self.max_conns_seen = 0

    # ---- scheduling -------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop, t0: float) -> None:
        self._loop = loop
        self.t0 = t0
        self._idle_event = asyncio.Event()
        if self.cfg.tls:
            self._ssl = ssl.create_default_context()
            if self.cfg.insecure:
                self._ssl.check_hostname = False
                self._ssl.verify_mode = ssl.CERT_NONE
        if self.cfg.closed:
            users = self.cfg.max_connections
            for _ in range(users):
                self._closed_next()
        else:
            self._advance()
            self._tick()

    def _advance(self) -> None:
        assert self.arrivals is not None
        try:
            self._next_t = self.t0 + next(self.arrivals)
        except StopIteration:
            self._next_t = -1.0

    def _tick(self) -> None:
        """Dispatch every arrival whose intended time has come, then sleep until the next one."""
        self._timer = None
        if self.stopping:
            return
        now = _now()
        limit = self.cfg.max_requests
        while 0 <= self._next_t <= now:
            if self.dispatched >= limit:
                self._next_t = -1.0
                break
            self.dispatch(self._next_t, now)
            self._advance()
        if self._next_t < 0:
            self.stop()
            return
        assert self._loop is not None
        self._timer = self._loop.call_later(max(self._next_t - _now(), 0.0), self._tick)

    def _closed_next(self, delay: float = 0.0) -> None:
        """Closed model: a user decides to send its next request (after thinking, if configured)."""
        if self.stopping:
            return
        if delay > 0:
            assert self._loop is not None
            self._loop.call_later(delay, self._closed_fire)
        else:
            self._closed_fire()

    def _closed_fire(self) -> None:
        if self.stopping:
            return
        now = _now()
        if self.dispatched >= self.cfg.max_requests or now - self.t0 >= self.cfg.end_after:
            self.stop()
            return
        self.dispatch(now, now)

    def dispatch(self, intended: float, now: float) -> None:
        self.dispatched += 1
        t = self.tally
        t.sent += 1
        t.lag.append(now - intended)
        mix = self._mix
        req = mix[self._mix_i]
        self._mix_i = (self._mix_i + 1) % len(mix)
        if self.idle:
            self.idle.pop().send(req, intended)
            return
        self.pending.append((intended, req))
        self._maybe_connect()

    def _maybe_connect(self) -> None:
        while (
            len(self.pending) > self.connecting
            and len(self.conns) + self.connecting < self.cfg.max_connections
        ):
            self.connecting += 1
            assert self._loop is not None
            self._loop.create_task(self._connect())

    async def _connect(self) -> None:
        assert self._loop is not None
        cfg = self.cfg
        try:
            _, conn = await asyncio.wait_for(
                self._loop.create_connection(
                    lambda: Conn(self),
                    cfg.host,
                    cfg.port,
                    ssl=self._ssl,
                    server_hostname=cfg.server_hostname if self._ssl else None,
                ),
                cfg.connect_timeout,
            )
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            self.connecting -= 1
            if self.pending:
                self.pending.popleft()
                self._request_failed(_connect_error_kind(exc), backoff=True)
            self._maybe_connect()
            return
        self.connecting -= 1
        if conn.transport is None or conn.transport.is_closing():
            self._maybe_connect()  # closed before we could use it; connection_lost has run
            return
        self.conns.add(conn)
        self.max_conns_seen = max(self.max_conns_seen, len(self.conns))
        self._release(conn)

    def _release(self, conn: Conn) -> None:
        """A connection is free: give it the oldest waiting request, or park it."""
        if self.pending:
            intended, req = self.pending.popleft()
            conn.send(req, intended)
        else:
            self.idle.append(conn)
            self._check_idle()

    # ---- outcomes ---------------------------------------------------------------------------
    def on_response(self, conn: Conn, req: int, status: int) -> None:
        now = _now()
        t = self.tally
        t.lat.append(now - conn.intended)
        t.svc.append(now - conn.sent)
        t.status[status] = t.status.get(status, 0) + 1
        expect = self.requests[req].expect
        if (status not in expect) if expect is not None else status >= 400:
            t.error(HTTP_5XX if status >= 500 else HTTP_4XX if status >= 400 else UNEXPECTED)
        else:
            t.done += 1
        if conn.close_after:
            self._drop(conn)
            self._maybe_connect()
        else:
            self._release(conn)
        if self.cfg.closed:
            self._closed_next(self.cfg.think)

    def _request_failed(self, kind: str, *, backoff: bool = False) -> None:
        self.tally.error(kind)
        if self.cfg.closed:
            # Not a retry: the user's next request, after a pause so a dead server is not hammered.
            self._closed_next(max(self.cfg.think, 0.05) if backoff else self.cfg.think)
        else:
            self._check_idle()

    def _drop(self, conn: Conn) -> None:
        self.conns.discard(conn)
        if conn.transport is not None:
            conn.transport.close()

    def protocol_error(self, conn: Conn) -> None:
        busy = conn.req >= 0
        conn.req = -1
        self._abort(conn)
        if busy:
            self._request_failed(PROTOCOL)

    def _abort(self, conn: Conn) -> None:
        self.conns.discard(conn)
        with contextlib.suppress(ValueError):
            self.idle.remove(conn)
        if conn.transport is not None:
            conn.transport.abort()

    def on_lost(self, conn: Conn, exc: Exception | None) -> None:
        was_known = conn in self.conns
        self.conns.discard(conn)
        if conn.req >= 0:
            conn.req = -1
            self._request_failed(RESET)
        elif was_known:
            with contextlib.suppress(ValueError):
                self.idle.remove(conn)  # server closed an idle keep-alive connection
        if not self.stopping or self.pending:
            self._maybe_connect()
        self._check_idle()

    def sweep(self) -> None:
        """Time out requests in flight or waiting for a connection longer than the request timeout."""
        now = _now()
        limit = self.cfg.timeout
        for conn in list(self.conns):
            if conn.req >= 0 and now - conn.sent > limit:
                conn.req = -1
                self._abort(conn)
                self._request_failed(TIMEOUT)
        while self.pending and now - self.pending[0][0] > limit + self.cfg.connect_timeout:
            self.pending.popleft()
            self._request_failed(TIMEOUT)
        self._maybe_connect()

    # ---- stopping ---------------------------------------------------------------------------
    def in_flight(self) -> int:
        return len(self.pending) + sum(1 for c in self.conns if c.req >= 0)

    def stop(self) -> None:
        """Stop dispatching; what is in flight may still finish (see :meth:`drain`)."""
        self.stopping = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._check_idle()

    def _check_idle(self) -> None:
        if self.stopping and self._idle_event is not None and self.in_flight() == 0:
            self._idle_event.set()

    async def drain(self, deadline: float, on_tick: Callable[[], None]) -> None:
        """Wait for in-flight requests until ``deadline``; what is left is counted as unfinished."""
        assert self._idle_event is not None
        while self.in_flight() and _now() < deadline:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._idle_event.wait(), min(0.05, max(deadline - _now(), 0.001)))
            self.sweep()
            on_tick()
        self.unfinished = self.in_flight()
        self.pending.clear()
        for conn in list(self.conns):
            conn.req = -1
            self._abort(conn)
