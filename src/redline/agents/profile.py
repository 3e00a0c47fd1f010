"""Agent profiles: a ready agent definition (Markdown with front matter) that works through redline's MCP
tools, for Claude Code (``.claude/agents/backend-architect.md``) or any client that loads such files.

The tools, their gates and descriptions come from :mod:`redline.mcp.catalog`, the list the server itself
serves, so a profile always names the tools the server has.
"""

from __future__ import annotations

from enum import StrEnum

from jinja2 import Environment, PackageLoader, StrictUndefined

from redline.mcp.catalog import PROMPTS, SERVER_NAME, TOOLS

__all__ = ["AgentTarget", "render_profile", "tool_name"]

#: Claude Code's own tools the agent may use beside redline's (to read the files findings cite).
CLAUDE_CODE_TOOLS = ("Read", "Grep", "Glob")


class AgentTarget(StrEnum):
    """Who loads the profile."""

    CLAUDE_CODE = "claude-code"  # a sub-agent file: .claude/agents/backend-architect.md
    GENERIC = "generic"  # Markdown with front matter naming the MCP server and its tools


def tool_name(target: AgentTarget, tool: str, server: str = SERVER_NAME) -> str:
    """The name an agent of ``target`` calls ``tool`` by (Claude Code prefixes ``mcp__SERVER__``)."""
    return f"mcp__{server}__{tool}" if target is AgentTarget.CLAUDE_CODE else tool


def render_profile(target: AgentTarget, server: str = SERVER_NAME) -> str:
    """The agent definition for ``target``, for an MCP server registered as ``server``."""
    names = {t.name: tool_name(target, t.name, server) for t in TOOLS}
    listed = list(names.values())
    if target is AgentTarget.CLAUDE_CODE:
        listed += CLAUDE_CODE_TOOLS
    env = Environment(
        loader=PackageLoader("redline.agents", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    return env.get_template(f"{target.value}.md.j2").render(
        t=names,
        names=names,
        tools=TOOLS,
        prompts=PROMPTS,
        server=server,
        tool_list=", ".join(listed),
    )
