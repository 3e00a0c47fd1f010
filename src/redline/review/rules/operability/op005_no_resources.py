"""OP005 no-resources: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Safety, advice
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    defaulted_any,
    where,
)
from redline.review.rules.operability._shared import _has_resources, _k8s_services


@register
class NoResources(Rule):
    """What it does:
    Flags a container of a long-running Kubernetes workload that states no CPU or memory requests and no
    limits at all. Compose services are out of scope (a single host has no scheduler to inform).

    Why it matters:
    The scheduler places pods by their requests. A pod with none is "BestEffort": it is packed onto any
    node regardless of load, gets no guaranteed CPU when the node is busy, and is the first one killed when
    the node runs out of memory. Capacity planning and HPA CPU targets (a percentage *of the request*)
    have nothing to work from.

    Example:
    containers: [{name: api, image: api:1.4}] with no `resources:`.

    Fix:
    Advice: requests and limits come from measured use, and any number redline wrote would be a guess (too
    low a memory limit is an OOM-kill loop, too high a request leaves the pod unschedulable). Measure the
    container under normal load, then set requests to that and a memory limit above its peak:

    resources:
      requests: {cpu: 250m, memory: 256Mi}   # measured, not copied
      limits: {memory: 512Mi}

    Trade-offs:
    Requests reserve capacity you pay for even when idle; too-low requests still overcommit nodes.
    Measure real usage (e.g. p95 over a week) before choosing numbers.
    """

    code = "OP005"
    name = "no-resources"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            for k in app_containers(c):
                if _has_resources(k) or defaulted_any(ctx, c.namespace) is not None:
                    continue  # a namespace LimitRange default makes it Burstable, not BestEffort
                file, line = where(k.source, c.source)
                yield self.on(
                    ctx,
                    c,
                    file=file,
                    line=line,
                    message=f"container `{k.name}` of `{c.name}` states no CPU or memory requests or limits",
                    why=(
                        f"`{c.name}` runs as BestEffort: scheduled without regard to node load, starved of "
                        "CPU on a busy node, and the first pod evicted when the node runs short of memory."
                    ),
                    fix=advice(
                        f"give container `{k.name}` of `{c.name}` resource requests and a memory limit",
                        f"Measure `{k.name}` under normal load (kubectl top pod, or the p95 of its metrics "
                        "over a week), then set resources.requests.cpu and resources.requests.memory to that "
                        "use and resources.limits.memory above its peak. redline writes no numbers here: "
                        "they would be guesses.",
                    ),
                    tradeoff=(
                        "Requests reserve (and bill) capacity even when idle; size them from measured usage."
                    ),
                )
