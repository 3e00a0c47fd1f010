"""The per-process load engine: a callback-only asyncio HTTP/1.1 client.

Why callbacks and no coroutines per request: a coroutine + future per request costs several
microseconds of Python; matching wrk leaves a budget of ~10 µs per request *including* the kernel's
share. Here a request is one ``transport.write`` of pre-rendered bytes, and a response is parsed by
httptools (llhttp, C) inside ``data_received``: its ``on_message_complete`` callback records the
response and, in the closed model, writes the user's next request on the same connection at once,
with no future, task, timer or extra clock read. httptools measured ~1.5× faster per response than
the previous hand-rolled parser (see bench/RESULTS.md) and handles every framing llhttp knows.

Two cases llhttp cannot frame on its own are handled by hand: a response to ``HEAD`` (no body
whatever Content-Length says) and a body delimited by the server closing the connection (no
Content-Length, not chunked), which completes at EOF.

Timing (all on ``time.perf_counter``, CLOCK_MONOTONIC, shared by all processes):

* ``intended`` - when the schedule said the request should start (open model), or when the user
  decided to send it (closed model: the instant the previous response completed, plus think time);
* ``dispatched`` - when this engine got round to it; ``dispatched - intended`` is *schedule lag*,
  the generator's own lateness (a generator that cannot keep up says so here; always 0 when closed);
* ``sent`` - when the bytes were written (after waiting for a free connection);
* latency = done - intended (what a user sees), service time = done - sent (what the server took).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from httptools import HttpParserError, HttpParserUpgrade, HttpResponseParser

from redline.load.http import Prepared

_now = time.perf_counter

# Error classes reported everywhere (stable keys).
CONNECT_REFUSED = "connect_refused"
CONNECT_ERROR = "connect_error"
TLS_ERROR = "tls_error"
TIMEOUT = "timeout"
RESET = "reset"
HTTP_4XX = "http_4xx"
HTTP_5XX = "http_5xx"
UNEXPECTED = "unexpected_status"
PROTOCOL = "protocol_error"
# Requests that never reached a connection: they waited for a free one longer than the timeout, or
# arrived while the bounded queue of waiting requests was full. Errors, but counted apart (never
# sent, so never answered) and reported under ``not_sent``.
WAIT_TIMEOUT = "wait_timeout"
QUEUE_FULL = "queue_full"
NOT_SENT = (WAIT_TIMEOUT, QUEUE_FULL)
ERROR_CLASSES = (
    CONNECT_REFUSED,
    CONNECT_ERROR,
    TLS_ERROR,
    TIMEOUT,
    RESET,
    HTTP_4XX,
    HTTP_5XX,
    UNEXPECTED,
    PROTOCOL,
    WAIT_TIMEOUT,
    QUEUE_FULL,
)
STATUS_SLOTS = 1000  # llhttp accepts three-digit status codes only
# At most this many arrivals are dispatched per turn of the event loop; a generator behind its
# schedule then still reads responses, sweeps timeouts and sees a stop request between batches.
DISPATCH_BATCH = 256
# Requests waiting for a free connection, per worker: one second at the per-process rate cap
# (config.MAX_RATE_PER_PROCESS), about 10 MB. Arrivals beyond it are counted as ``queue_full``.
MAX_WAITING = 100_000


class Tally:
    """What happened during one flush interval (about a second).

    Kept minimal for the hot path: a response appends its latency and service time and bumps its
    status slot (a list indexed by status code is cheaper than a dict). ``done`` is derived
    (responses + requests that ended without one) and ``sent`` is filled in by
    :meth:`Engine.take_tally`. ``lag`` stays empty in the closed model, where every request's
    schedule lag is 0 by definition.
    """

    __slots__ = ("errors", "failed", "lag", "lat", "sent", "status", "svc")

    def __init__(self) -> None:
        self.lat: list[float] = []
        self.svc: list[float] = []
        self.lag: list[float] = []
        self.status: list[int] = [0] * STATUS_SLOTS
        self.errors: dict[str, int] = {}
        self.failed = 0  # requests that ended without an HTTP response (reset, timeout, ...)
        self.sent = 0

    @property
    def done(self) -> int:
        return len(self.lat) + self.failed

    def error(self, kind: str) -> None:
        """A request ended without a response."""
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.failed += 1

    def bad_status(self, status: int) -> None:
        """A response whose status the request did not expect (already counted as a response)."""
        kind = HTTP_5XX if status >= 500 else HTTP_4XX if status >= 400 else UNEXPECTED
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def status_counts(self) -> dict[int, int]:
        return {code: n for code, n in enumerate(self.status) if n}


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
    ca_file: str | None = None  # extra CA bundle (PEM) to trust, e.g. a test server's self-signed cert


class _Req:
    """A request as the hot path needs it: bytes to write, HEAD or not, and which statuses pass."""

    __slots__ = ("head", "ok", "raw")

    def __init__(self, p: Prepared) -> None:
        self.raw = p.raw
        self.head = 1 if p.head else 0
        exp = p.expect
        self.ok = tuple((code in exp) if exp is not None else code < 400 for code in range(STATUS_SLOTS))


_IDLE = 2  # Conn.mode when no request is in flight (0: normal request, 1: HEAD request)


def _head_status(data: bytes) -> tuple[int, int] | None:
    """(status, offset after the head) of a complete response head at the start of ``data``.

    ``None`` when the head is incomplete; raises ``ValueError`` when it is not HTTP/1.x.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        if len(data) > 65536:
            raise ValueError("response head too large")
        return None
    if not data.startswith(b"HTTP/1.") or data[12:13] not in (b" ", b"\r"):
        raise ValueError("not an HTTP/1.x response")
    return int(data[9:12]), end + 4


def _until_close_status(data: bytes) -> int | None:
    """Status of a response whose body ends at EOF (no Content-Length, not chunked), else ``None``."""
    try:
        while True:
            got = _head_status(data)
            if got is None:
                return None
            status, body = got
            if status >= 200:
                break
            data = data[body:]  # an interim 1xx response precedes the real one
    except ValueError:
        return None
    head = data[:body].lower()
    if status in (204, 304) or b"\r\ncontent-length:" in head or b"\r\ntransfer-encoding:" in head:
        return None
    return status


class Conn(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight (no pipelining, like wrk)."""

    __slots__ = ("eng", "first", "fresh", "hbuf", "intended", "mode", "parser", "req", "sent", "transport")

    def __init__(self, eng: Engine) -> None:
        self.eng = eng
        self.transport: Any = None
        self.parser = HttpResponseParser(self)
        self.req: _Req | None = None  # the request in flight
        self.mode = _IDLE
        self.intended = 0.0
        self.sent = 0.0
        self.fresh = True  # no byte of the current response has arrived yet
        self.first = b""  # the current response's first bytes (to frame a body that ends at EOF)
        self.hbuf = b""  # HEAD: the response head so far

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def send(self, req: _Req, intended: float) -> None:
        self.req = req
        self.mode = req.head
        self.intended = intended
        self.fresh = True
        self.sent = _now()
        self.transport.write(req.raw)

    def data_received(self, data: bytes) -> None:
        if self.fresh:
            self.fresh = False
            self.first = data
        if self.mode:
            self._special(data)
            return
        try:
            self.parser.feed_data(data)
        except (HttpParserError, HttpParserUpgrade):  # HttpParserError: also a failing callback
            self.eng.protocol_error(self)

    def on_message_complete(self) -> None:
        """httptools: a whole response has arrived. The hot path; keep it flat."""
        parser = self.parser
        status = parser.get_status_code()
        if status < 200:  # interim response (100 Continue): the real one follows
            return
        req = self.req
        if req is None:
            self.eng.protocol_error(self)  # a response nobody asked for: do not trust the connection
            return
        now = _now()
        eng = self.eng
        t = eng.tally
        t.lat.append(now - self.intended)
        t.svc.append(now - self.sent)
        t.status[status] += 1
        if not req.ok[status]:
            t.bad_status(status)
        if not parser.should_keep_alive():
            self._done_closing(now)
            return
        if eng.fast and now < eng.end_at and not eng.pending and eng.dispatched < eng.max_requests:
            # Closed model, no think time: this user's next request goes out now, on this connection.
            eng.dispatched += 1
            nxt = next(eng.cycle)
            self.req = nxt
            self.mode = nxt.head
            self.intended = self.sent = now
            self.fresh = True
            self.transport.write(nxt.raw)
            return
        self.req = None
        self.mode = _IDLE
        self.fresh = True
        eng.on_free(self, now)

    def _done_closing(self, now: float) -> None:
        self.req = None
        self.mode = _IDLE
        self.fresh = True
        self.eng.on_closing(self, now)

    def _special(self, data: bytes) -> None:
        """A HEAD response (no body, whatever its headers say), or bytes nobody asked for."""
        if self.mode == _IDLE:
            self.eng.protocol_error(self)
            return
        buf = self.hbuf + data if self.hbuf else data
        try:
            while True:
                got = _head_status(buf)
                if got is None:
                    self.hbuf = buf
                    return
                status, end = got
                head, buf = buf[:end].lower(), buf[end:]
                if status >= 200:
                    break
        except ValueError:
            self.hbuf = b""
            self.eng.protocol_error(self)
            return
        self.hbuf = b""
        if buf:  # bytes after a HEAD response: not a body we asked for
            self.eng.protocol_error(self)
            return
        self._finish_other(status, b"\r\nconnection: close" in head or head.startswith(b"http/1.0"))

    def _finish_other(self, status: int, close: bool) -> None:
        """Record a response completed outside httptools (HEAD, or a body ended by EOF).

        The bookkeeping is :meth:`on_message_complete`'s, which inlines it because it runs for
        every response (a shared helper would cost a Python call per request).
        """
        req = self.req
        assert req is not None
        now = _now()
        eng = self.eng
        t = eng.tally
        t.lat.append(now - self.intended)
        t.svc.append(now - self.sent)
        t.status[status] += 1
        if not req.ok[status]:
            t.bad_status(status)
        if close:
            self._done_closing(now)
        else:
            self.req = None
            self.mode = _IDLE
            self.fresh = True
            eng.on_free(self, now)

    def eof_received(self) -> bool | None:
        if self.req is not None and self.mode == 0 and not self.fresh:
            status = _until_close_status(self.first)
            if status is not None:
                self._finish_other(status, True)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.eng.on_lost(self, exc)


def _connect_error_kind(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return CONNECT_REFUSED
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return TIMEOUT
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return TLS_ERROR
    if isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED:
        return CONNECT_REFUSED
    return CONNECT_ERROR


class Engine:
    """Schedules, sends and records. One per worker process, single-threaded."""

    def __init__(self, cfg: EngineConfig, arrivals: Iterator[float] | None) -> None:
        self.cfg = cfg
        reqs = [_Req(p) for p in cfg.requests]
        self.cycle: Iterator[_Req] = itertools.cycle([reqs[i] for i in cfg.mix])
        self.arrivals = arrivals
        self.tally = Tally()
        self.idle: list[Conn] = []
        self.conns: set[Conn] = set()
        self.connecting = 0
        self.pending: deque[tuple[float, _Req]] = deque()  # (intended, request)
        self.dispatched = 0
        self._reported = 0  # ``dispatched`` at the last :meth:`take_tally`
        self.max_requests = cfg.max_requests
        self.fast = cfg.closed and cfg.think <= 0
        self.stopping = False
        self.unfinished = 0
        self.t0 = 0.0
        self.end_at = float("inf")
        self._next_t = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ssl: ssl.SSLContext | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._idle_event: asyncio.Event | None = None
        self.max_conns_seen = 0
        self.connect_errors: dict[str, str] = {}  # error kind -> first message seen (for the report)

    def take_tally(self) -> Tally:
        """Hand over what was measured since the last call and start a new interval."""
        t, self.tally = self.tally, Tally()
        t.sent = self.dispatched - self._reported
        self._reported = self.dispatched
        return t

    # ---- scheduling -------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop, t0: float) -> None:
        self._loop = loop
        self.t0 = t0
        self.end_at = t0 + self.cfg.end_after if self.cfg.closed else float("inf")
        self._idle_event = asyncio.Event()
        if self.cfg.tls:
            self._ssl = ssl.create_default_context()
            if self.cfg.ca_file:
                self._ssl.load_verify_locations(cafile=self.cfg.ca_file)
            if self.cfg.insecure:
                self._ssl.check_hostname = False
                self._ssl.verify_mode = ssl.CERT_NONE
        if self.cfg.closed:
            for _ in range(self.cfg.max_connections):
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
        limit = self.max_requests
        batch = DISPATCH_BATCH
        while 0 <= self._next_t <= now:
            if self.dispatched >= limit:
                self._next_t = -1.0
                break
            if not batch:  # behind schedule: let I/O and the stop check run, then go on at once
                assert self._loop is not None
                self._timer = self._loop.call_later(0.0, self._tick)
                return
            batch -= 1
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
        if self.dispatched >= self.max_requests or now >= self.end_at:
            self.stop()
            return
        self.dispatch(now, now)

    def dispatch(self, intended: float, now: float) -> None:
        self.dispatched += 1
        if not self.cfg.closed:
            self.tally.lag.append(now - intended)
        req = next(self.cycle)
        if self.idle:
            self.idle.pop().send(req, intended)
            return
        if len(self.pending) >= MAX_WAITING:
            self._request_failed(QUEUE_FULL)
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
            kind = _connect_error_kind(exc)
            self.connect_errors.setdefault(kind, str(exc) or type(exc).__name__)
            if self.pending:
                self.pending.popleft()
                self._request_failed(kind, backoff=True)
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
            if self.stopping:
                self._check_idle()

    # ---- outcomes ---------------------------------------------------------------------------
    def on_free(self, conn: Conn, now: float) -> None:
        """A response completed on a connection that stays open."""
        self._release(conn)
        if self.cfg.closed:
            self._closed_next(self.cfg.think)

    def on_closing(self, conn: Conn, now: float) -> None:
        """A response completed and the server is closing the connection (``Connection: close``)."""
        self._drop(conn)
        self._maybe_connect()
        if self.cfg.closed:
            self._closed_next(self.cfg.think)
        elif self.stopping:
            self._check_idle()

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
        busy = conn.req is not None
        conn.req = None
        conn.mode = _IDLE
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
        if conn.req is not None:
            conn.req = None
            conn.mode = _IDLE
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
            if conn.req is not None and now - conn.sent > limit:
                conn.req = None
                conn.mode = _IDLE
                self._abort(conn)
                self._request_failed(TIMEOUT)
        while self.pending and now - self.pending[0][0] > limit + self.cfg.connect_timeout:
            self.pending.popleft()
            self._request_failed(WAIT_TIMEOUT)
        self._maybe_connect()

    # ---- stopping ---------------------------------------------------------------------------
    def in_flight(self) -> int:
        return len(self.pending) + sum(1 for c in self.conns if c.req is not None)

    def stop(self) -> None:
        """Stop dispatching; what is in flight may still finish (see :meth:`drain`)."""
        self.stopping = True
        self.end_at = -1.0  # the closed model's fast path checks only this
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
            conn.req = None
            conn.mode = _IDLE
            self._abort(conn)
