"""Worker process entry point: one event loop, one :class:`Engine`, one flush per second.

A worker imports only the engine, numpy and the histogram module (no Typer/Rich/pydantic) so it
starts quickly. It ignores SIGINT: the parent owns Ctrl-C, tells workers to stop through an
``Event`` and collects what they measured, so an interrupt never loses data.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import resource
import signal
import time
import traceback
from dataclasses import dataclass
from typing import Any

from redline.load.client import Engine, EngineConfig, Tally
from redline.load.histogram import sparse_from_values
from redline.load.schedule import Arrivals, Plan

FLUSH_INTERVAL = 1.0
SWEEP_INTERVAL = 0.05


@dataclass
class WorkerSpec:
    index: int
    workers: int
    engine: EngineConfig
    plan: Plan | None  # None: closed model
    poisson: bool
    seed: int | None
    drain: float  # seconds to wait for in-flight requests after the schedule ends
    interrupt_drain: float


def tally_message(
    index: int, second: int, tally: Tally, inflight: int, conns: int, closed: bool = False
) -> dict[str, Any]:
    """Serialise one interval; latencies (seconds) become sparse histograms (µs)."""
    out: dict[str, Any] = {
        "worker": index,
        "second": second,
        "sent": tally.sent,
        "done": tally.done,
        "status": tally.status_counts(),
        "errors": tally.errors,
        "inflight": inflight,
        "conns": conns,
        "lat": sparse_from_values(tally.lat, 1e6),
        "svc": sparse_from_values(tally.svc, 1e6),
    }
    if closed:  # every closed-model request is sent the instant its user decides: lag 0
        out["lag"] = (([0], [tally.sent]), 0.0, 0.0) if tally.sent else (([], []), math.inf, 0.0)
    else:
        out["lag"] = sparse_from_values(tally.lag, 1e6)
    return out


def _raise_fd_limit() -> None:
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _run(spec: WorkerSpec, queue: Any, stop: Any, t0: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    arrivals = None
    if spec.plan is not None:
        arrivals = Arrivals(
            spec.plan, poisson=spec.poisson, worker=spec.index, workers=spec.workers, seed=spec.seed
        )
    eng = Engine(spec.engine, arrivals)
    second = 0

    def flush() -> None:
        nonlocal second
        tally = eng.take_tally()
        msg = tally_message(spec.index, second, tally, eng.in_flight(), len(eng.conns), spec.plan is None)
        queue.put(("tick", msg))
        second += 1

    wait = t0 - time.perf_counter()
    if wait > 0:
        await asyncio.sleep(wait)
    eng.start(loop, t0)
    interrupted = False
    next_flush = t0 + FLUSH_INTERVAL
    while not eng.stopping:
        await asyncio.sleep(SWEEP_INTERVAL)
        eng.sweep()
        if time.perf_counter() >= next_flush:
            flush()
            next_flush += FLUSH_INTERVAL
        if stop.is_set():
            interrupted = True
            eng.stop()
        elif spec.plan is None and time.perf_counter() - t0 >= spec.engine.end_after:
            eng.stop()  # closed model: users in think time or waiting must not extend the run
    drain = spec.interrupt_drain if interrupted else spec.drain
    deadline = time.perf_counter() + drain

    def on_tick() -> None:
        nonlocal next_flush
        if time.perf_counter() >= next_flush:
            flush()
            next_flush += FLUSH_INTERVAL

    await eng.drain(deadline, on_tick)
    flush()
    return {
        "finished_s": time.perf_counter() - t0,  # the run's measured span ends with the last drain
        "worker": spec.index,
        "unfinished": eng.unfinished,
        "dispatched": eng.dispatched,
        "max_connections": eng.max_conns_seen,
        "connect_errors": eng.connect_errors,
        "interrupted": interrupted,
    }


def worker_main(spec: WorkerSpec, queue: Any, stop: Any, start: Any, start_at: Any) -> None:
    """Process target: handshake ``ready``, wait for the common start time, run, report ``done``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _raise_fd_limit()
    try:
        queue.put(("ready", spec.index))
        if not start.wait(60):
            return
        coro = _run(spec, queue, stop, float(start_at.value))
        try:
            import uvloop
        except ImportError:  # pragma: no cover - uvloop is a declared dependency on Linux
            result = asyncio.run(coro)
        else:
            result = uvloop.run(coro)
        queue.put(("done", result))
    except BaseException:
        queue.put(("fatal", {"worker": spec.index, "error": traceback.format_exc()}))
