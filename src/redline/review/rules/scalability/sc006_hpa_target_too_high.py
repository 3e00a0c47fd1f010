"""SC006 hpa-target-too-high: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.scalability._shared import _hpa_name, _hpa_source


@register
class HpaTargetTooHigh(Rule):
    """HPA CPU target so high that pods saturate before new ones are ready.

    What it does:
        Flags an HPA whose CPU utilization target is at or above ``hpa_max_target`` (default 0.9, i.e. 90%).

    Why it matters:
        The HPA only adds pods once the average is above the target, and new pods take a minute or more
        to be scheduled, started and ready. At 90%+ there is no headroom for that minute: latency climbs
        and requests time out while the scale-up is in flight.

    Example:
        ```yaml
        metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 95}}
        ```

    Fix:
        ```yaml
        resource: {name: cpu, target: {type: Utilization, averageUtilization: 65}}
        ```

    Trade-offs:
        A lower target runs more pods at steady state (roughly target-old / target-new times the cost).
    """

    code = "SC006"
    name = "hpa-target-too-high"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        limit = float(ctx.threshold("hpa_max_target", 0.9))
        for c in ctx.system.components:
            a = c.autoscaling
            if a is None or a.target_cpu_utilization is None or a.target_cpu_utilization < limit:
                continue
            pct = round(a.target_cpu_utilization * 100)
            file, line = _hpa_source(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"HPA `{_hpa_name(c)}` of `{c.name}` targets {pct}% CPU: pods saturate before new ones "
                    "are ready."
                ),
                why=(
                    f"New `{c.name}` pods take a minute or more to "
                    f"become ready; at {pct}% average CPU there is "
                    "no headroom for that minute, so latency climbs and requests time out during scale-up."
                ),
                fix=(
                    "metrics:\n- type: Resource\n  resource: "
                    "{name: cpu, target: {type: Utilization, averageUtilization: 65}}"
                ),
                tradeoff=f"Runs about {pct / 65:.1f}x the pods at steady state.",
            )
