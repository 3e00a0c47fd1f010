"""SC002 hpa-min-equals-max: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.scalability._shared import _hpa_name, _hpa_source


@register
class HpaMinEqualsMax(Rule):
    """HorizontalPodAutoscaler whose minimum equals its maximum.

    What it does:
        Flags an HPA with ``minReplicas`` equal to ``maxReplicas`` (an unset minimum counts as 1).

    Why it matters:
        The autoscaler cannot scale: it looks like elastic capacity in a review, but under load the
        replica count stays put. Usually a leftover from pinning the count during an incident.

    Example:
        ```yaml
        kind: HorizontalPodAutoscaler
        spec: {minReplicas: 3, maxReplicas: 3}
        ```

    Fix:
        ```yaml
        spec:
          minReplicas: 3
          maxReplicas: 12
        ```

    Trade-offs:
        A higher maximum can cost more under load and needs cluster headroom; cap it where downstream
        capacity (database connections) runs out.
    """

    code = "SC002"
    name = "hpa-min-equals-max"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            a = c.autoscaling
            if a is None or a.max_replicas is None:
                continue
            lo = a.min_replicas if a.min_replicas is not None else 1
            if lo != a.max_replicas:
                continue
            file, line = _hpa_source(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"HPA `{_hpa_name(c)}` of `{c.name}` has minReplicas "
                    f"= maxReplicas = {lo}: it can never scale."
                ),
                why=(
                    f"Under load `{c.name}` stays at {lo} replica(s); the autoscaler only looks like elastic "
                    "capacity."
                ),
                fix=(
                    f"# HorizontalPodAutoscaler {_hpa_name(c)}\nspec:\n  "
                    f"minReplicas: {max(lo, 2)}\n  maxReplicas: {max(lo, 2) * 4}"
                ),
                tradeoff=(
                    "More replicas under load cost more and need cluster "
                    "headroom; cap at what downstream capacity allows."
                ),
            )
