"""SD004 pod-affinity-unsatisfiable: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import doc_of, pod_spec_path
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component
from redline.model.system import AffinityTerm
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import where
from redline.review.rules.schedule._shared import (
    _INERT_KINDS,
    _carriers,
    _k8s_workloads,
    _namespaces,
    _selector_text,
    affinity_term,
)


@register
class PodAffinityUnsatisfiable(Rule):
    """What it does:
    Flags a required pod affinity (`podAffinity.requiredDuringSchedulingIgnoredDuringExecution`) whose
    `matchLabels` no workload of the repository carries in the term's namespaces, the pod itself included
    (a pod that matches its own term may start alone). Skipped when the term also uses `matchExpressions`
    or a `namespaceSelector`, when the scan skipped files, or when the namespace holds custom resources
    (an operator may create the pods meant).

    Why it matters:
    The scheduler places the pod only next to a pod carrying those labels. There is none, so every pod
    stays Pending with `didn't match pod affinity rules`: the workload never starts, though it applied
    cleanly. It usually follows a label rename on the workload it was meant to follow.

    Example:
    podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app:
    redis-cache}}, topologyKey: kubernetes.io/hostname}]} while the cache's pods carry `app: redis`.

    Fix:
    affinity:
      podAffinity:
        preferredDuringSchedulingIgnoredDuringExecution:   # or fix the labels to the real ones
          - weight: 100
            podAffinityTerm: {labelSelector: {matchLabels: {app: redis}}, topologyKey: kubernetes.io/hostname}

    Unsafe: the pods are then placed without the co-location the term asked for. The term is rewritten
    as a preferred one with the same selector, topology key and namespaces, when it is the pod's only
    required pod-affinity term; the labels it should name are for a person to fix (several workloads may
    be the one meant). Otherwise the fix is advice.

    Trade-offs:
    A preferred affinity never blocks scheduling, but co-location is then best effort.
    """

    code = "SD004"
    name = "pod-affinity-unsatisfiable"
    category = Category.SCHEDULE
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        if ctx.system.skipped:
            return
        for c in _k8s_workloads(ctx):
            if c.placement is None:
                continue
            for term in c.placement.pod_affinity:
                if not term.exact or _carriers(ctx, c, term):
                    continue
                spaces = _namespaces(c, term)
                if any(o.namespace in spaces and o.kind not in _INERT_KINDS for o in ctx.system.objects):
                    continue
                file, line = where(term.source, c.placement.source, c.source)
                yield self.on(
                    ctx,
                    c,
                    file=file,
                    line=line,
                    message=(
                        f"`{c.name}` requires pod affinity to {_selector_text(term)} "
                        f"(topologyKey {term.topology_key}), but no pod in namespace "
                        f"{', '.join(f'`{n}`' for n in sorted(spaces))} carries those labels: its pods stay "
                        "Pending"
                    ),
                    why=(
                        f"The scheduler places `{c.name}` only next to a pod with {_selector_text(term)}; "
                        "there is none, so no pod of it ever starts."
                    ),
                    fix=self._fix(c, term),
                    tradeoff="A preferred affinity never blocks scheduling; co-location is then best effort.",
                )

    @staticmethod
    def _fix(c: Component, term: AffinityTerm) -> Fix:
        title = f"make `{c.name}`'s pod affinity to {_selector_text(term)} preferred"
        doc, pod = doc_of(c), pod_spec_path(c)
        if doc is None or pod is None or c.placement is None or len(c.placement.pod_affinity) != 1:
            return advice(
                title,
                f"Point the term at the labels the pods `{c.name}` should follow carry, or make it "
                "preferredDuringSchedulingIgnoredDuringExecution; the pod has several required terms.",
            )
        return unsafe(
            title,
            Edit(
                doc=doc,
                op=Op.REMOVE,
                path=(*pod, "affinity", "podAffinity", "requiredDuringSchedulingIgnoredDuringExecution"),
            ),
            Edit(
                doc=doc,
                op=Op.ADD,
                path=(*pod, "affinity", "podAffinity", "preferredDuringSchedulingIgnoredDuringExecution"),
                value={"weight": 100, "podAffinityTerm": affinity_term(term)},
            ),
        )
