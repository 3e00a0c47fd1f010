"""SC002 hpa-min-equals-max: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.scalability._shared import (
    _hpa_edit_refusal,
    _hpa_name,
    _hpa_source,
    _raised_max,
)


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
        Unsafe (the replica count then moves with load): raise ``maxReplicas`` to four times the minimum
        (from at least 2); cap it where downstream capacity runs out. An HPA on a single-writer datastore
        gets advice instead: it should not exist (SC007).
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
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            a = c.autoscaling
            if a is None or a.max_replicas is None:
                continue
            lo = a.min_replicas if a.min_replicas is not None else 1
            if lo != a.max_replicas:
                continue
            file, line = _hpa_source(c)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"HPA `{_hpa_name(c)}` of `{c.name}` has minReplicas "
                    f"= maxReplicas = {lo}: it can never scale."
                ),
                why=(
                    f"Under load `{c.name}` stays at {lo} replica(s); the autoscaler only looks like elastic "
                    "capacity."
                ),
                fix=self._fix(ctx, c, lo),
                tradeoff=(
                    "More replicas under load cost more and need cluster "
                    "headroom; cap at what downstream capacity allows."
                ),
            )

    @staticmethod
    def _fix(ctx: Context, c: Component, lo: int) -> Fix:
        top = _raised_max(lo)
        title = f"let HPA `{_hpa_name(c)}` scale `{c.object_name or c.name}` up to {top} replicas"
        doc, refusal = _hpa_edit_refusal(ctx, c)
        if doc is None:
            return advice(title, f"No edit is offered: {refusal}.")
        return unsafe(title, Edit(doc=doc, op=Op.SET, path=("spec", "maxReplicas"), value=top))
