"""Which resource limits the system: the saturated one nearest the leaves of the call graph.

Near saturation, more than one resource is full: a connection pool or a caller's held workers fill up
*because* they wait on a callee that is full. The cause is the saturated resource that waits on no other
saturated resource; the rest are symptoms. The same rule reads the forecast (utilizations just below the
predicted saturation) and the measurement (utilizations from the system's stats during an overloaded
step), so the two answers are comparable whatever words the forecast uses for its own bottleneck.

Resources are components (their worker pools) and connection pools, named ``"<owner> pool <name>"``.
"""

from __future__ import annotations

from redline.model import System

__all__ = ["SATURATED", "pool_resource", "root_bottleneck"]

SATURATED = 0.9  # utilization at or above which a resource counts as full


def pool_resource(owner: str, pool: str) -> str:
    return f"{owner} pool {pool}"


def _callees(system: System) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for e in system.edges:
        if not e.startup_only:
            out.setdefault(e.from_, set()).add(e.to)
    return out


def _reachable(start: set[str], callees: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(start)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(callees.get(name, ()))
    return seen


def _downstream(system: System, callees: dict[str, set[str]]) -> dict[str, set[str]]:
    """For each resource, the resources its holders may be waiting on."""
    pools: dict[str, tuple[str, set[str]]] = {}
    for c in system.components:
        for p in c.pools:
            targets = set(p.to) | {e.to for e in system.calls_from(c.name) if e.pool == p.name}
            pools[pool_resource(c.name, p.name)] = (c.name, targets)
    out: dict[str, set[str]] = {}
    for c in system.components:
        below = _reachable(callees.get(c.name, set()), callees)
        out[c.name] = below | {r for r, (owner, _) in pools.items() if owner == c.name or owner in below}
    for r, (_, targets) in pools.items():
        below = _reachable(targets, callees)
        out[r] = below | {q for q, (owner, _) in pools.items() if owner in below}
    return out


def root_bottleneck(system: System, utilization: dict[str, float]) -> str | None:
    """The saturated resource (utilization ≥ :data:`SATURATED`) that waits on no other saturated one.

    ``utilization`` maps component names and :func:`pool_resource` names to their utilization. ``None``
    when nothing is saturated.
    """
    full = {r for r, u in utilization.items() if u >= SATURATED}
    if not full:
        return None
    below = _downstream(system, _callees(system))
    roots = [r for r in full if not (below.get(r, set()) & full)]
    candidates = roots or list(full)
    return max(candidates, key=lambda r: (utilization[r], r))
