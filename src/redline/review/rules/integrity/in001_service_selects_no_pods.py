"""IN001 service-selects-no-pods: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.integrity._shared import _adjusted, _fmt_selector, _near_misses, _objects, _selector


@register
class ServiceSelectsNoPods(Rule):
    """What it does:
    Flags a Kubernetes Service with a selector that matches the pod labels of no workload in its
    namespace. Services without a selector (ExternalName, or Endpoints managed by hand) are skipped.

    Why it matters:
    The Service resolves in DNS, so callers connect, but it has no endpoints: every connection is refused
    or times out. It usually follows a label rename in the Deployment that the Service did not get, and
    nothing fails at apply time.

    Example:
    Deployment template labels `app: payments-v2`; Service selector `app: payments`.

    Fix:
    spec:
      selector: {app: payments-v2}   # exactly the pod template's labels

    Trade-offs:
    None. Keep selectors and pod labels in one place (kustomize `labels`, Helm helpers) so they cannot
    drift.
    """

    code = "IN001"
    name = "service-selects-no-pods"
    category = Category.INTEGRITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "Service"):
            sel = _selector(o)
            if not sel or o.selects or o.spec.get("type") == "ExternalName":
                continue
            severity, note = _adjusted(ctx, self.severity)
            near = _near_misses(ctx, o, sel)
            hint = f"; closest: {', '.join(near[:3])}" if near else ""
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                severity=severity,
                message=(
                    f"Service `{o.name}` selects {_fmt_selector(sel)} but no pods in namespace "
                    f"`{o.namespace}` carry those labels{hint}{note}"
                ),
                why=(
                    f"`{o.name}` resolves in DNS but has no endpoints: every caller's connection is "
                    "refused or "
                    "times out, and nothing failed when it was applied."
                ),
                fix=f"# Service {o.name}\nspec:\n  selector: {{app: <the pod template's app label>}}",
                tradeoff="None; keep selectors and pod labels defined in one place so they cannot drift.",
            )
