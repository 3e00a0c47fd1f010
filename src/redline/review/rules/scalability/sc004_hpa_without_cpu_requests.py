"""SC004 hpa-without-cpu-requests: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import container_path
from redline.fix.edits import Fix, advice, path_text
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.scalability._shared import (
    _hpa_name,
    _hpa_source,
    _uses_cpu,
    _without_cpu_request,
)


@register
class HpaWithoutCpuRequests(Rule):
    """CPU-based HorizontalPodAutoscaler on a workload without CPU requests.

    What it does:
        Flags an HPA that scales on CPU utilization (explicitly, or by default when no metric is listed)
        whose target has a container with no CPU request. A container with a CPU limit has a request (the
        API server copies the limit into it), and so has one in a namespace whose LimitRange gives a
        default CPU request: neither is flagged.

    Why it matters:
        Utilization is usage divided by *request*. With a missing request the HPA reports
        ``missing request for cpu`` and does not scale at all: the autoscaler is silently off.

    Example:
        ```yaml
        kind: Deployment
        spec: {template: {spec: {containers: [{name: api, image: api:1}]}}}  # no resources.requests.cpu
        ---
        kind: HorizontalPodAutoscaler
        spec: {scaleTargetRef: {kind: Deployment, name: api}, maxReplicas: 10}
        ```

    Fix:
        Advice only: a request's size has to come from the container's observed usage, and a request
        too large for the nodes leaves pods Pending. The example shows where it goes.
        ```yaml
        containers:
        - name: api
          resources:
            requests: {cpu: 250m, memory: 256Mi}
        ```

    Trade-offs:
        Requests reserve node capacity (cost) whether used or not; size them from observed usage.
    """

    code = "SC004"
    name = "hpa-without-cpu-requests"
    category = Category.SCALABILITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not _uses_cpu(c):
                continue
            missing = _without_cpu_request(ctx, c)
            if not missing:
                continue
            file, line = _hpa_source(c)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"HPA `{_hpa_name(c)}` scales `{c.name}` on CPU utilization, but container(s) "
                    f"{', '.join(f'`{m}`' for m in missing)} have no CPU request."
                ),
                why=(
                    "CPU utilization is usage divided by request; without a request the HPA reports "
                    f"'missing request for cpu' and never scales `{c.name}`."
                ),
                fix=self._fix(c, missing),
                tradeoff="Requests reserve node capacity whether used or not; size them from observed usage.",
            )

    @staticmethod
    def _fix(c: Component, missing: list[str]) -> Fix:
        names = ", ".join(f"`{m}`" for m in missing)
        where = [container_path(c, k) for k in c.containers if k.name in missing and not k.init]
        at = "; ".join(path_text((*p, "resources", "requests", "cpu")) for p in where if p is not None)
        return advice(
            f"give {names} a CPU request so HPA `{_hpa_name(c)}` can scale `{c.object_name or c.name}`",
            f"Set a CPU request on {names}{f' ({at})' if at else ''}, sized from observed usage (the value "
            "below is an example): redline does not know the usage, and a request too large for the nodes "
            "leaves pods Pending.",
            example={"resources": {"requests": {"cpu": "250m"}}},
        )
