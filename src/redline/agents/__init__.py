"""Agent profiles: `redline agent-profile --for claude-code|generic` prints a backend-architect agent that
works through redline's MCP tools (docs/agents.md).

Public API::

    from redline.agents import AgentTarget, render_profile
    text = render_profile(AgentTarget.CLAUDE_CODE)     # -> Markdown with front matter
"""

from __future__ import annotations

from redline.agents.profile import AgentTarget, render_profile, tool_name

__all__ = ["AgentTarget", "render_profile", "tool_name"]
