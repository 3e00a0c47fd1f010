"""First-come-first-served slots (a worker pool, a connection pool) and exact time integrals of their use.

Why not ``asyncio.Semaphore``: the reference system's capacity must be known by construction, and that
needs a queue discipline that is stated, not an implementation detail. Here a released slot passes to the
longest waiter directly (FIFO), and the slot count never drops below zero or exceeds the size.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

__all__ = ["FifoSlots", "Integral"]

_now = time.perf_counter


class Integral:
    """A value that changes in steps, and its integral over time (``area``), exact at any instant."""

    __slots__ = ("_area", "_since", "value")

    def __init__(self) -> None:
        self.value = 0
        self._area = 0.0
        self._since = _now()

    def set(self, value: int) -> None:
        now = _now()
        self._area += self.value * (now - self._since)
        self._since = now
        self.value = value

    def area(self) -> float:
        """∫ value dt from the start until now (value-seconds)."""
        return self._area + self.value * (_now() - self._since)


class FifoSlots:
    """``size`` slots handed out first come, first served.

    ``busy`` integrates the slots in use and ``queue`` the waiters, so a snapshot divided by the elapsed
    time gives utilization and mean queue length exactly.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a pool needs at least one slot (got {size})")
        self.size = size
        self.used = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.busy = Integral()
        self.queue = Integral()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> None:
        if self.used < self.size and not self._waiters:
            self.used += 1
            self.busy.set(self.used)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        self.queue.set(len(self._waiters))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # the slot was handed over just before the cancellation: pass it on
            elif fut in self._waiters:
                self._waiters.remove(fut)
                self.queue.set(len(self._waiters))
            raise

    def release(self) -> None:
        """Give the slot to the longest waiter, or free it."""
        while self._waiters:
            fut = self._waiters.popleft()
            self.queue.set(len(self._waiters))
            if not fut.done():
                fut.set_result(None)  # the slot passes on: ``used`` is unchanged
                return
        self.used -= 1
        self.busy.set(self.used)
