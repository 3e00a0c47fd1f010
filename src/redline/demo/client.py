"""Calls between the reference system's services: HTTP/1.1 keep-alive over a bounded connection pool.

A call waits (FIFO) for one of the pool's ``size`` slots, takes an idle connection or opens one, writes
one request and reads one response with httptools. Every call is bounded by ``CALL_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from httptools import HttpParserError, HttpResponseParser

from redline.demo.slots import FifoSlots

__all__ = ["CALL_TIMEOUT", "CallError", "Downstream", "Reply"]

CALL_TIMEOUT = 30.0  # seconds; the demo's calls never wait longer than this


class CallError(Exception):
    """A call that got no usable response (connection refused or lost, timeout, bad HTTP)."""


@dataclass
class Reply:
    """What a call returns: the status and the callee's ``Server-Timing`` entries (raw text)."""

    status: int
    server_timing: list[str] = field(default_factory=list)


class _Conn(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = HttpResponseParser(self)
        self.waiter: asyncio.Future[Reply] | None = None
        self.timing: list[str] = []
        self.header = b""
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"server-timing":
            self.timing.append(value.decode("latin-1"))

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(Reply(self.parser.get_status_code(), self.timing))
        self.timing = []

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except HttpParserError as exc:
            self._fail(CallError(f"bad HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(CallError(f"connection lost: {exc or 'closed by the callee'}"))

    def _fail(self, exc: Exception) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    async def request(self, raw: bytes) -> Reply:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        try:
            return await self.waiter
        finally:
            self.waiter = None


class Downstream:
    """Calls to one service at ``host:port`` through a pool of at most ``size`` connections."""

    def __init__(self, name: str, host: str, port: int, size: int) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.slots = FifoSlots(size)
        self._idle: list[_Conn] = []

    async def call(self, path: str = "/", headers: dict[str, str] | None = None) -> tuple[Reply, float]:
        """One GET; returns the reply and how long the call waited for a pool slot (seconds)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        await self.slots.acquire()
        waited = loop.time() - start
        try:
            conn = await self._connection()
            extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
            raw = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{extra}\r\n".encode("latin-1")
            try:
                reply = await asyncio.wait_for(conn.request(raw), CALL_TIMEOUT)
            except TimeoutError:
                conn._fail(CallError("timed out"))
                raise CallError(f"call to {self.name} timed out after {CALL_TIMEOUT:g} s") from None
            if not conn.closed:
                self._idle.append(conn)
            return reply, waited
        finally:
            self.slots.release()

    async def _connection(self) -> _Conn:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        loop = asyncio.get_running_loop()
        try:
            _, proto = await asyncio.wait_for(
                loop.create_connection(_Conn, self.host, self.port), CALL_TIMEOUT
            )
        except (OSError, TimeoutError) as exc:
            raise CallError(f"cannot connect to {self.name} at {self.host}:{self.port}: {exc}") from None
        return proto

    def close(self) -> None:
        for conn in self._idle:
            if conn.transport is not None:
                conn.transport.close()
        self._idle.clear()
