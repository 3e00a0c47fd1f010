"""OP006 no-memory-limit: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import k8s_quantity
from redline.fix.edits import Fix, Safety, advice
from redline.model import Component, Container
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    defaulted_limit,
    where,
)
from redline.review.rules.operability._shared import _has_resources, _k8s_services


@register
class NoMemoryLimit(Rule):
    """What it does:
    Flags a container of a long-running Kubernetes workload that states some resources but no memory
    limit. (A container with no resources at all is reported by OP005 instead.)

    Why it matters:
    Memory is not compressible. A leak or an unbounded cache in a container with no memory limit grows
    until the *node* runs out, and the kernel OOM killer and kubelet evictions then take down neighbours
    that did nothing wrong, often other services' replicas on the same node. A limit confines the damage to
    the leaking container, which is restarted.

    Example:
    resources: {requests: {cpu: 100m, memory: 128Mi}} with no `limits.memory`.

    Fix:
    Advice: the limit must sit above the container's measured peak, which the files do not state; a limit
    written from a guess turns normal peaks into OOM kills. When the container states a memory request, the
    example sets the limit equal to it (predictable memory, Guaranteed for memory), to be raised to the
    measured peak where that is higher.

    resources:
      requests: {memory: 256Mi}
      limits: {memory: 256Mi}   # at least the measured peak

    Trade-offs:
    A limit set too low turns normal peaks into OOM kills and restarts; set it from measured peak usage with
    headroom. Setting the limit equal to the request gives Guaranteed QoS at the cost of idle headroom.
    """

    code = "OP006"
    name = "no-memory-limit"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            for k in app_containers(c):
                if not _has_resources(k) or k.resources is None or k.resources.memory_limit is not None:
                    continue
                if defaulted_limit(ctx, c.namespace, "memory") is not None:
                    continue  # the namespace LimitRange's default memory limit applies
                file, line = where(k.resources.source, k.source, c.source)
                yield self.on(
                    ctx,
                    c,
                    file=file,
                    line=line,
                    message=f"container `{k.name}` of `{c.name}` has no memory limit",
                    why=(
                        f"A leak in `{c.name}` grows until its node runs out of memory, and the OOM killer "
                        "and evictions then take down other services' pods on that node too."
                    ),
                    fix=_fix(c, k),
                    tradeoff=(
                        "Too low a limit turns normal peaks into OOM restarts; size it from measured peaks."
                    ),
                )


def _fix(c: Component, k: Container) -> Fix:
    title = f"give container `{k.name}` of `{c.name}` a memory limit above its measured peak"
    request = k.resources.memory_request if k.resources is not None else None
    if not request:
        return advice(
            title,
            f"Measure `{k.name}`'s peak memory under load and set resources.limits.memory above it; "
            "redline writes no number here: it would be a guess.",
        )
    quantity = k8s_quantity("memory", request, round_up=True)
    return advice(
        title,
        f"Set resources.limits.memory to at least `{k.name}`'s measured peak. The example uses its memory "
        f"request ({quantity}), which is right only if the container never uses more than it reserves.",
        {"resources": {"limits": {"memory": quantity}}},
    )
