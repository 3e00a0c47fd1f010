"""IN004 pdb-selects-nothing: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import object_doc
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import as_int
from redline.review.rules.integrity._shared import (
    _adjusted,
    _fmt_selector,
    _meant_pods,
    _objects,
    _selector,
)


@register
class PdbSelectsNothing(Rule):
    """What it does:
    Flags a PodDisruptionBudget whose selector matches no workload's pods in its namespace.

    Why it matters:
    The budget protects nothing: node drains, cluster upgrades and autoscaler scale-downs may evict every
    replica of the workload it was written for at once. It looks like protection in review and is not.

    Example:
    PDB selector `app: checkout`; the Deployment's pods are labelled `app: checkoutservice`.

    Fix:
    spec:
      minAvailable: 1
      selector: {matchLabels: {app: checkoutservice}}

    Unsafe: the budget starts holding back evictions of pods it did not cover before. The selector is the
    workload's own pod selector, offered only when one workload of the namespace is plainly the one
    meant (named like the budget or its labels, case and separators aside or one letter away; else the
    only one carrying the selector's keys), that selector selects no other workload's pods (a label the
    whole app shares, like `app: shop`, would put every pod under one budget), and the budget would
    still let one pod go (a budget with no disruption allowed on a single replica blocks every node
    drain). Otherwise the fix is advice.

    Trade-offs:
    None.
    """

    code = "IN004"
    name = "pdb-selects-nothing"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "PodDisruptionBudget"):
            if o.selects:
                continue
            sel = _selector(o)
            severity, note = _adjusted(ctx, self.severity)
            shown = _fmt_selector(sel) if sel else "everything (empty selector)"
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                severity=severity,
                message=(
                    f"PodDisruptionBudget `{o.name}` selects {shown} but no pods in namespace "
                    f"`{o.namespace}` match{note}"
                ),
                why=(
                    f"`{o.name}` protects nothing: a node drain or cluster upgrade may evict every replica "
                    "of the "
                    "workload it was meant for at once."
                ),
                fix=self._fix(ctx, o, sel),
                tradeoff="None.",
            )

    @staticmethod
    def _fix(ctx: Context, o: K8sObject, sel: dict[str, str]) -> Fix:
        title = f"select the pods PodDisruptionBudget `{o.name}` was written for"
        how = "Set spec.selector to the pod selector of the workload it protects"
        missing = (
            f"{how}, or delete it: no workload of namespace `{o.namespace}` is named like it or alone "
            "carries its label keys."
        )
        meant = _meant_pods(ctx, o, sel, title, how=how, missing=missing)
        if isinstance(meant, Fix):
            return meant
        w, own = meant
        n = ctx.replicas(w)
        if n is not None and n < 2 and not _lets_one_go(o):
            return advice(
                title,
                f"`{w.name}` runs {n} replica(s): this budget would allow no eviction and block every "
                "node drain. Run at least 2 replicas first, or budget with maxUnavailable: 1.",
            )
        return unsafe(
            f"select `{w.name}`'s pods ({_fmt_selector(own)})",
            Edit(doc=object_doc(o), op=Op.SET, path=("spec", "selector"), value={"matchLabels": own}),
        )


def _lets_one_go(o: K8sObject) -> bool:
    """A budget stated as ``maxUnavailable`` of at least one pod: it never blocks a drain by itself."""
    value = o.spec.get("maxUnavailable")
    n = as_int(value)
    return (n is not None and n >= 1) or (isinstance(value, str) and value.endswith("%") and value != "0%")
