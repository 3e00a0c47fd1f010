"""The reference system: built as its redline.yaml says, serving real HTTP with counters that add up."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from redline.demo.process import DemoProcess
from redline.demo.slots import FifoSlots
from redline.demo.systems import SYSTEMS, Config
from redline.sources.scan import scan
from redline.verify.probe import parse_server_timing
from tests.demo.conftest import get, stats


@pytest.mark.parametrize("config", list(Config))
def test_each_redline_yaml_states_what_the_demo_runs(config: Config) -> None:
    """The redline.yaml of each configuration states exactly the numbers the services are built with."""
    spec = SYSTEMS[config]
    system = scan(spec.folder)
    assert not system.skipped
    assert sorted(c.name for c in system.components) == sorted(s.name for s in spec.services)
    assert [(e.name, e.component) for e in system.entrypoints] == [(spec.entrypoint, spec.entry)]
    for s in spec.services:
        c = system.component(s.name)
        assert c is not None
        assert (c.workers, c.service_time_s, c.service_time_scv) == (s.workers, s.service_time_s, s.scv)
        assert bool(c.async_) is (not s.held)
        assert sorted((p.name, p.size, tuple(p.to)) for p in c.pools) == sorted(
            (p.name, p.size, (p.to,)) for p in s.pools
        )
        edges = sorted((e.to, e.count, bool(e.parallel), e.pool) for e in system.calls_from(s.name))
        assert edges == sorted((k.to, float(k.count), k.parallel, k.pool) for k in s.calls)


def test_a_request_fans_out_through_the_pool_and_every_counter_adds_up(back_bound: DemoProcess) -> None:
    before = {name: stats(url) for name, url in back_bound.stats_urls.items()}
    timings = []
    for _ in range(10):
        status, headers, body = get(back_bound.entry_url)
        assert (status, body) == (200, b"ok\n")
        timings.append(parse_server_timing(", ".join(headers["server-timing"])))
    after = {name: stats(url) for name, url in back_bound.stats_urls.items()}
    front, back = after["front"], after["back"]
    assert front["requests"] - before["front"]["requests"] == 10
    assert back["requests"] - before["back"]["requests"] == 20  # count 2 per request
    assert front["calls"]["back"]["calls"] - before["front"]["calls"]["back"]["calls"] == 20
    assert front["calls"]["back"]["pool_size"] == 32
    assert (front["workers"], front["held"], back["workers"], back["held"]) == (4, False, 2, True)
    assert front["errors"] == back["errors"] == 0
    # Server-Timing: front's own work and response, two calls to back as front saw them, back's own entries
    for entries in timings:
        kinds = sorted((name, desc) for name, _, desc in entries)
        assert kinds == sorted(
            [("front", "own"), ("front", "response"), ("front", "call back"), ("front", "call back")]
            + [("back", "own"), ("back", "response")] * 2
        )
        by = {(n, d): v for n, v, d in entries}
        assert by[("front", "response")] >= by[("front", "own")]
    # Own work is the sleep drawn from the law: a held back worker holds its own work only (no calls)
    own = back["own_s"] - before["back"]["own_s"]
    hold = back["hold_s"] - before["back"]["hold_s"]
    assert hold == pytest.approx(own, rel=0.02)
    # An async front holds its worker for its own work only, not through the calls
    assert front["hold_s"] - before["front"]["hold_s"] == pytest.approx(
        front["own_s"] - before["front"]["own_s"], rel=0.05, abs=2e-4
    )


def test_a_service_that_is_down_makes_its_callers_answer_502() -> None:
    with DemoProcess(Config.BACK_BOUND, max_seconds=30, down=("back",)) as demo:
        status, _, _ = get(demo.entry_url)
        front = stats(demo.stats_url("front"))
    assert status == 502
    assert (front["requests"], front["errors"], front["calls"]["back"]["errors"]) == (1, 1, 2)


def test_it_stops_by_itself_after_max_seconds() -> None:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "redline.demo", "--config", "single", "--max-seconds", "1"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert proc.returncode == 0
    assert time.monotonic() - start < 15
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("redline demo single: single tier")
    assert lines[1].startswith("front http://127.0.0.1:") and lines[-1].startswith("ready (stops on")


def test_bad_options_are_refused_in_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "redline.demo", "--config", "single", "--down", "back"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == "--down back: no such service in single (services: front)"


def test_worker_slots_are_first_come_first_served_and_never_leak() -> None:
    async def scenario() -> tuple[list[int], int, int]:
        slots = FifoSlots(1)
        order: list[int] = []

        async def user(i: int) -> None:
            await slots.acquire()
            order.append(i)
            await asyncio.sleep(0.001)
            slots.release()

        await slots.acquire()  # hold the only slot while the others queue up in order
        tasks = [asyncio.create_task(user(i)) for i in range(5)]
        await asyncio.sleep(0.01)
        tasks[2].cancel()  # a waiter that gives up must not take the slot with it
        slots.release()
        await asyncio.gather(*tasks, return_exceptions=True)
        return order, slots.used, slots.waiting

    order, used, waiting = asyncio.run(scenario())
    assert order == [0, 1, 3, 4]
    assert (used, waiting) == (0, 0)
