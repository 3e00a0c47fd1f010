"""SD002 resourcequota-exceeded: see the class docstring."""

from __future__ import annotations

import math
from collections.abc import Iterator

from redline.fix.build import k8s_quantity, object_doc
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component, K8sObject
from redline.model.units import parse_cpu
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import is_long_running, loc
from redline.review.rules.schedule._shared import (
    _COUNT_KEYS,
    _QUOTA_RESOURCES,
    _hard,
    _k8s_workloads,
    _plain_quota,
    _pod_need,
    _show,
)


@register
class ResourceQuotaExceeded(Rule):
    """What it does:
    Adds up what the workloads of a namespace ask for, at their replica counts (and at their HPA
    `maxReplicas`), and compares it with each ResourceQuota of that namespace: `requests.cpu`,
    `requests.memory`, `limits.cpu`, `limits.memory` (requests and limits of every container, LimitRange
    defaults included, the larger of the app containers' sum and the largest init container), `pods`, and
    `count/deployments.apps`-style object counts. It also flags a workload that leaves a quota-tracked
    resource unset with no LimitRange default: the quota then rejects every one of its pods. Quotas with
    `scopes` or a `scopeSelector` are skipped; workloads whose count is unknown (DaemonSets) add nothing,
    so the sum is a floor.

    Why it matters:
    The quota is enforced at admission: the pods past it are refused (`exceeded quota`) and the workload
    runs short of replicas with no crash to see; an HPA that scales out into the quota stops at the quota,
    exactly during the peak it was meant for.

    Example:
    ResourceQuota hard: {requests.memory: 1Gi}; Deployments api (3 × 256Mi) and worker (2 × 256Mi).

    Fix:
    spec:
      hard: {requests.memory: 1280Mi}   # or lower replicas / requests so the sum fits

    Unsafe: raising a quota lets the namespace take more of the cluster. The edit sets the quota to
    exactly what the workloads need, summed from the files, with every HPA at its maxReplicas. A
    workload that leaves a tracked resource unset gets advice: its values must come from measured
    usage, not from redline.

    Trade-offs:
    A larger quota lets the namespace take more of the cluster; the quota exists to cap that, so agree the
    number with whoever owns the cluster's capacity.
    """

    code = "SD002"
    name = "resourcequota-exceeded"
    category = Category.SCHEDULE
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for q in ctx.objects("ResourceQuota"):
            if not _plain_quota(q):
                continue
            workloads = [
                c
                for c in _k8s_workloads(ctx)
                if (c.namespace or "default") == q.namespace and is_long_running(c)
            ]
            yield from self._unset(ctx, q, workloads)
            yield from self._sums(ctx, q, workloads)

    def _unset(self, ctx: Context, q: K8sObject, workloads: list[Component]) -> Iterator[Finding]:
        tracked = {_QUOTA_RESOURCES[str(k)][0] for k in _hard(q) if str(k) in _QUOTA_RESOURCES}
        for c in workloads:
            need = _pod_need(ctx, c)
            missing = sorted(key for key in tracked if need.values[key] is None)
            if not missing:
                continue
            yield self.on(
                ctx,
                c,
                file=c.source.file,
                line=c.source.line,
                message=(
                    f"ResourceQuota `{q.name}` of namespace `{q.namespace}` tracks {', '.join(missing)}, "
                    f"which a container of `{c.name}` does not set (and no LimitRange defaults): every pod "
                    "of it is rejected"
                ),
                why=(
                    f"A quota on {missing[0]} makes the API server refuse any pod that does not state it: "
                    f"`{c.name}` applies, but no pod of it is ever created."
                ),
                fix=advice(
                    f"state {', '.join(missing)} for every container of `{c.name}`",
                    f"Set {', '.join(missing)} on every container of `{c.name}` from its measured usage, or "
                    f"give namespace `{q.namespace}` a LimitRange default; no value is stated to copy.",
                ),
                tradeoff="None; size the values from measured usage.",
                evidence=[f"{loc(q.source)} ResourceQuota `{q.name}`"],
            )

    def _sums(self, ctx: Context, q: K8sObject, workloads: list[Component]) -> Iterator[Finding]:
        for key, raw in _hard(q).items():
            key = str(key)
            try:
                if key in _QUOTA_RESOURCES:
                    canonical, parse = _QUOTA_RESOURCES[key]
                    hard = parse(raw)
                elif key == "pods" or key in _COUNT_KEYS.values():
                    canonical, hard = key, float(parse_cpu(raw))
                else:
                    continue
            except ValueError:
                continue
            for at_max in (False, True):
                used, parts = self._usage(ctx, canonical, workloads, at_max=at_max)
                if used <= hard * (1 + 1e-9):
                    continue
                if at_max and self._usage(ctx, canonical, workloads, at_max=False)[0] > hard * (1 + 1e-9):
                    continue  # already reported at the steady count
                resource = "memory" if canonical.endswith("memory") else "cpu"
                quantity = canonical in _QUOTA_RESOURCES

                def fmt(v: float, resource: str = resource, quantity: bool = quantity) -> str:
                    return _show(resource, v) if quantity else f"{v:g}"

                when = "when every HPA is at maxReplicas" if at_max else "at their replica counts"
                # one fix for both counts: a quota raised only to the steady need stops the HPAs' peak
                peak = self._usage(ctx, canonical, workloads, at_max=True)[0]
                yield self.finding(
                    component=None,
                    file=q.source.file,
                    line=q.source.line,
                    severity=ctx.severity_for(None, self.severity if not at_max else Severity.MEDIUM),
                    message=(
                        f"ResourceQuota `{q.name}` of namespace `{q.namespace}` allows {canonical} "
                        f"{fmt(hard)}, but its workloads need {fmt(used)} {when} ({'; '.join(parts)}): "
                        "the pods past the quota are refused"
                    ),
                    why=(
                        "Quota admission refuses the pods that do not fit: workloads run short of replicas "
                        "with no crash to see"
                        + (
                            ", and the autoscaler stops at the quota during the peak it exists for."
                            if at_max
                            else "."
                        )
                    ),
                    fix=self._raise(q, key, raw, canonical, max(used, peak)),
                    tradeoff=(
                        "A larger quota lets the namespace take more of the cluster; agree it with whoever "
                        "owns the cluster's capacity, or lower replicas and requests instead."
                    ),
                )

    @staticmethod
    def _raise(q: K8sObject, key: str, raw: object, canonical: str, used: float) -> Fix:
        """Set the quota's ``key`` to what the workloads need, in the spelling of the value it replaces."""
        value: str | int
        if canonical in _QUOTA_RESOURCES:
            value = k8s_quantity("memory" if canonical.endswith("memory") else "cpu", used, round_up=True)
        else:
            n = math.ceil(used - 1e-9)
            value = str(n) if isinstance(raw, str) else n
        return unsafe(
            f"raise {key} of ResourceQuota `{q.name}` to {value}",
            Edit(doc=object_doc(q), op=Op.SET, path=("spec", "hard", key), value=value),
        )

    @staticmethod
    def _usage(
        ctx: Context, canonical: str, workloads: list[Component], *, at_max: bool
    ) -> tuple[float, list[str]]:
        used, parts = 0.0, []
        for c in workloads:
            if canonical.startswith("count/"):
                if _COUNT_KEYS.get(c.workload or "") == canonical:
                    used += 1
                    parts.append(f"`{c.name}`")
                continue
            n = ctx.replicas(c)
            if at_max and c.autoscaling is not None and c.autoscaling.max_replicas is not None:
                n = c.autoscaling.max_replicas
            if n is None or n == 0:
                continue
            if canonical == "pods":
                used += n
                parts.append(f"`{c.name}` {n}")
                continue
            per_pod = _pod_need(ctx, c).values[canonical]
            if per_pod is None or per_pod == 0:
                continue
            resource = "memory" if canonical.endswith("memory") else "cpu"
            used += n * per_pod
            parts.append(f"`{c.name}` {n} × {_show(resource, per_pod)}")
        return used, parts
