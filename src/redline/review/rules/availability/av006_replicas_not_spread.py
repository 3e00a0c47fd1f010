"""AV006 replicas-not-spread: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import doc_of, own_selector, pod_spec_path, selector_refusal
from redline.fix.edits import Edit, Fix, Op, Safety, advice, safe
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register

#: Soft spreading, node first: a node failure is the common case, a zone failure the larger one.
_TOPOLOGY_KEYS = ("kubernetes.io/hostname", "topology.kubernetes.io/zone")


@register
class ReplicasNotSpread(Rule):
    """Multi-replica workload with nothing that spreads its replicas across nodes or zones.

    What it does:
        Flags a Kubernetes Deployment or StatefulSet with two or more replicas that has neither pod
        anti-affinity nor ``topologySpreadConstraints``.

    Why it matters:
        The scheduler's default spreading is best effort (``ScheduleAnyway``): under pressure, or after a
        scale-up onto a fresh node, all replicas can land on one node or in one zone. Then one node or
        zone failure takes every replica down and the replica count bought nothing.

    Example:
        ```yaml
        kind: Deployment
        spec: {replicas: 3}       # no affinity, no topologySpreadConstraints
        ```

    Fix:
        Safe: add two soft ``topologySpreadConstraints`` to the pod template, across nodes and across
        zones, selecting the workload's own pods. ``whenUnsatisfiable: ScheduleAnyway`` only ranks nodes,
        so it never leaves a pod Pending (a node without a zone label still takes pods). When the
        workload's selector also selects another workload's pods, the fix is advice: the skew would be
        counted over the other workload's pods too.
        ```yaml
        spec:
          template:
            spec:
              topologySpreadConstraints:
              - maxSkew: 1
                topologyKey: kubernetes.io/hostname
                whenUnsatisfiable: ScheduleAnyway
                labelSelector: {matchLabels: {app: api}}
              - maxSkew: 1
                topologyKey: topology.kubernetes.io/zone
                whenUnsatisfiable: ScheduleAnyway
                labelSelector: {matchLabels: {app: api}}
        ```

    Trade-offs:
        With ``DoNotSchedule`` pods can stay Pending when a zone is full; ``ScheduleAnyway`` keeps
        scheduling but only prefers spreading. Cross-zone traffic may cost money.
    """

    code = "AV006"
    name = "replicas-not-spread"
    category = Category.AVAILABILITY
    severity = Severity.LOW
    fix_safety = Safety.SAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes" or c.workload not in ("Deployment", "StatefulSet") or c.is_batch:
                continue
            n = ctx.replicas(c)
            if n is None or n < 2 or ctx.is_tooling(c):
                continue
            p = c.placement
            if p is not None and (p.anti_affinity or p.topology_spread):
                continue
            file, line = ctx.where(c)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"`{c.name}` runs {n} replicas with no pod anti-affinity or topology spread constraint."
                ),
                why=(
                    f"Nothing stops all {n} `{c.name}` pods from landing on one node or zone; losing that "
                    "node or zone then takes every replica down at once."
                ),
                fix=self._fix(ctx, c),
                tradeoff=(
                    "Strict spreading (DoNotSchedule) can leave pods Pending when a zone is full; "
                    "cross-zone traffic may be billed."
                ),
            )

    @staticmethod
    def _fix(ctx: Context, c: Component) -> Fix:
        name = c.object_name or c.name
        title = f"spread `{name}`'s replicas across nodes and zones"
        doc, pod, sel = doc_of(c), pod_spec_path(c), own_selector(ctx.system, c)
        if doc is None or pod is None or sel is None:
            why = selector_refusal(ctx.system, c) if doc is not None else f"`{name}` has no manifest to edit"
            return advice(
                title,
                f"No edit is offered because {why}. Give its pods a label of their own, then add "
                "topologySpreadConstraints (maxSkew: 1, whenUnsatisfiable: ScheduleAnyway) across "
                "kubernetes.io/hostname and topology.kubernetes.io/zone selecting them.",
            )
        edits = [
            Edit(
                doc=doc,
                op=Op.ADD,
                path=(*pod, "topologySpreadConstraints"),
                value={
                    "maxSkew": 1,
                    "topologyKey": key,
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": sel},
                },
            )
            for key in _TOPOLOGY_KEYS
        ]
        return safe(title, *edits)
