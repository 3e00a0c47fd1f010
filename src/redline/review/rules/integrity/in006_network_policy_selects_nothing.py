"""IN006 network-policy-selects-nothing: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.integrity._shared import _adjusted, _fmt_selector, _objects, _selector


@register
class NetworkPolicySelectsNothing(Rule):
    """What it does:
    Flags a NetworkPolicy with a non-empty `podSelector` that matches no workload's pods in its namespace.
    (An empty `podSelector: {}` means every pod and is not reported.)

    Why it matters:
    The policy was written to isolate something and isolates nothing: the pods it was meant for accept
    connections from anywhere. Like a PDB that selects nothing, it looks like protection in review.

    Example:
    podSelector: {matchLabels: {app: redis}}   # the pods are labelled app: redis-cart

    Fix:
    spec:
      podSelector: {matchLabels: {app: redis-cart}}

    Trade-offs:
    Fixing it turns the policy on: check that its allow rules cover every real caller first.
    """

    code = "IN006"
    name = "network-policy-selects-nothing"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "NetworkPolicy"):
            sel = _selector(o, "podSelector")
            if not sel or o.selects:
                continue
            severity, note = _adjusted(ctx, self.severity)
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                severity=severity,
                message=(
                    f"NetworkPolicy `{o.name}` selects pods with {_fmt_selector(sel)}, but no pods in "
                    "namespace "
                    f"`{o.namespace}` match{note}"
                ),
                why=(
                    f"`{o.name}` isolates nothing: the pods it was written for accept connections from any "
                    "pod."
                ),
                fix=(
                    f"# NetworkPolicy {o.name}\nspec:\n  podSelector: {{matchLabels: {{app: <the pods' app "
                    "label>}}}}"
                ),
                tradeoff=(
                    "Fixing it enforces the policy: check its allow rules cover every real caller first."
                ),
            )
