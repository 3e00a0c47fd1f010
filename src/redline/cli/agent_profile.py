"""`redline agent-profile`: print a ready agent definition that works through redline's MCP tools.

Exit codes: 0 printed (or written); 2 on a usage error.
"""

from __future__ import annotations

from pathlib import Path

import typer

from redline.cli.common import check_output, emit


def agent_profile_command(
    target: str = typer.Option(
        ...,
        "--for",
        help="claude-code (a .claude/agents/ sub-agent file) or generic (Markdown, front matter).",
    ),
    server: str = typer.Option(
        "redline", "--server-name", help="The name the MCP client registers `redline mcp` under."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print a backend-architect agent: Markdown with front matter, like the agent files AI coding
    assistants load. It works through redline's MCP tools: evidence first, citing file:line; forecast
    numbers over opinion; fixes proposed as diffs; verification by load on loopback (docs/agents.md).

    Claude Code: `redline agent-profile --for claude-code -o .claude/agents/backend-architect.md`.
    """
    from redline.agents import AgentTarget, render_profile
    from redline.cli.common import fail

    try:
        kind = AgentTarget(target)
    except ValueError:
        fail(f"--for must be one of {', '.join(t.value for t in AgentTarget)}; got {target!r}")
    if not server or not server.replace("-", "").replace("_", "").isalnum():
        fail(f"--server-name must be letters, digits, - or _; got {server!r}")
    check_output(output)
    emit(render_profile(kind, server), output)


def register(app: typer.Typer) -> None:
    """Add ``agent-profile`` to the root app."""
    app.command("agent-profile")(agent_profile_command)
