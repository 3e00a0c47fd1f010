"""AV003 single-point-of-failure: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.availability._shared import _STATELESS, _redundancy_fix, _replicated_platform


@register
class SinglePointOfFailure(Rule):
    """A single-replica component that most of an entry point's dependencies sit behind.

    What it does:
        For every entry point, builds the dominator tree of its call graph: component X dominates Y when
        every path from the entry point to Y goes through X. Flags a single-replica service or gateway
        (not the entry point itself, not a datastore — AV002 covers those) whose loss cuts an entry point
        off from at least half of what it needs (``spof_min_share``, default 0.5) and at least 3
        components, with the share for each affected entry point.

    Why it matters:
        A gateway or aggregator that every path goes through turns one pod's failure into the failure of
        everything behind it. The outage is not "one feature is down", it is "the entry point returns
        errors for most requests".

    Example:
        ```yaml
        # web -> api-gateway -> {orders, users, catalog}; api-gateway has replicas: 1
        ```

    Fix:
        Unsafe (it changes the replica count): set ``spec.replicas: 3`` (or the HPA's ``minReplicas``
        when an HPA owns the count), and create a PodDisruptionBudget with ``maxUnavailable: 1`` on the
        workload's own pod selector, left out when that selector also selects another workload's pods.
        With 3 replicas the default rolling update already keeps every replica up (25% rounds down to
        0 unavailable). Consider splitting the gateway by domain.
        ```yaml
        spec:
          replicas: 3
        ```

    Trade-offs:
        Extra replicas of the chokepoint (cheap compared to the outage); splitting a gateway adds routing
        configuration to maintain.
    """

    code = "AV003"
    name = "single-point-of-failure"
    category = Category.AVAILABILITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.kind not in _STATELESS or not _replicated_platform(c) or c.is_batch:
                continue
            if ctx.is_tooling(c) or ctx.replicas(c) != 1:
                continue
            cut = ctx.chokepoint(c.name)
            if not cut:
                continue
            total = len(ctx.entrypoints)
            parts = [f"`{ep}` loses {lost} of the {need} components it needs" for ep, lost, need in cut]
            file, line = ctx.where(c)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"`{c.name}` (1 replica) is the only way to most dependencies of {len(cut)} of {total} "
                    f"entry points: {'; '.join(parts)} when it is down."
                ),
                why=(
                    f"Every path from {ctx.names(ep for ep, _, _ in cut)} to "
                    f"{ctx.names(sorted(ctx.dominated_by(cut[0][0], c.name))[:6])} goes through `{c.name}`. "
                    "One eviction, crash or bad config of that single pod fails most requests of those "
                    "entry points, not just one feature."
                ),
                fix=_redundancy_fix(ctx, c, 3),
                tradeoff="Two more pods of this component; no code change if it is stateless.",
                evidence=[
                    f"dominator tree from {ep}: {lost}/{need} components behind it" for ep, lost, need in cut
                ],
            )
