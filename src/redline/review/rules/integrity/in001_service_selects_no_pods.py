"""IN001 service-selects-no-pods: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import object_doc
from redline.fix.edits import Edit, Fix, Op, Safety, unsafe
from redline.model import K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.integrity._shared import (
    _adjusted,
    _fmt_selector,
    _meant_pods,
    _near_misses,
    _objects,
    _selector,
)


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

    Unsafe: the Service starts routing to pods it did not reach before. The edit is offered only when
    one workload of the namespace is plainly the one meant (named like the Service or its labels, case
    and separators aside or one letter away; else the only one carrying the selector's keys) and its
    own pod selector selects no other workload's pods; otherwise, and when the scan skipped files that
    may define the pods, the fix is advice.

    Trade-offs:
    None. Keep selectors and pod labels in one place (kustomize `labels`, Helm helpers) so they cannot
    drift.
    """

    code = "IN001"
    name = "service-selects-no-pods"
    category = Category.INTEGRITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

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
                fix=self._fix(ctx, o, sel),
                tradeoff="None; keep selectors and pod labels defined in one place so they cannot drift.",
            )

    @staticmethod
    def _fix(ctx: Context, o: K8sObject, sel: dict[str, str]) -> Fix:
        title = f"select the pods of the workload Service `{o.name}` is for"
        meant = _meant_pods(
            ctx,
            o,
            sel,
            title,
            how="Set spec.selector to the pod labels of the workload it serves",
            missing=(
                "Set spec.selector to the pod template labels of the workload this Service routes to: no "
                f"workload of namespace `{o.namespace}` is named like it or alone carries its label keys, "
                "so none is picked."
            ),
        )
        if isinstance(meant, Fix):
            return meant
        w, own = meant
        return unsafe(
            f"select `{w.name}`'s pods ({_fmt_selector(own)})",
            Edit(doc=object_doc(o), op=Op.SET, path=("spec", "selector"), value=own),
        )
