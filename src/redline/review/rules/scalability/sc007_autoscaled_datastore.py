"""SC007 autoscaled-datastore: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Safety, advice
from redline.model import Kind
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.scalability._shared import _hpa_name, _hpa_source


@register
class AutoscaledDatastore(Rule):
    """HorizontalPodAutoscaler on a datastore or queue.

    What it does:
        Flags an HPA that targets a component of kind datastore or queue.

    Why it matters:
        Adding replicas of a database or broker by CPU does not add capacity unless the engine clusters
        them: a new Postgres or MongoDB pod starts as an independent, empty instance (or must first copy
        the whole dataset), and scaling in removes members that hold data or partitions.

    Example:
        ```yaml
        kind: HorizontalPodAutoscaler
        spec: {scaleTargetRef: {kind: StatefulSet, name: postgres}, maxReplicas: 5}
        ```

    Fix:
        Advice only: remove the HPA; scale the datastore vertically, with read replicas managed by an
        operator, or use a managed service with storage autoscaling. No edit is offered: deleting the HPA
        leaves the workload at whatever count it last scaled to, and the right size is the owner's call.

    Trade-offs:
        Vertical scaling needs a restart (or in-place resize); read replicas serve slightly stale reads.
    """

    code = "SC007"
    name = "autoscaled-datastore"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.autoscaling is None or c.kind not in (Kind.DATASTORE, Kind.QUEUE):
                continue
            file, line = _hpa_source(c)
            name = c.object_name or c.name
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"HPA `{_hpa_name(c)}` autoscales {c.kind.value} `{c.name}`"
                    f"{f' ({c.engine})' if c.engine else ''}: new replicas do not add capacity by themselves."
                ),
                why=(
                    f"A new `{c.name}` pod starts as an independent "
                    "or empty member that must first sync data; "
                    "a scale-in removes members that hold data or partitions."
                ),
                fix=advice(
                    f"remove HPA `{_hpa_name(c)}` from `{name}`",
                    f"Delete HorizontalPodAutoscaler `{_hpa_name(c)}` ({file}) and set `{name}`'s replica "
                    "count to the instances its engine is configured to run together; grow it vertically "
                    "(larger CPU and memory requests), with read replicas an operator manages, or as a "
                    "managed service. No edit is offered: redline edits no deletions, and the size is "
                    "yours to choose.",
                ),
                tradeoff="Vertical scaling needs a restart; read replicas serve slightly stale reads.",
            )
