"""MCP tests drive `redline mcp` with the SDK's own client over stdio (and once over streamable HTTP).

A session is one server process: a module-scoped fixture runs every call of a test module in one session
and the tests assert on what came back, so the server starts once per module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from tests.conftest import REPO

#: Seconds one session may take before the test fails instead of hanging.
SESSION_TIMEOUT_S = 120


def server_env(history: Path | None) -> dict[str, str]:
    """The server's environment: the test's own history file, or none."""
    env = {"PYTHONPATH": os.environ.get("PYTHONPATH", ""), "REDLINE_DEBUG": "1"}
    if history is None:
        env["REDLINE_NO_HISTORY"] = "1"
    else:
        env["REDLINE_HISTORY_DB"] = str(history)
    return env


def run_session(
    args: list[str],
    history: Path | None,
    script: Callable[[Client], Awaitable[dict[str, Any]]],
    cwd: Path = REPO,
) -> dict[str, Any]:
    """Start ``python -m redline.cli.app mcp ARGS`` and run ``script`` in one stdio session; its results."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "redline.cli.app", "mcp", *args],
        env=server_env(history),
        cwd=str(cwd),
    )

    async def main() -> dict[str, Any]:
        with anyio.fail_after(SESSION_TIMEOUT_S):
            async with Client(params) as client:
                return await script(client)

    return anyio.run(main)
