"""IN002 hpa-target-missing: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.integrity._shared import _adjusted, _objects


@register
class HpaTargetMissing(Rule):
    """What it does:
    Flags a HorizontalPodAutoscaler whose `scaleTargetRef` names a workload the scan did not find.

    Why it matters:
    The HPA is accepted and reports `FailedGetScale`; the workload it was meant to scale stays at its fixed
    replica count. Capacity planning that counts on the autoscaler is wrong, and the first traffic peak
    finds out.

    Example:
    scaleTargetRef: {kind: Deployment, name: front-end}   # the Deployment is called frontend

    Fix:
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: frontend}

    Trade-offs:
    None.
    """

    code = "IN002"
    name = "hpa-target-missing"
    category = Category.INTEGRITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "HorizontalPodAutoscaler"):
            if o.selects:
                continue
            ref = o.spec.get("scaleTargetRef") if isinstance(o.spec.get("scaleTargetRef"), dict) else {}
            target = (
                f"{ref.get('kind')}/{ref.get('name')}"
                if ref and ref.get("name")
                else (o.refs[0] if o.refs else "<none>")
            )
            severity, note = _adjusted(ctx, self.severity)
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                severity=severity,
                message=(
                    f"HorizontalPodAutoscaler `{o.name}` targets `{target}`, which does not exist in "
                    "namespace "
                    f"`{o.namespace}`{note}"
                ),
                why=(
                    f"`{o.name}` scales nothing: the workload it was meant for stays at its fixed replica "
                    "count "
                    "through the next traffic peak."
                ),
                fix=(
                    f"# HPA {o.name}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n"
                    "    kind: Deployment\n    name: <an existing Deployment>"
                ),
                tradeoff="None.",
            )
