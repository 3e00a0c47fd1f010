"""`redline mcp --http PORT`: streamable HTTP on 127.0.0.1, driven by the SDK's client; a busy port and a
missing extra are refused with exit 2."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.conftest import REPO
from tests.mcp.conftest import SESSION_TIMEOUT_S, server_env

STARTUP_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else proc.returncode
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"redline mcp --http {port} did not listen within {STARTUP_S} s")


def test_streamable_http_on_loopback() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "redline.cli.app", "mcp", "--http", str(port)],
        cwd=REPO,
        env=server_env(None),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, proc)

        async def main() -> dict[str, Any]:
            with anyio.fail_after(SESSION_TIMEOUT_S):
                async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                    tools = await client.list_tools()
                    blast = await client.call_tool(
                        "blast_radius", {"path": "examples/shop/kubernetes", "component": "postgres"}
                    )
                    return {"tools": [t.name for t in tools.tools], "blast": blast.structured_content}

        out = anyio.run(main)
    finally:
        proc.terminate()
        code = proc.wait(timeout=30)
    assert len(out["tools"]) == 11 and out["tools"][0] == "scan"
    assert [f["entrypoint"] for f in out["blast"]["fails"]] == ["web"]
    assert code == 0
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert f"redline mcp: serving http://127.0.0.1:{port}/mcp (read-only; root {REPO})" in err


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    from redline.cli.app import main

    monkeypatch.setattr(sys, "argv", ["redline", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def test_a_busy_port_is_refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert _main(monkeypatch, "mcp", "--http", str(port)) == 2
    assert f"redline: error: --http {port}: cannot listen on 127.0.0.1:{port}: " in capsys.readouterr().err


def test_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The SDK made unimportable, as on an install without `redline[mcp]` (it cannot be uninstalled here)."""
    monkeypatch.delitem(sys.modules, "redline.mcp.server", raising=False)
    for name in [m for m in sys.modules if m == "mcp" or m.startswith("mcp.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mcp", None)
    assert _main(monkeypatch, "mcp", "--root", str(tmp_path)) == 2
    assert (
        "redline: error: the MCP server needs the extra: pip install 'redline[mcp]'"
        in capsys.readouterr().err
    )
