"""Misbehaving HTTP/1.1 test servers (real sockets on 127.0.0.1), run as a subprocess.

    python tests/load/servers.py MODE [--port 0] [--delay 0.5] [--status 200]

Prints ``PORT <n>`` on stdout once listening. Modes:

* ``ok``: answers at once (keep-alive, Content-Length).
* ``stall``: answers at once except during one 1 s stall every 5 s (seconds 4..5 of each 5 s period
  since start): every request arriving during a stall waits until it ends. At a constant arrival
  rate 20% of intended send times fall in a stall and wait uniformly 0..1 s, so the honest p90 is
  the median of those waits: 500 ms.
* ``slow``: every response is delayed ``--delay`` seconds.
* ``reset``: reads the request, then closes with an RST (SO_LINGER 0).
* ``status``: answers with ``--status``.

``--certfile``/``--keyfile`` serve HTTPS instead (any mode).

Also used by ``bench/load_bench.py`` for the stall comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import ssl
import struct
import sys
import time

BODY = b"hello from the test server\n"


def response(status: int = 200) -> bytes:
    reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}.get(status, "X")
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(BODY)}\r\n\r\n"
    return head.encode() + BODY


class Handler(asyncio.Protocol):
    def __init__(self, mode: str, delay: float, status: int, t0: float, period: float, stall: float):
        self.mode, self.delay, self.status, self.t0 = mode, delay, status, t0
        self.period, self.stall = period, stall
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].lower()
            length = 0
            i = head.find(b"content-length:")
            if i >= 0:
                length = int(head[i + 15 :].split(b"\r\n", 1)[0])
            if len(self.buf) < end + 4 + length:
                return
            self.buf = self.buf[end + 4 + length :]
            self.handle()

    def handle(self) -> None:
        assert self.transport is not None
        if self.mode == "reset":
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transport.abort()
            return
        wait = 0.0
        if self.mode == "stall":
            phase = (time.monotonic() - self.t0) % self.period
            if phase >= self.period - self.stall:
                wait = self.period - phase
        elif self.mode == "slow":
            wait = self.delay
        payload = response(self.status if self.mode == "status" else 200)
        if wait > 0:
            asyncio.get_running_loop().call_later(wait, self._write, payload)
        else:
            self._write(payload)

    def _write(self, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(payload)


async def serve(
    mode: str, port: int, delay: float, status: int, period: float, stall: float, tls: ssl.SSLContext | None
) -> None:
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    server = await loop.create_server(
        lambda: Handler(mode, delay, status, t0, period, stall),
        "127.0.0.1",
        port,
        backlog=4096,
        reuse_address=True,
        ssl=tls,
    )
    sys.stdout.write(f"PORT {server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["ok", "stall", "slow", "reset", "status"])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.5)
    ap.add_argument("--status", type=int, default=500)
    ap.add_argument("--period", type=float, default=5.0)
    ap.add_argument("--stall", type=float, default=1.0)
    ap.add_argument("--max-seconds", type=float, default=600.0, help="exit by itself after this long")
    ap.add_argument("--certfile", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--keyfile", help="private key of --certfile (PEM)")
    args = ap.parse_args()
    tls = None
    if args.certfile:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.certfile, args.keyfile)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def bounded() -> None:
        await asyncio.wait_for(
            serve(args.mode, args.port, args.delay, args.status, args.period, args.stall, tls),
            args.max_seconds,
        )

    with contextlib.suppress(TimeoutError, KeyboardInterrupt):
        asyncio.run(bounded())


if __name__ == "__main__":
    main()
