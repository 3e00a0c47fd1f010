"""IN004 pdb-selects-nothing: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.integrity._shared import _adjusted, _fmt_selector, _objects, _selector


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

    Trade-offs:
    None.
    """

    code = "IN004"
    name = "pdb-selects-nothing"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM

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
                fix=(
                    f"# PDB {o.name}\nspec:\n  minAvailable: 1\n"
                    "  selector: {matchLabels: {app: <the pod template's app label>}}"
                ),
                tradeoff="None.",
            )
