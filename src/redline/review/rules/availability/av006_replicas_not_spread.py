"""AV006 replicas-not-spread: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.availability._shared import _label


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
        ```yaml
        spec:
          template:
            spec:
              topologySpreadConstraints:
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
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"`{c.name}` runs {n} replicas with no pod anti-affinity or topology spread constraint."
                ),
                why=(
                    f"Nothing stops all {n} `{c.name}` pods from landing on one node or zone; losing that "
                    "node or zone then takes every replica down at once."
                ),
                fix=(
                    "spec:\n  template:\n    spec:\n      topologySpreadConstraints:\n      - maxSkew: 1\n"
                    "        topologyKey: topology.kubernetes.io/zone\n "
                    "       whenUnsatisfiable: ScheduleAnyway\n"
                    f"        labelSelector: {{matchLabels: {{{_label(c)}}}}}"
                ),
                tradeoff=(
                    "Strict spreading (DoNotSchedule) can leave pods Pending when a zone is full; "
                    "cross-zone traffic may be billed."
                ),
            )
