"""AV004 missing-disruption-budget: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.availability._shared import _label


@register
class MissingDisruptionBudget(Rule):
    """Multi-replica workload without a PodDisruptionBudget.

    What it does:
        Flags a Kubernetes Deployment or StatefulSet that runs two or more replicas and takes traffic but
        that no PodDisruptionBudget selects. Single-replica workloads are left to AV001: a PDB cannot
        protect one pod without blocking node drains.

    Why it matters:
        Node drains (cluster upgrades, autoscaler scale-down, spot reclaim) evict pods through the
        eviction API, which only slows down when a PDB says so. Without one, a drain may evict every
        replica at once and the service is down until they are rescheduled.

    Example:
        ```yaml
        kind: Deployment
        metadata: {name: cart}
        spec: {replicas: 3}     # and no PodDisruptionBudget selecting app=cart
        ```

    Fix:
        ```yaml
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: cart}
        spec:
          maxUnavailable: 1
          selector: {matchLabels: {app: cart}}
        ```

    Trade-offs:
        Drains take longer (one pod at a time); a PDB that is too strict blocks drains entirely (AV005).
    """

    code = "AV004"
    name = "missing-disruption-budget"
    category = Category.AVAILABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes" or c.workload not in ("Deployment", "StatefulSet") or c.is_batch:
                continue
            n = ctx.replicas(c)
            if n is None or n < 2 or not ctx.has_traffic(c) or ctx.is_tooling(c):
                continue
            if c.disruption_budgets or ctx.objects_selecting(c.name, "PodDisruptionBudget"):
                continue
            file, line = ctx.where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=f"`{c.name}` runs {n} replicas but no PodDisruptionBudget selects its pods.",
                why=(
                    f"A node drain or cluster upgrade may evict all {n} `{c.name}` pods at once; requests "
                    "fail until replacements are scheduled and ready."
                ),
                fix=(
                    "apiVersion: policy/v1\nkind: PodDisruptionBudget\n"
                    f"metadata: {{name: {c.name}}}\nspec:\n  maxUnavailable: 1\n"
                    f"  selector: {{matchLabels: {{{_label(c)}}}}}"
                ),
                tradeoff="Drains evict one pod at a time and take longer; no runtime cost.",
            )
