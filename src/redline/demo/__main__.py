"""``python -m redline.demo``: run a reference system on 127.0.0.1 until Ctrl-C, SIGTERM or ``--max-seconds``.

::

    python -m redline.demo [--config single|back-bound|few-front] [--port-base N] [--trace-file F]
                           [--max-seconds S] [--seed N]

Prints each service's URL and ``/stats`` URL, the configuration's ``redline.yaml``, the ``redline verify``
command that checks it, then ``ready``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from redline.demo.run import Endpoints, serve
from redline.demo.systems import SYSTEMS, Config, SystemSpec
from redline.demo.tracing import Tracing

MAX_SECONDS = 3600.0


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m redline.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--config", choices=[c.value for c in Config], default=Config.BACK_BOUND.value)
    ap.add_argument(
        "--port-base", type=int, default=None, help="service i listens on N+i (default: free ports)"
    )
    ap.add_argument(
        "--trace-file", type=Path, default=None, help="write OpenTelemetry spans here (OTLP JSON)"
    )
    ap.add_argument("--max-seconds", type=float, default=MAX_SECONDS, help="stop by itself after this long")
    ap.add_argument("--seed", type=int, default=None, help="repeatable service-time draws")
    ap.add_argument(
        "--down",
        action="append",
        default=[],
        metavar="SERVICE",
        help="leave this service stopped (its callers fail)",
    )
    return ap


def _announce(spec: SystemSpec, endpoints: Endpoints, max_seconds: float, down: frozenset[str]) -> None:
    print(f"redline demo {spec.config.value}: {spec.purpose}")
    for s in spec.services:
        state = " (down)" if s.name in down else ""
        print(f"{s.name} {endpoints.url(s.name)} stats {endpoints.stats_url(s.name)}{state}")
    print(f"redline.yaml {spec.folder / 'redline.yaml'}")
    stats = " ".join(f"--stats {s.name}={endpoints.stats_url(s.name)}" for s in spec.services)
    print(
        f"verify: redline verify {spec.folder} --target {spec.entrypoint}={endpoints.url(spec.entry)} {stats}"
    )
    print(f"ready (stops on Ctrl-C, SIGTERM or after {max_seconds:g} s)", flush=True)


async def _main(args: argparse.Namespace) -> None:
    spec = SYSTEMS[Config(args.config)]
    down = frozenset(args.down)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tracing: Tracing | None = None
    if args.trace_file is not None:
        try:
            from redline.demo.otel import OtelTracing
        except ImportError:
            sys.exit("--trace-file needs the OpenTelemetry SDK: pip install 'redline[otel]'")
        tracing = OtelTracing(args.trace_file, [s.name for s in spec.services])
    await serve(
        spec,
        ready=lambda e: _announce(spec, e, args.max_seconds, down),
        stop=stop,
        max_seconds=args.max_seconds,
        port_base=args.port_base,
        tracing=tracing,
        seed=args.seed,
        down=down,
    )


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if not 0 < args.max_seconds <= 86_400:
        sys.exit("--max-seconds must lie in (0, 86400]")
    if args.port_base is not None and not 1024 <= args.port_base <= 65_000:
        sys.exit("--port-base must lie in [1024, 65000]")
    names = {s.name for s in SYSTEMS[Config(args.config)].services}
    unknown = sorted(set(args.down) - names)
    if unknown:
        sys.exit(
            f"--down {unknown[0]}: no such service in {args.config} (services: {', '.join(sorted(names))})"
        )
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        runner = asyncio.run
    else:
        runner = uvloop.run
    try:
        runner(_main(args))
    except OSError as exc:
        sys.exit(f"cannot listen: {exc}")
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.flush()


if __name__ == "__main__":
    main()
