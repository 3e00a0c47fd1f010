"""`redline agent-profile`: a backend-architect agent definition whose tools are exactly the server's."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
import yaml
from typer.testing import CliRunner

from redline.agents import AgentTarget, render_profile
from redline.cli.app import app


def _split(text: str) -> tuple[dict[str, object], str]:
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    front = yaml.safe_load(head)
    assert isinstance(front, dict)
    return front, body


def _server_tools() -> list[str]:
    from redline.mcp.server import build_server
    from redline.mcp.tools import ServerOptions

    server = build_server(ServerOptions(root=Path.cwd(), record=False))
    return [t.name for t in anyio.run(server.list_tools)]


def test_claude_code_profile_names_every_server_tool() -> None:
    front, body = _split(render_profile(AgentTarget.CLAUDE_CODE))
    assert front["name"] == "backend-architect"
    assert "cites file:line for every claim" in str(front["description"])
    tools = [t.strip() for t in str(front["tools"]).split(",")]
    assert tools == [f"mcp__redline__{t}" for t in _server_tools()] + ["Read", "Grep", "Glob"]
    for principle in ("**Evidence first.**", "**Numbers over opinion.**", "**Fixes as diffs.**",
                      "**Verify by load, on loopback only.**"):  # fmt: skip
        assert principle in body
    assert "| `mcp__redline__blast_radius` |" in body and body.count("\n| `mcp__redline__") == 11


def test_generic_profile_names_the_server_and_its_tools() -> None:
    front, body = _split(render_profile(AgentTarget.GENERIC))
    assert front["mcp_servers"] == {"redline": {"command": "redline", "args": ["mcp"]}}
    assert front["tools"] == _server_tools()
    assert "Start with `scan`." in body
    assert (
        "| `fix` | The review's fixes as unified diffs" in body
        and "| read-only; writes with --allow-write |" in body
    )


def test_cli_prints_writes_and_refuses(tmp_path: Path) -> None:
    runner = CliRunner()
    printed = runner.invoke(app, ["agent-profile", "--for", "claude-code", "--server-name", "shop-tools"])
    assert printed.exit_code == 0
    assert printed.output == render_profile(AgentTarget.CLAUDE_CODE, "shop-tools")
    assert "tools: mcp__shop-tools__scan, mcp__shop-tools__review," in printed.output
    target = tmp_path / "backend-architect.md"
    assert runner.invoke(app, ["agent-profile", "--for", "generic", "-o", str(target)]).exit_code == 0
    assert target.read_text() == render_profile(AgentTarget.GENERIC)
    bad = runner.invoke(app, ["agent-profile", "--for", "cursor"])
    assert bad.exit_code == 2 and "--for must be one of claude-code, generic; got 'cursor'" in bad.output


@pytest.mark.parametrize("name", ["", "a b", "x/y"])
def test_cli_refuses_a_bad_server_name(name: str) -> None:
    result = CliRunner().invoke(app, ["agent-profile", "--for", "generic", "--server-name", name])
    assert result.exit_code == 2 and "--server-name must be letters, digits, - or _" in result.output
