"""SC004 hpa-without-cpu-requests: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.scalability._shared import _hpa_name, _hpa_source, _uses_cpu


@register
class HpaWithoutCpuRequests(Rule):
    """CPU-based HorizontalPodAutoscaler on a workload without CPU requests.

    What it does:
        Flags an HPA that scales on CPU utilization (explicitly, or by default when no metric is listed)
        whose target has a container with no CPU request.

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
            missing = [
                k.name
                for k in c.containers
                if not k.init and (k.resources is None or k.resources.cpu_request is None)
            ]
            if not missing or not c.containers:
                continue
            file, line = _hpa_source(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"HPA `{_hpa_name(c)}` scales `{c.name}` on CPU utilization, but container(s) "
                    f"{', '.join(f'`{m}`' for m in missing)} have no CPU request."
                ),
                why=(
                    "CPU utilization is usage divided by request; without a request the HPA reports "
                    f"'missing request for cpu' and never scales `{c.name}`."
                ),
                fix="".join(
                    f"containers:\n- name: {m}\n  resources:\n    requests: {{cpu: 250m, memory: 256Mi}}\n"
                    for m in missing[:1]
                ),
                tradeoff="Requests reserve node capacity whether used or not; size them from observed usage.",
            )
