"""The MCP prompts: how an agent should work a question through redline's tools.

Each prompt is instructions, not answers: the agent calls the tools and cites what they return. They
share one way of working (:data:`METHOD`): evidence first, every claim with its file:line; numbers from
the forecast over opinion; fixes as diffs; load only on loopback.
"""

from __future__ import annotations

__all__ = ["METHOD", "architecture_review", "capacity_plan", "incident"]

METHOD = (
    "Work from evidence: every claim cites the file:line the tools return, and what the tools cannot see "
    "(files not read, unstated service times, assumed defaults) is said, not guessed. Prefer the "
    "forecast's numbers to opinion. Propose changes as the diffs `fix` returns; write nothing unless "
    "asked. Send load only to loopback URLs, and only when asked."
)


def architecture_review(path: str) -> str:
    return (
        f"Review the architecture of the system in `{path}`.\n\n"
        f"1. Call `scan` with path `{path}`: list the entry points and the components, and say which files "
        "could not be read.\n"
        f"2. Call `review` with path `{path}` and min_severity `high`, then page through the rest: group the "
        "findings by the failure they lead to, worst first.\n"
        "3. For each component named by an availability finding, call `blast_radius`: which entry points "
        "fail, which degrade, and what else is cut off.\n"
        "4. For each finding you report, call `explain_rule` when the rule is not obvious, and `fix` for "
        "its diff.\n\n"
        "Answer with: the three worst risks (each with its evidence, blast radius and fix), then the rest "
        "as a table.\n\n" + METHOD
    )


def capacity_plan(path: str, growth: str) -> str:
    return (
        f"Plan capacity for {growth}× the current traffic of the system in `{path}`.\n\n"
        f"1. Call `forecast` with path `{path}` and growth {growth}: read each entry point's saturation "
        "point, its p95 and p99 at the target, and the SLO crossing.\n"
        "2. List the replica changes of the growth plan and the components that saturate first (the "
        "bottlenecks), with the cost before and after.\n"
        "3. For each bottleneck, call `dependents` and `blast_radius`: what else its saturation drags "
        "down.\n"
        "4. List every assumption the forecast made (unstated service times, default replicas): each is a "
        "number to measure before trusting the plan.\n\n"
        "Answer with: the changes to make, in order, each with the forecast's numbers before and after.\n\n"
        + METHOD
    )


def incident(path: str, component: str) -> str:
    return (
        f"Incident: `{component}` is down in the system in `{path}`.\n\n"
        f"1. Call `blast_radius` with path `{path}` and component `{component}`: the entry points that "
        "fail (every request needs it) and those that degrade, with the call chain of each.\n"
        f"2. Call `dependents` for `{component}`: its direct callers, with the timeout, retries and circuit "
        "breaker of each call (retries multiply the load on the way back up).\n"
        f"3. Call `review` with component `{component}`: the findings that explain why its failure spreads "
        "(single replica, no disruption budget, no timeout).\n\n"
        "Answer with: who is hit and how badly, what to do now (shed, fail over, scale), and the fixes that "
        "keep it from happening again.\n\n" + METHOD
    )
