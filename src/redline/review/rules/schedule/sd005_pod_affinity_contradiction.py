"""SD005 pod-affinity-contradiction: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import loc, where
from redline.review.rules.schedule._shared import (
    _carriers,
    _k8s_workloads,
    _max_replicas,
    _namespaces,
    _selector_text,
    _yaml_labels,
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

    Trade-offs:
    None: the two terms cannot both hold.
    """

    code = "SD005"
    name = "pod-affinity-contradiction"
    category = Category.SCHEDULE
    severity = Severity.HIGH

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
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=(
                        f"`{c.name}` requires both pod affinity and anti-affinity to {_selector_text(term)} "
                        f"on topologyKey {term.topology_key}: {outcome}"
                    ),
                    why=(
                        "Affinity needs a matching pod in the node's domain and anti-affinity forbids one "
                        "there: no node satisfies both, and the pods stay Pending."
                    ),
                    fix=(
                        f"# {c.name}\naffinity:\n  podAntiAffinity:   # drop the podAffinity term\n"
                        "    requiredDuringSchedulingIgnoredDuringExecution:\n"
                        f"      - {{labelSelector: {{matchLabels: {{{_yaml_labels(term)}}}}}, "
                        f"topologyKey: {term.topology_key}}}"
                    ),
                    tradeoff="None: the two terms cannot both hold.",
                    evidence=[f"{loc(anti.source)} the anti-affinity term"],
                )
