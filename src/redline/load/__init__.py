"""``redline load``: an honest, fast HTTP load generator.

Public API::

    from redline.load import LoadConfig, run
    result = run(LoadConfig(url="http://127.0.0.1:8080/", rate=200, duration=10))
    result.data["latency_ms"]["p99"], result.exit_code

Honest: in the open model (``rate``), latency is measured from each request's *intended* send
time, so a stalled server's queueing shows up (no coordinated omission); the generator reports
its own schedule lag. Fast: pre-rendered requests on a callback-only uvloop client, one process
per core, mergeable histograms. See docs/load.md.
"""

from __future__ import annotations

from redline.load.config import ConfigError, LoadConfig, RunPlan, prepare
from redline.load.histogram import Histogram
from redline.load.runner import (
    EXIT_BREACH,
    EXIT_INTERRUPTED,
    EXIT_NOTHING,
    EXIT_OK,
    EXIT_USAGE,
    LoadResult,
    Progress,
    run,
)

__all__ = [
    "EXIT_BREACH",
    "EXIT_INTERRUPTED",
    "EXIT_NOTHING",
    "EXIT_OK",
    "EXIT_USAGE",
    "ConfigError",
    "Histogram",
    "LoadConfig",
    "LoadResult",
    "Progress",
    "RunPlan",
    "prepare",
    "run",
]
