"""OP010 no-prestop-hook: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import container_path, set_fix
from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    where,
)
from redline.review.rules.operability._shared import (
    _k8s_services,
    _main_container,
    _names,
    _selected_by_service,
)


@register
class NoPreStopHook(Rule):
    """What it does:
    Flags a long-running Kubernetes workload that a Service routes to and none of whose containers has a
    `preStop` hook.

    Why it matters:
    When a pod is deleted, Kubernetes sends SIGTERM and removes the pod from the Service's endpoints at the
    same time; kube-proxy, ingress controllers and cloud load balancers learn about the removal a few
    seconds later. A process that exits promptly on SIGTERM therefore keeps receiving connections it no
    longer accepts: every rollout, scale-down and node drain costs a burst of failed requests. A short
    `preStop` sleep keeps the pod serving until routing has caught up.

    Example:
    A Deployment `frontend` behind Service `frontend` with no `lifecycle.preStop`.

    Fix:
    Unsafe (every stop takes 5 s longer, and an image without a `sleep` binary fails the hook, which
    Kubernetes records and then stops the container anyway): a 5 s `preStop` sleep on the container that
    runs the component's image.

    lifecycle:
      preStop:
        exec: {command: ["sleep", "5"]}   # or sleep: {seconds: 5} on Kubernetes >= 1.30

    Trade-offs:
    Each pod takes a few seconds longer to stop, so rollouts and drains are slower; the image needs a
    `sleep` binary unless the native `sleep` action is available. Unnecessary when the application itself
    keeps serving for a few seconds after SIGTERM.
    """

    code = "OP010"
    name = "no-prestop-hook"
    category = Category.OPERABILITY
    severity = Severity.LOW
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            containers = app_containers(c)
            if not containers or any(k.pre_stop for k in containers):
                continue
            services = _selected_by_service(ctx, c)
            if not services:
                continue
            file, line = where(containers[0].source, c.source)
            k = _main_container(c, containers)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=self.severity,
                message=(
                    f"`{c.name}` is behind Service `{services[0]}` but none of its containers "
                    f"({_names(containers)}) has a preStop hook"
                ),
                why=(
                    f"Pods of `{c.name}` get SIGTERM while endpoints still route to them: unless the process "
                    "keeps serving after SIGTERM, each rollout or scale-down fails the requests in flight."
                ),
                fix=set_fix(
                    c,
                    Safety.UNSAFE,
                    f"keep container `{k.name}` of `{c.name}` serving 5 s after it is told to stop "
                    "(needs `sleep` in the image)",
                    container_path(c, k),
                    ("lifecycle", "preStop"),
                    {"exec": {"command": ["sleep", "5"]}},
                ),
                tradeoff="Pods take a few seconds longer to stop; the image needs a `sleep` binary.",
            )
