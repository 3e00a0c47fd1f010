"""SD001 limitrange-rejects-container: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import limit_ranges, loc, where
from redline.review.rules.schedule._shared import _RESOURCES, _k8s_workloads, _limitrange_problem


@register
class LimitRangeRejectsContainer(Rule):
    """What it does:
    Flags a Kubernetes container that a Container-type LimitRange of its namespace rejects at admission:
    a request or limit below the LimitRange `min` or above its `max`, or a request set with no limit when
    the LimitRange's default limit (which the API server then fills in) is below that request.

    Why it matters:
    The Deployment applies, but its ReplicaSet cannot create a single pod: every attempt is refused with
    `forbidden: maximum memory usage per Container is ...` or `must be less than or equal to memory
    limit`, visible only in the ReplicaSet's events. The rollout hangs, and `kubectl get pods` shows
    nothing to debug.

    Example:
    LimitRange default: {memory: 256Mi}; container resources: {requests: {memory: 512Mi}} and no limit.

    Fix:
    resources:
      requests: {memory: 512Mi}
      limits: {memory: 1Gi}   # state the limit instead of inheriting the namespace default

    Trade-offs:
    None for the container. Raising the LimitRange instead loosens the guard for every workload of the
    namespace.
    """

    code = "SD001"
    name = "limitrange-rejects-container"
    category = Category.SCHEDULE
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_workloads(ctx):
            ranges = limit_ranges(ctx, c.namespace)
            if not ranges:
                continue
            for k in c.containers:
                for lr in ranges:
                    for resource in _RESOURCES:
                        problem = _limitrange_problem(k, lr.limit, lr.min, lr.max, resource)
                        if problem is None:
                            continue
                        file, line = where(k.resources.source if k.resources else None, k.source, c.source)
                        yield self.finding(
                            component=c.name,
                            file=file,
                            line=line,
                            severity=ctx.severity_for(c, self.severity),
                            message=(
                                f"container `{k.name}` of `{c.name}`: {problem} of LimitRange `{lr.name}` in "
                                f"namespace `{c.namespace or 'default'}`: the API server rejects its pods"
                            ),
                            why=(
                                f"`{c.name}` applies but no pod of it is ever created: admission refuses "
                                "each one, the error shows only in the ReplicaSet's events, and the rollout "
                                "hangs."
                            ),
                            fix=(
                                f"# {c.name}, container {k.name}\nresources:\n  requests: {{{resource}: "
                                f"<within the LimitRange>}}\n  limits: {{{resource}: <at least the request>}}"
                            ),
                            tradeoff=(
                                "None for the container; raising the LimitRange loosens the guard for every "
                                "workload of the namespace."
                            ),
                            evidence=[f"{loc(lr.source)} LimitRange `{lr.name}`"],
                        )
