"""SC006 hpa-target-too-high: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from redline.fix.build import hpa_of
from redline.fix.edits import Edit, Fix, Op, Path, Safety, advice, unsafe
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.scalability._shared import _hpa_edit_refusal, _hpa_name, _hpa_source


@register
class HpaTargetTooHigh(Rule):
    """HPA CPU target so high that pods saturate before new ones are ready.

    What it does:
        Flags an HPA whose CPU utilization target is at or above ``hpa_max_target`` (default 0.9, i.e. 90%).

    Why it matters:
        The HPA only adds pods once the average is above the target, and new pods take a minute or more
        to be scheduled, started and ready. At 90%+ there is no headroom for that minute: latency climbs
        and requests time out while the scale-up is in flight.

    Example:
        ```yaml
        metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 95}}
        ```

    Fix:
        Unsafe (more pods run at steady state): set the CPU metric's target to 65% (or 10 points below
        ``hpa_max_target`` when that is lower), in the form the HPA is written in (``autoscaling/v2``
        ``averageUtilization``, ``v2beta1`` ``targetAverageUtilization``, ``v1``
        ``targetCPUUtilizationPercentage``). An HPA on a single-writer datastore gets advice: it should
        not exist (SC007).
        ```yaml
        resource: {name: cpu, target: {type: Utilization, averageUtilization: 65}}
        ```

    Trade-offs:
        A lower target runs more pods at steady state (roughly target-old / target-new times the cost).
    """

    code = "SC006"
    name = "hpa-target-too-high"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        limit = float(ctx.threshold("hpa_max_target", 0.9))
        for c in ctx.system.components:
            a = c.autoscaling
            if a is None or a.target_cpu_utilization is None or a.target_cpu_utilization < limit:
                continue
            pct = round(a.target_cpu_utilization * 100)
            new = max(1, min(65, round(limit * 100) - 10))
            file, line = _hpa_source(c)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"HPA `{_hpa_name(c)}` of `{c.name}` targets {pct}% CPU: pods saturate before new ones "
                    "are ready."
                ),
                why=(
                    f"New `{c.name}` pods take a minute or more to "
                    f"become ready; at {pct}% average CPU there is "
                    "no headroom for that minute, so latency climbs and requests time out during scale-up."
                ),
                fix=self._fix(ctx, c, new),
                tradeoff=f"Runs about {pct / new:.1f}x the pods at steady state.",
            )

    @staticmethod
    def _fix(ctx: Context, c: Component, new: int) -> Fix:
        title = f"scale `{c.object_name or c.name}` at {new}% CPU (HPA `{_hpa_name(c)}`)"
        doc, refusal = _hpa_edit_refusal(ctx, c)
        hpa = hpa_of(ctx.system, c)
        path = _cpu_target_path(hpa.spec) if hpa is not None else None
        if doc is None or path is None:
            why = refusal or "the HPA's CPU target is not written in a form redline knows"
            return advice(title, f"No edit is offered: {why}.")
        return unsafe(title, Edit(doc=doc, op=Op.SET, path=path, value=new))


def _cpu_target_path(spec: dict[str, Any]) -> Path | None:
    """Where an HPA states its CPU utilization target: v1's field, or its CPU Resource metric (v2beta1,
    v2)."""
    if "targetCPUUtilizationPercentage" in spec:
        return ("spec", "targetCPUUtilizationPercentage")
    metrics = spec.get("metrics")
    for i, m in enumerate(metrics if isinstance(metrics, list) else []):
        res = m.get("resource") if isinstance(m, dict) and m.get("type") == "Resource" else None
        if not isinstance(res, dict) or res.get("name") != "cpu":
            continue
        target = res.get("target")
        if isinstance(target, dict) and "averageUtilization" in target:
            return ("spec", "metrics", i, "resource", "target", "averageUtilization")
        if "targetAverageUtilization" in res:
            return ("spec", "metrics", i, "resource", "targetAverageUtilization")
    return None
