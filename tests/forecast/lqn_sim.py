"""A discrete-event simulation (SimPy) of held workers: a front whose worker is held while it calls a back.

What is simulated, and why it is the forecast's model and not a copy of its formulas: a request arrives
(Poisson), takes one of the front's worker tokens (a ``simpy.Resource``, FIFO) and holds it while it does
its own work (exponential), then, for each back in turn, waits for one of its workers (another FIFO
``Resource``) and is served there (exponential); only then does it give the front token back. Nothing in it knows about finite
sources, think times or effective servers. ``saturation`` runs the same model closed — every token busy
all the time, as when the front's queue grows without end — and counts completions per second.

``fan_out_latencies`` simulates a parallel fan-out: a front that releases its worker after its own work
(``async``) and then sends ``copies`` calls to one back *at once* (a SimPy ``AllOf``), each waiting for a
back worker FIFO; the request ends when the last returns. ``copies`` may be fractional: ``⌊copies⌋`` calls
and one more with probability ``copies − ⌊copies⌋``. Nothing in it knows about batches or occupancies.

Bounded: every run stops after a fixed number of requests (or completions), seeded with
``random.Random(seed)``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

__all__ = ["Back", "fan_out_latencies", "latencies", "saturation"]

Back = tuple[int, float]  # (workers, mean service time in seconds)


def _run_open(
    env: simpy.Environment,
    rng: random.Random,
    rps: float,
    requests: int,
    request: Callable[[int], Generator[Any, Any, None]],
) -> None:
    """Send ``requests`` Poisson arrivals at ``rps`` into ``request`` and run until all are done."""

    def arrivals() -> Generator[Any, Any, None]:
        for i in range(requests):
            yield env.timeout(rng.expovariate(rps))
            env.process(request(i))

    env.process(arrivals())
    env.run()


def latencies(
    rps: float, front_workers: int, front_s: float, backs: list[Back], requests: int, seed: int
) -> np.ndarray:
    """End-to-end latencies of ``requests`` Poisson arrivals at ``rps``, the first 10% dropped (warm-up)."""
    env = simpy.Environment()
    front = simpy.Resource(env, capacity=front_workers)
    pools = [(simpy.Resource(env, capacity=w), s) for w, s in backs]
    rng = random.Random(seed)
    out = np.zeros(requests)

    def request(i: int) -> Generator[Any, Any, None]:
        start = env.now
        with front.request() as token:
            yield token
            yield env.timeout(rng.expovariate(1.0 / front_s))
            for pool, service_s in pools:
                with pool.request() as worker:
                    yield worker
                    yield env.timeout(rng.expovariate(1.0 / service_s))
        out[i] = env.now - start

    _run_open(env, rng, rps, requests, request)
    return out[requests // 10 :]


def saturation(front_workers: int, front_s: float, backs: list[Back], completions: int, seed: int) -> float:
    """Completions per second with every front token always busy (the front's queue never empties)."""
    env = simpy.Environment()
    pools = [(simpy.Resource(env, capacity=w), s) for w, s in backs]
    rng = random.Random(seed)
    done: list[float] = []
    warm = completions // 10

    def token() -> Generator[Any, Any, None]:
        while len(done) < completions + warm:
            yield env.timeout(rng.expovariate(1.0 / front_s))
            for pool, service_s in pools:
                with pool.request() as worker:
                    yield worker
                    yield env.timeout(rng.expovariate(1.0 / service_s))
            done.append(env.now)

    for _ in range(front_workers):
        env.process(token())
    env.run()
    return completions / (done[warm + completions - 1] - done[warm - 1])


def fan_out_latencies(
    rps: float, front_s: float, back: Back, copies: float, requests: int, seed: int
) -> np.ndarray:
    """End-to-end latencies of a front (one worker, released before its calls) fanning out ``copies``
    parallel calls to ``back``; the first 10% dropped (warm-up)."""
    env = simpy.Environment()
    front = simpy.Resource(env, capacity=1)
    workers, service_s = back
    pool = simpy.Resource(env, capacity=workers)
    rng = random.Random(seed)
    out = np.zeros(requests)
    whole, frac = int(copies), copies - int(copies)

    def call() -> Generator[Any, Any, None]:
        with pool.request() as worker:
            yield worker
            yield env.timeout(rng.expovariate(1.0 / service_s))

    def request(i: int) -> Generator[Any, Any, None]:
        start = env.now
        with front.request() as token:
            yield token
            yield env.timeout(rng.expovariate(1.0 / front_s))
        n = whole + (1 if rng.random() < frac else 0)
        yield simpy.AllOf(env, [env.process(call()) for _ in range(n)])
        out[i] = env.now - start

    _run_open(env, rng, rps, requests, request)
    return out[requests // 10 :]
