"""IN006 network-policy-selects-nothing: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import object_doc
from redline.fix.edits import Edit, Fix, Op, Safety, unsafe
from redline.model import Component, K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.integrity._shared import (
    _adjusted,
    _fmt_selector,
    _meant_pods,
    _objects,
    _selector,
)
from redline.review.rules.network._shared import _allowed, _pod, _target, _types


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

    Unsafe: it turns the policy on, and from then on only what its rules allow reaches the pods. The
    selector is the workload's own pod selector, offered only when one workload of the namespace is
    plainly the one meant (named like the policy or its labels, case and separators aside or one letter
    away; else the only one carrying the selector's keys), that selector selects no other workload's
    pods, the policy restricts ingress only, and its ingress rules admit every caller the graph knows
    of that workload (by its real pod labels). With no caller known, a caller the rules do not admit
    (allow rules naming labels no caller carries), a shared label or an egress policy, the fix is
    advice.

    Trade-offs:
    Fixing it turns the policy on: check that its allow rules cover every real caller first.
    """

    code = "IN006"
    name = "network-policy-selects-nothing"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

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
                fix=self._fix(ctx, o, sel),
                tradeoff=(
                    "Fixing it enforces the policy: check its allow rules cover every real caller first."
                ),
            )

    @staticmethod
    def _fix(ctx: Context, o: K8sObject, sel: dict[str, str]) -> Fix:
        title = f"select the pods NetworkPolicy `{o.name}` was written for"
        how = "Set spec.podSelector to the pod selector of the workload it isolates"
        missing = (
            f"{how}, or delete it: no workload of namespace `{o.namespace}` is named like it or alone "
            "carries its label keys."
        )
        meant = _meant_pods(ctx, o, sel, title, how=how, missing=missing)
        if isinstance(meant, Fix):
            return meant
        w, own = meant
        fix = unsafe(
            f"select `{w.name}`'s pods ({_fmt_selector(own)})",
            Edit(doc=object_doc(o), op=Op.SET, path=("spec", "podSelector"), value={"matchLabels": own}),
        )
        why = _unsafe_to_enable(ctx, o, w)
        return fix if why is None else fix.as_advice(why)


def _unsafe_to_enable(ctx: Context, o: K8sObject, w: Component) -> str | None:
    """Why turning ``o`` on for ``w`` could cut off a call, or None when every known caller is admitted."""
    if "Egress" in _types(o):
        return (
            f"The policy also restricts `{w.name}`'s own outgoing calls and DNS lookups: check its egress "
            "rules allow them before selecting its pods."
        )
    calls = [
        (e, a)
        for e in ctx.calls_to(w.name)
        if not e.startup_only and (a := ctx.component(e.from_)) is not None and a.name != w.name
    ]
    if not calls:
        return (
            f"No caller of `{w.name}` is known: turned on, the policy could cut off callers the files do "
            "not show. Check its ingress rules against the real callers before selecting its pods."
        )
    shut = sorted(
        {
            a.name
            for e, a in calls
            if a.platform != "kubernetes"
            or _allowed(ctx, [o], "Ingress", _pod(a), _target(ctx, e, w), w) is not True
        }
    )
    if shut:
        verb = "calls" if len(shut) == 1 else "call"
        return (
            f"Its ingress rules do not admit {ctx.names(shut)}, which {verb} `{w.name}`: turned on as it "
            "is, the policy would cut those calls off. Allow them by their pod labels first."
        )
    return None
