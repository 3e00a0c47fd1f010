"""Start a reference system on 127.0.0.1: one HTTP server per service, all in one event loop.

:func:`serve` is the library entry point (``python -m redline.demo`` wraps it); it returns when ``stop`` is
set or after ``max_seconds``, whichever comes first, so a run is always bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
from collections.abc import Callable
from dataclasses import dataclass

from redline.demo.server import HttpProtocol, ServiceRuntime
from redline.demo.systems import SystemSpec
from redline.demo.tracing import Tracing

__all__ = ["Endpoints", "serve"]

HOST = "127.0.0.1"


def _closed_port() -> int:
    """A port nothing listens on (taken from the kernel, then released)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Endpoints:
    """Where each service of a running system listens."""

    ports: dict[str, int]

    def url(self, service: str) -> str:
        return f"http://{HOST}:{self.ports[service]}/"

    def stats_url(self, service: str) -> str:
        return f"http://{HOST}:{self.ports[service]}/stats"


async def serve(
    spec: SystemSpec,
    *,
    ready: Callable[[Endpoints], None],
    stop: asyncio.Event,
    max_seconds: float,
    port_base: int | None = None,
    tracing: Tracing | None = None,
    seed: int | None = None,
    down: frozenset[str] = frozenset(),
) -> None:
    """Run ``spec`` until ``stop`` is set or ``max_seconds`` pass; ``ready`` gets the ports once listening.

    ``port_base``: service ``i`` (in ``spec.services`` order) listens on ``port_base + i``; else free ports.
    ``seed`` makes the service-time draws repeatable (service ``i`` draws from ``seed + i``). Services in
    ``down`` are not started (their port refuses connections), so their callers' calls fail.
    """
    loop = asyncio.get_running_loop()
    trace = tracing or Tracing()
    runtimes = [
        ServiceRuntime(s, None if seed is None else seed + i, trace) for i, s in enumerate(spec.services)
    ]
    servers: list[asyncio.Server] = []
    ports: dict[str, int] = {}
    try:
        for i, rt in enumerate(runtimes):
            port = 0 if port_base is None else port_base + i
            if rt.spec.name in down:
                ports[rt.spec.name] = port or _closed_port()
                continue
            server = await loop.create_server(
                functools.partial(HttpProtocol, rt), HOST, port, backlog=1024, reuse_address=True
            )
            servers.append(server)
            ports[rt.spec.name] = server.sockets[0].getsockname()[1]
        for rt in runtimes:
            rt.connect(ports, HOST)
        ready(Endpoints(ports))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max_seconds)
    finally:
        for srv in servers:
            srv.close()
        for rt in runtimes:
            rt.close()
        trace.shutdown()
