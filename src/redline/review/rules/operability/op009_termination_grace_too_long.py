"""OP009 termination-grace-too-long: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    threshold,
    where,
)
from redline.review.rules.operability._shared import _grace, _k8s_services


@register
class TerminationGraceTooLong(Rule):
    """What it does:
    Flags a long-running Kubernetes workload whose `terminationGracePeriodSeconds` is explicitly set above a
    threshold (default 300 s, `thresholds.termination_grace_max_s`).

    Why it matters:
    A pod that ignores SIGTERM, or waits for work that never ends, holds its node for the whole grace
    period. Node drains (cluster upgrades, autoscaler scale-down, spot reclaims, which give ~2 minutes)
    stall or kill it anyway, and a rollout of N pods can take N times the grace period.

    Example:
    terminationGracePeriodSeconds: 3600

    Fix:
    terminationGracePeriodSeconds: 60   # and make the process finish or hand off work on SIGTERM

    Trade-offs:
    Long-running work must be checkpointable or handed off (requeued) instead of awaited.
    """

    code = "OP009"
    name = "termination-grace-too-long"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        maximum = threshold(ctx, "termination_grace_max_s", 300.0)
        for c in _k8s_services(ctx):
            grace = _grace(c)
            if grace is None or grace <= maximum:
                continue
            prov = c.provenance.get("termination_grace_s")
            file, line = where(prov.source if prov else None, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=f"`{c.name}` sets terminationGracePeriodSeconds to {grace:g} s, above {maximum:g} s",
                why=(
                    f"A pod of `{c.name}` that does not exit on SIGTERM holds its node for {grace:g} s: node "
                    "drains and cluster upgrades stall, and spot reclaims kill it anyway."
                ),
                fix=f"# {c.name}, pod spec\nterminationGracePeriodSeconds: 60",
                tradeoff="Long work must be checkpointed or requeued on SIGTERM instead of awaited.",
            )
