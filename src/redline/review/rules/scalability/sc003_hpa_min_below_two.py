"""SC003 hpa-min-below-two: see the class docstring."""

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
class HpaMinBelowTwo(Rule):
    """HorizontalPodAutoscaler that may scale down to a single replica.

    What it does:
        Flags an HPA on a workload that takes traffic whose ``minReplicas`` is 1 or unset (the API
        default is 1).

    Why it matters:
        At night the autoscaler removes all but one pod; that pod is then a single point of failure, and a
        morning spike hits one pod while new ones take a minute or more to start.

    Example:
        ```yaml
        kind: HorizontalPodAutoscaler
        spec: {maxReplicas: 10}        # minReplicas defaults to 1
        ```

    Fix:
        Unsafe (it changes the replica count): set ``minReplicas: 2``, and raise ``maxReplicas`` to 8
        when it is below 2 (the number SC002 proposes). An HPA on a single-writer datastore gets advice:
        it should not exist (SC007).
        ```yaml
        spec:
          minReplicas: 2
        ```

    Trade-offs:
        One more pod at idle (a fixed cost); the usual price of surviving a node failure at 3 a.m.
    """

    code = "SC003"
    name = "hpa-min-below-two"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            a = c.autoscaling
            if a is None or c.is_batch or not ctx.has_traffic(c) or ctx.is_tooling(c):
                continue
            lo = a.min_replicas
            if lo is not None and lo >= 2:
                continue
            shown = "minReplicas is unset (defaults to 1)" if lo is None else f"minReplicas is {lo}"
            file, line = _hpa_source(c)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=f"HPA `{_hpa_name(c)}` may scale `{c.name}` down to one replica: {shown}.",
                why=(
                    f"At low traffic `{c.name}` runs one pod: a single eviction or crash is then an outage, "
                    "and the next spike lands on one pod while new ones start."
                ),
                fix=self._fix(ctx, c),
                tradeoff="One more pod at idle: a small fixed cost.",
            )

    @staticmethod
    def _fix(ctx: Context, c: Component) -> Fix:
        title = f"keep at least 2 replicas of `{c.object_name or c.name}` (HPA `{_hpa_name(c)}`)"
        doc, refusal = _hpa_edit_refusal(ctx, c)
        if doc is None:
            return advice(title, f"No edit is offered: {refusal}.")
        edits = [Edit(doc=doc, op=Op.SET, path=("spec", "minReplicas"), value=2)]
        top = c.autoscaling.max_replicas if c.autoscaling else None
        if top is not None and top < 2:
            edits.append(Edit(doc=doc, op=Op.SET, path=("spec", "maxReplicas"), value=_raised_max(top)))
        return unsafe(title, *edits)
