"""AV008 rollout-takes-all-down: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import doc_of
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.availability._shared import _percent_or_int


@register
class RolloutTakesAllDown(Rule):
    """Rollout settings that can take every replica down at once.

    What it does:
        Flags a Deployment that takes traffic whose update strategy is ``Recreate`` (every pod is killed
        before any new one starts), or whose ``rollingUpdate.maxUnavailable`` resolves to at least the
        replica count (for example ``100%``, or ``1`` with one replica). Deployments with a
        ReadWriteOnce volume and one replica are left alone: there Recreate is the correct choice.

    Why it matters:
        Every deploy becomes an outage: between the old pods stopping and the new ones passing readiness
        there is nothing to serve requests, and a bad image means the outage lasts until a rollback.

    Example:
        ```yaml
        spec:
          replicas: 3
          strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 100%}}
        ```

    Fix:
        Unsafe (rollouts then surge one extra pod, which needs room on a node): set the strategy to a
        rolling update that keeps every replica up. A Deployment that mounts a persistent volume claim
        gets advice instead: a surged pod would hang on a ReadWriteOnce volume (AV007's story).
        ```yaml
        spec:
          strategy:
            type: RollingUpdate
            rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
        ```

    Trade-offs:
        Surging needs room for one extra pod during the rollout, and rollouts take longer.
    """

    code = "AV008"
    name = "rollout-takes-all-down"
    category = Category.AVAILABILITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            s = c.update_strategy
            if c.workload != "Deployment" or s is None or not ctx.has_traffic(c) or ctx.is_tooling(c):
                continue
            n = ctx.replicas(c)
            if s.type == "Recreate":
                rwo = any(v.type == "persistentVolumeClaim" for v in c.volumes)
                if rwo and (n or 1) < 2:
                    continue
                problem = "strategy Recreate stops every pod before starting new ones"
            else:
                if n is None or s.max_unavailable is None:
                    continue
                down = _percent_or_int(s.max_unavailable, n, round_up=False)
                if down is None or down < n:
                    continue
                problem = (
                    f"rollingUpdate.maxUnavailable {s.max_unavailable} lets all {n} replica(s) go at once"
                )
            src = s.source or c.source
            yield self.on(
                ctx,
                c,
                file=src.file,
                line=src.line,
                message=f"`{c.name}` rollouts can take every replica down: {problem}.",
                why=(
                    f"Each deploy of `{c.name}` leaves no ready pod until the new ones pass readiness; a bad "
                    "image turns that gap into an outage lasting until rollback."
                ),
                fix=self._fix(c),
                tradeoff="Needs room for one extra pod during rollouts; rollouts take a little longer.",
            )

    @staticmethod
    def _fix(c: Component) -> Fix:
        name = c.object_name or c.name
        title = f"roll `{name}` out one surged pod at a time, every replica up"
        doc = doc_of(c)
        claims = [v.claim or v.name for v in c.volumes if v.type == "persistentVolumeClaim"]
        if doc is None or claims:
            why = (
                f"`{name}` mounts claim `{claims[0]}`: a surged pod would wait on it"
                if claims
                else f"`{name}` has no manifest to edit"
            )
            return advice(
                title,
                f"No edit is offered because {why}. Give each replica its own claim (a StatefulSet), then "
                "use a rolling update with maxUnavailable: 0 and maxSurge: 1.",
            )
        return unsafe(title, Edit(doc=doc, op=Op.SET, path=("spec", "strategy"), value=_rolling()))


def _rolling() -> dict[str, object]:
    """A rolling update that keeps every replica serving and starts one new pod at a time."""
    return {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
