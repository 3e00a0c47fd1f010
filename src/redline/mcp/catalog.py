"""The MCP tools redline serves: name, gate and description, in one place.

The server takes each tool's description from here, and the agent profiles (:mod:`redline.agents`) list
the tools from here, so what an agent is told and what the server offers cannot drift. Importing this
module needs neither the MCP SDK nor any engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["PROMPTS", "RESOURCES", "SERVER_NAME", "TOOLS", "Gate", "ToolInfo", "tool"]

#: The name MCP clients register the server under (Claude Code names its tools ``mcp__redline__scan``).
SERVER_NAME = "redline"


class Gate(StrEnum):
    """What a tool needs from the server's start options."""

    READ = "read-only"  # always available
    DIFF = "read-only; writes with --allow-write"  # diffs always; writes only on an --allow-write server
    WRITE = "--allow-write"  # only on a server started with --allow-write
    LOAD = "--allow-load"  # sends requests only on a server started with --allow-load


@dataclass(frozen=True)
class ToolInfo:
    name: str
    gate: Gate
    description: str


TOOLS: tuple[ToolInfo, ...] = (
    ToolInfo(
        "scan",
        Gate.READ,
        "Read a system's Compose, Kubernetes, kustomize and redline.yaml files into one model: its "
        "components (paged), each with its calls and the file:line every fact was read from, its entry "
        "points, and the files that could not be read.",
    ),
    ToolInfo(
        "review",
        Gate.READ,
        "Review a system: findings worst first, each with its rule, component, file:line, the failure "
        "story, the fix and its trade-off; filter by rule codes, minimum severity or component; paged.",
    ),
    ToolInfo(
        "forecast",
        Gate.READ,
        "Forecast latency percentiles, saturation, replicas, availability and cost at the current load and "
        "at a target (a growth factor, a total rps, or rates per entry point); the components are paged.",
    ),
    ToolInfo(
        "explain_rule",
        Gate.READ,
        "A review rule's documentation: what it checks, why it matters, an example, the fix, the trade-offs.",
    ),
    ToolInfo(
        "dependents",
        Gate.READ,
        "Who depends on a component: its direct callers with the evidence of each call (file:line), every "
        "component upstream of it, and the entry points whose requests can reach it.",
    ),
    ToolInfo(
        "blast_radius",
        Gate.READ,
        "What breaks when a component is down: the entry points that fail (every request needs it) and "
        "those that degrade (only some requests reach it), with calls per request and one call chain each, "
        "cited file:line.",
    ),
    ToolInfo(
        "paths",
        Gate.READ,
        "The call paths from an entry point (or a component) to a component, shortest first: each hop with "
        "its evidence, and the calls per request along the path.",
    ),
    ToolInfo(
        "fix",
        Gate.DIFF,
        "The review's fixes as unified diffs, each validated against the Kubernetes or Compose schema and "
        "re-reviewed; nothing is written unless write is true on a server started with --allow-write.",
    ),
    ToolInfo(
        "generate",
        Gate.WRITE,
        "Write Prometheus SLO alerts, scaling policies, Grafana dashboards and runbooks from the model into "
        "a folder the client names (checked with promtool and the schemas); only with --allow-write.",
    ),
    ToolInfo(
        "verify",
        Gate.LOAD,
        "Verify the forecast against the running system: load each entry point's loopback URL at fractions "
        "of its predicted saturation and compare the percentiles; bounded; only with --allow-load.",
    ),
    ToolInfo(
        "load",
        Gate.LOAD,
        "Send a bounded open-model HTTP load (a rate for a duration) to a loopback URL and report latency "
        "measured from each request's intended send time; only with --allow-load.",
    ),
)

#: Resource templates: URI, what it holds.
RESOURCES: tuple[tuple[str, str], ...] = (
    (
        "redline://model/{+path}",
        "the scanned model of PATH as JSON (what `redline scan --format json` prints)",
    ),
    ("redline://review/{+path}", "the review of PATH's files as they are now, as Markdown"),
    ("redline://rules", "every review rule with its documentation, as Markdown"),
)

#: Prompts: name, what it starts.
PROMPTS: tuple[tuple[str, str], ...] = (
    ("architecture_review", "review a system's architecture with evidence, worst risks first"),
    ("capacity_plan", "plan capacity for N× growth from the forecast"),
    ("incident", "a component is down: who is hit, how badly, what to do"),
)


def tool(name: str) -> ToolInfo:
    """The tool called ``name``."""
    return next(t for t in TOOLS if t.name == name)
