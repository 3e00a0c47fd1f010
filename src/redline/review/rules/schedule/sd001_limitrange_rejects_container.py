"""SD001 limitrange-rejects-container: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import container_path, doc_of, k8s_quantity
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component, Container
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import LimitDefaults, limit_ranges, loc, where
from redline.review.rules.schedule._shared import (
    _RESOURCES,
    _fitted,
    _k8s_workloads,
    _limitrange_problem,
    _own,
    _show,
)


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
      limits: {memory: 512Mi}   # state the limit instead of inheriting the namespace default

    Unsafe: it changes the container's resources. Each stated request or limit is moved into the
    LimitRange's `[min, max]`, and a request that the default limit would undercut gets a limit equal
    to itself: the smallest change the API server admits, from the numbers in the files. Memory is never
    lowered by an edit (a lower limit can get the container killed for running out of memory): above
    the max, the fix is advice to raise the LimitRange or to size the container from its measured peak.

    Trade-offs:
    None for the container. Raising the LimitRange instead loosens the guard for every workload of the
    namespace.
    """

    code = "SD001"
    name = "limitrange-rejects-container"
    category = Category.SCHEDULE
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

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
                        yield self.on(
                            ctx,
                            c,
                            file=file,
                            line=line,
                            message=(
                                f"container `{k.name}` of `{c.name}`: {problem} of LimitRange `{lr.name}` in "
                                f"namespace `{c.namespace or 'default'}`: the API server rejects its pods"
                            ),
                            why=(
                                f"`{c.name}` applies but no pod of it is ever created: admission refuses "
                                "each one, the error shows only in the ReplicaSet's events, and the rollout "
                                "hangs."
                            ),
                            fix=self._fix(c, k, lr, resource),
                            tradeoff=(
                                "None for the container; raising the LimitRange loosens the guard for every "
                                "workload of the namespace."
                            ),
                            evidence=[f"{loc(lr.source)} LimitRange `{lr.name}`"],
                        )

    @staticmethod
    def _fix(c: Component, k: Container, lr: LimitDefaults, resource: str) -> Fix:
        title = f"fit the {resource} of container `{k.name}` in LimitRange `{lr.name}`"
        fitted = _fitted(k, lr.limit, lr.min, lr.max, resource)
        doc, path = doc_of(c), container_path(c, k)
        if fitted is None or doc is None or path is None:
            return advice(
                title,
                f"Set the {resource} request and limit of `{k.name}` within the LimitRange's min and max, "
                "with the request at most the limit; the stated values cannot be moved there.",
            )
        if resource == "memory" and any(
            old is not None and new is not None and new < old
            for old, new in zip(_own(k, resource), fitted, strict=True)
        ):
            return advice(
                title,
                f"`{k.name}` asks for more memory than LimitRange `{lr.name}` allows. Memory is not "
                "compressible: a lower limit can get it killed for running out of memory. Raise the "
                "LimitRange's max (with whoever owns the namespace), or lower the container's memory "
                "only as far as its measured peak allows.",
            )
        edits = []
        for kind, old, new in zip(("requests", "limits"), _own(k, resource), fitted, strict=True):
            if new is not None and new != old:
                value = k8s_quantity(resource, new)
                edits.append(Edit(doc=doc, op=Op.SET, path=(*path, "resources", kind, resource), value=value))
        shown = ", ".join(
            f"{kind} {_show(resource, v)}"
            for kind, v in zip(("request", "limit"), fitted, strict=True)
            if v is not None
        )
        return unsafe(f"set `{k.name}`'s {resource} to {shown}", *edits)
