"""Run a reference system as a child process (for tests and benchmarks) and stop it reliably.

::

    with DemoProcess(Config.BACK_BOUND, max_seconds=120) as demo:
        demo.url("front"), demo.stats_url("back"), demo.spec.folder

The child is ``python -m redline.demo``; it is asked to stop with SIGTERM, killed if it does not exit
within a few seconds, and stops by itself after ``max_seconds`` whatever happens to its parent.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TextIO

from redline.demo.systems import SYSTEMS, Config, SystemSpec

__all__ = ["DemoError", "DemoProcess"]

START_TIMEOUT = 20.0


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies (Linux), so no demo outlives its test."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # --max-seconds still bounds it


def _pump(stream: TextIO, lines: queue.Queue[str]) -> None:
    """Copy the child's output lines into ``lines`` (a thread, so a start-up wait can time out)."""
    for line in stream:
        lines.put(line.rstrip("\n"))


class DemoError(RuntimeError):
    """The reference system did not start (its output says why)."""


class DemoProcess:
    """A running reference system in a child process."""

    def __init__(
        self,
        config: Config,
        *,
        max_seconds: float = 600.0,
        trace_file: Path | None = None,
        seed: int | None = None,
        down: tuple[str, ...] = (),
    ) -> None:
        self.spec: SystemSpec = SYSTEMS[config]
        self.max_seconds = max_seconds
        self.trace_file = trace_file
        self.seed = seed
        self.down = down
        self.urls: dict[str, str] = {}
        self.stats_urls: dict[str, str] = {}
        self._proc: subprocess.Popen[str] | None = None

    def url(self, service: str) -> str:
        return self.urls[service]

    def stats_url(self, service: str) -> str:
        return self.stats_urls[service]

    @property
    def entry_url(self) -> str:
        return self.urls[self.spec.entry]

    def start(self) -> DemoProcess:
        cmd = [sys.executable, "-m", "redline.demo", "--config", self.spec.config.value]
        cmd += ["--max-seconds", f"{self.max_seconds:g}"]
        if self.trace_file is not None:
            cmd += ["--trace-file", str(self.trace_file)]
        if self.seed is not None:
            cmd += ["--seed", str(self.seed)]
        for name in self.down:
            cmd += ["--down", name]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        assert self._proc.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_pump, args=(self._proc.stdout, lines), daemon=True).start()
        seen: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                if self._proc.poll() is not None and lines.empty():
                    break
                continue
            seen.append(line)
            parts = line.split()
            if len(parts) >= 4 and parts[0] in {s.name for s in self.spec.services}:
                self.urls[parts[0]] = parts[1]
                self.stats_urls[parts[0]] = parts[3]
            if line.startswith("ready"):
                return self
        self.stop()
        raise DemoError("the reference system did not start:\n" + "\n".join(seen[-20:]))

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def __enter__(self) -> DemoProcess:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
