"""`redline mcp`: serve redline's tools to AI agents over the Model Context Protocol.

Over stdio by default (an MCP client starts ``redline mcp`` and talks on its stdin and stdout), or over
streamable HTTP on 127.0.0.1 with ``--http PORT`` (at ``http://127.0.0.1:PORT/mcp``). Read-only unless
started with ``--allow-write`` (fix writes, generate) or ``--allow-load`` (verify, load on loopback).

Exit codes: 0 when the client disconnects (stdio) or the server is stopped (SIGTERM); 130 on Ctrl-C; 2 on
a usage error, when the extra is not installed (``pip install 'redline[mcp]'``) or the port cannot be
bound; 70 on a bug.
"""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import typer

from redline.cli.common import fail, stderr


def mcp_command(
    http: int | None = typer.Option(
        None, "--http", min=1, max=65535, help="Serve streamable HTTP on 127.0.0.1:PORT instead of stdio."
    ),
    root: Path = typer.Option(
        Path("."), "--root", help="Tools read (and write) only under this folder; paths are relative to it."
    ),
    allow_write: bool = typer.Option(
        False, "--allow-write", help="Let `fix` write its changes and `generate` write files (under --root)."
    ),
    allow_load: bool = typer.Option(
        False, "--allow-load", help="Let `verify` and `load` send bounded load to loopback URLs."
    ),
) -> None:
    """Serve scan, review, forecast, dependents, blast radius, paths, fix, generate, verify and load as MCP
    tools, the model and the latest review as resources, and three prompts (docs/agents.md).

    Read-only by default. Every tool call is recorded in the history as mcp:TOOL.
    """
    try:
        from redline.mcp.server import build_server
        from redline.mcp.tools import ServerOptions
    except ImportError as exc:
        if exc.name is None or not exc.name.startswith("mcp"):
            raise
        fail("the MCP server needs the extra: pip install 'redline[mcp]'")
    if not root.is_dir():
        fail(f"--root {root}: no such folder")
    from redline.history.recorder import active

    current = active()
    options = ServerOptions(
        root=root.resolve(),
        allow_write=allow_write,
        allow_load=allow_load,
        record=current is not None and not current.cancelled,
    )
    server = build_server(options)
    gates = ", ".join(g for g, on in (("writes", allow_write), ("load", allow_load)) if on) or "read-only"
    signal.signal(signal.SIGTERM, _stopped)  # a client or a supervisor stopping the server: a clean end
    if http is None:
        server.run("stdio")
        return
    _check_port(http)
    stderr.print(
        f"redline mcp: serving http://127.0.0.1:{http}/mcp ({gates}; root {options.root})", markup=False
    )
    server.run("streamable-http", host="127.0.0.1", port=http)


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _check_port(port: int) -> None:
    """Refuse, before the server starts, a port that cannot be bound on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            fail(f"--http {port}: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}")


def register(app: typer.Typer) -> None:
    """Add ``mcp`` to the root app."""
    app.command("mcp")(mcp_command)
