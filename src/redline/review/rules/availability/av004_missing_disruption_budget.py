"""AV004 missing-disruption-budget: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, Safety, advice, unsafe
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.availability._shared import _no_pdb, _pdb


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
        Unsafe (a budget changes how drains proceed): create a PodDisruptionBudget beside the workload on
        its own pod selector. When that selector also selects another workload's pods (a label shared by
        the whole app, such as ``app: shop``) the fix is advice: a budget on it would count and hold back
        the other workloads' pods too; give the pods a label of their own first.
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
    fix_safety = Safety.UNSAFE

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
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=f"`{c.name}` runs {n} replicas but no PodDisruptionBudget selects its pods.",
                why=(
                    f"A node drain or cluster upgrade may evict all {n} `{c.name}` pods at once; requests "
                    "fail until replacements are scheduled and ready."
                ),
                fix=self._fix(ctx, c),
                tradeoff="Drains evict one pod at a time and take longer; no runtime cost.",
            )

    @staticmethod
    def _fix(ctx: Context, c: Component) -> Fix:
        name = c.object_name or c.name
        pdb = _pdb(ctx, c)
        if pdb is None:
            return advice(
                f"add a PodDisruptionBudget for `{name}` once its pods can be selected alone",
                f"No budget is offered because {_no_pdb(ctx, c)}. Give `{name}`'s pods a label no other "
                "workload carries, in its selector and pod template (a Deployment's selector cannot change "
                "in place: it is recreated), then select them with a budget of maxUnavailable: 1.",
            )
        return unsafe(f"add a PodDisruptionBudget (maxUnavailable: 1) for `{name}`", creates=(pdb,))
