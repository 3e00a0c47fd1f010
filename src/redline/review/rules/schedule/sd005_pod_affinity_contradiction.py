"""SD005 pod-affinity-contradiction: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import doc_of, pod_spec_path
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component
from redline.model.system import AffinityTerm
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import loc, where
from redline.review.rules.schedule._shared import (
    _carriers,
    _k8s_workloads,
    _max_replicas,
    _namespaces,
    _selector_text,
)


@register
class PodAffinityContradiction(Rule):
    """What it does:
    Flags a pod that is required both to run with and apart from the same pods: a required `podAffinity`
    and a required `podAntiAffinity` term with the same `matchLabels`, `topologyKey` and namespaces,
    when those labels are carried by another workload, or by the pod itself while it runs more than one
    replica (HPA `maxReplicas` included).

    Why it matters:
    Affinity needs a matching pod in the node's domain; anti-affinity forbids one there. No node can
    satisfy both, so the pods stay Pending with `didn't match pod affinity/anti-affinity rules`. With only
    itself matching, the first replica starts and every further one is Pending: a scale-out that never
    happens.

    Example:
    podAffinity and podAntiAffinity both required on `{app: web}`, topologyKey kubernetes.io/hostname.

    Fix:
    affinity:
      podAntiAffinity:   # keep the one that was meant; spread replicas with anti-affinity only
        requiredDuringSchedulingIgnoredDuringExecution:
          - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}

    Unsafe: the pods are then placed without the co-location the affinity term asked for. The required
    podAffinity is removed and the anti-affinity kept, when it is the pod's only required pod-affinity
    term; otherwise the fix is advice.

    Trade-offs:
    None: the two terms cannot both hold.
    """

    code = "SD005"
    name = "pod-affinity-contradiction"
    category = Category.SCHEDULE
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_workloads(ctx):
            if c.placement is None:
                continue
            for term in c.placement.pod_affinity:
                anti = next(
                    (
                        u
                        for u in c.placement.pod_anti_affinity
                        if term.exact
                        and u.exact
                        and u.labels == term.labels
                        and u.topology_key == term.topology_key
                        and _namespaces(c, u) == _namespaces(c, term)
                    ),
                    None,
                )
                if anti is None:
                    continue
                carriers = _carriers(ctx, c, term)
                others = [w.name for w in carriers if w.name != c.name]
                n = _max_replicas(ctx, c)
                if others:
                    outcome = f"`{', '.join(others)}` carries them, so no pod of `{c.name}` can be placed"
                elif carriers and n is not None and n > 1:
                    outcome = f"only the first of its {n} replicas can be placed"
                else:
                    continue
                file, line = where(term.source, c.placement.source, c.source)
                yield self.on(
                    ctx,
                    c,
                    file=file,
                    line=line,
                    message=(
                        f"`{c.name}` requires both pod affinity and anti-affinity to {_selector_text(term)} "
                        f"on topologyKey {term.topology_key}: {outcome}"
                    ),
                    why=(
                        "Affinity needs a matching pod in the node's domain and anti-affinity forbids one "
                        "there: no node satisfies both, and the pods stay Pending."
                    ),
                    fix=self._fix(c, term),
                    tradeoff="None: the two terms cannot both hold.",
                    evidence=[f"{loc(anti.source)} the anti-affinity term"],
                )

    @staticmethod
    def _fix(c: Component, term: AffinityTerm) -> Fix:
        title = f"drop `{c.name}`'s required pod affinity to {_selector_text(term)}"
        doc, pod = doc_of(c), pod_spec_path(c)
        if doc is None or pod is None or c.placement is None or len(c.placement.pod_affinity) != 1:
            return advice(
                title,
                "Remove the required podAffinity term that repeats the anti-affinity one (keep the "
                "anti-affinity that spreads the pods); the pod has several required terms.",
            )
        return unsafe(
            title,
            Edit(
                doc=doc,
                op=Op.REMOVE,
                path=(*pod, "affinity", "podAffinity", "requiredDuringSchedulingIgnoredDuringExecution"),
            ),
        )
