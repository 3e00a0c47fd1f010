"""OP009 termination-grace-too-long: see the class docstring."""

from __future__ import annotations

import math
from collections.abc import Iterator

from redline.fix.build import pod_spec_path, set_fix
from redline.fix.edits import Safety
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
    Unsafe (a pod that needs the long period to finish its work is killed sooner): the grace period
    lowered to the configured maximum, and the process made to finish or hand off its work on SIGTERM.

    terminationGracePeriodSeconds: 300

    Trade-offs:
    Long-running work must be checkpointable or handed off (requeued) instead of awaited.
    """

    code = "OP009"
    name = "termination-grace-too-long"
    category = Category.OPERABILITY
    severity = Severity.LOW
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        maximum = threshold(ctx, "termination_grace_max_s", 300.0)
        for c in _k8s_services(ctx):
            grace = _grace(c)
            if grace is None or grace <= maximum:
                continue
            prov = c.provenance.get("termination_grace_s")
            file, line = where(prov.source if prov else None, c.source)
            grace_s = math.floor(maximum)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=f"`{c.name}` sets terminationGracePeriodSeconds to {grace:g} s, above {maximum:g} s",
                why=(
                    f"A pod of `{c.name}` that does not exit on SIGTERM holds its node for {grace:g} s: node "
                    "drains and cluster upgrades stall, and spot reclaims kill it anyway."
                ),
                fix=set_fix(
                    c,
                    Safety.UNSAFE,
                    f"stop pods of `{c.name}` within {grace_s} s (terminationGracePeriodSeconds)",
                    pod_spec_path(c),
                    ("terminationGracePeriodSeconds",),
                    grace_s,
                ),
                tradeoff="Long work must be checkpointed or requeued on SIGTERM instead of awaited.",
            )
