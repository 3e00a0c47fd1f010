"""AV005 disruption-budget-blocks-eviction: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import object_doc, single_writer
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component, DisruptionBudget
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.availability._shared import _percent_or_int


@register
class DisruptionBudgetBlocksEviction(Rule):
    """PodDisruptionBudget that allows zero disruptions.

    What it does:
        Flags a PodDisruptionBudget that can never allow an eviction: ``maxUnavailable: 0`` (or ``0%``),
        ``minAvailable: 100%``, or ``minAvailable`` at least the workload's replica count — or at least
        the HPA's ``minReplicas``, so that the budget blocks evictions whenever the HPA has scaled down.

    Why it matters:
        A budget that allows zero disruptions makes ``kubectl drain`` hang forever: cluster upgrades stall,
        the cluster autoscaler cannot remove the node, and operators end up deleting the PDB or the pods
        by hand in the middle of an incident.

    Example:
        ```yaml
        kind: PodDisruptionBudget
        spec: {minAvailable: 1, selector: {matchLabels: {app: api}}}   # api has replicas: 1
        ```

    Fix:
        Unsafe (drains then evict a pod they could not before): replace the budget's ``minAvailable``
        with ``maxUnavailable: 1``. With one replica that lets a drain take the only pod; run at least 2
        replicas for the budget to keep the service up (a single-writer datastore needs replication,
        not a second replica).
        ```yaml
        spec:
          maxUnavailable: 1
        ```

    Trade-offs:
        One replica may be down during a drain; with two or more replicas that is the capacity you plan
        for anyway.
    """

    code = "AV005"
    name = "disruption-budget-blocks-eviction"
    category = Category.AVAILABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            n = ctx.replicas(c)
            for pdb in c.disruption_budgets:
                reason = self._blocking(c, pdb.min_available, pdb.max_unavailable, n)
                if reason is None:
                    continue
                src = pdb.source or c.source
                yield self.on(
                    ctx,
                    c,
                    file=src.file,
                    line=src.line,
                    message=f"PodDisruptionBudget `{pdb.name}` on `{c.name}` allows no eviction: {reason}.",
                    why=(
                        f"`kubectl drain` on a node running a `{c.name}` pod waits forever; cluster "
                        "upgrades and autoscaler scale-downs stall until someone deletes the budget by hand."
                    ),
                    fix=self._fix(ctx, c, pdb, n),
                    tradeoff="One pod may be evicted at a time; plan capacity for n-1 replicas.",
                )

    @staticmethod
    def _fix(ctx: Context, c: Component, pdb: DisruptionBudget, n: int | None) -> Fix:
        obj = next(
            (o for o in ctx.objects_selecting(c.name, "PodDisruptionBudget") if o.name == pdb.name), None
        )
        then = ""
        if (n or 0) < 2:
            then = (
                "; then run it with replication, not a second replica"
                if single_writer(c)
                else f"; run at least 2 replicas of `{c.object_name or c.name}` too"
            )
        title = f"let PodDisruptionBudget `{pdb.name}` evict one pod at a time{then}"
        if obj is None:
            return advice(title, f"Set maxUnavailable: 1 in PodDisruptionBudget `{pdb.name}`{then}.")
        doc = object_doc(obj)
        edits = [Edit(doc=doc, op=Op.SET, path=("spec", "maxUnavailable"), value=1)]
        if pdb.min_available is not None:  # a budget states one of the two, never both
            edits.insert(0, Edit(doc=doc, op=Op.REMOVE, path=("spec", "minAvailable")))
        return unsafe(title, *edits)

    @staticmethod
    def _blocking(
        c: Component, min_available: int | str | None, max_unavailable: int | str | None, n: int | None
    ) -> str | None:
        if max_unavailable is not None:
            text = str(max_unavailable).strip()
            if text in ("0", "0%"):
                return f"maxUnavailable is {text}"
            return None
        if min_available is None:
            return None
        text = str(min_available).strip()
        if text == "100%":
            return "minAvailable is 100%"
        if n is None:
            return None
        need = _percent_or_int(min_available, n, round_up=True)
        if need is None:
            return None
        if c.autoscaling is not None and need >= n:
            return (
                f"minAvailable {text} >= the HPA's minReplicas {n}, so it blocks whenever the HPA scales down"
            )
        if need >= n:
            return f"minAvailable {text} >= replicas {n}"
        return None
