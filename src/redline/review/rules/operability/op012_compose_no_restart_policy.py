"""OP012 compose-no-restart-policy: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import service_path, set_fix
from redline.fix.edits import Fix, Safety
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    is_datastore,
    where,
)
from redline.review.rules.operability._shared import (
    _ONE_SHOT,
    _compose_services,
    _run_to_completion,
    _swarm_groups,
)


@register
class ComposeNoRestartPolicy(Rule):
    """What it does:
    Flags a long-running Compose service with no restart policy (`restart:` or `deploy.restart_policy`), or
    with `restart: "no"` stated. Skipped: projects written for Docker Swarm (where the default is to
    restart), one-shot services (others wait for them with `service_completed_successfully`, or they are
    named `*-setup`, `*-init`, `migrate`, `seed`...), and tooling (load generators, dashboards).

    Why it matters:
    Compose's default is not to restart. A container that crashes (an OOM, an unhandled exception, a lost
    database connection at start-up) stays down until someone runs `docker compose up` again, and so does
    every request path through it. After a host reboot, nothing comes back.

    Example:
    api: {image: api:1.4}    # no restart:

    Fix:
    Unsafe (a service that is meant to run once would be re-run after it exits): `restart: unless-stopped`,
    or, where the policy is stated as `deploy.restart_policy.condition: none`, that condition set to `any`.

    api:
      restart: unless-stopped

    Trade-offs:
    A crash-looping service restarts forever (with Docker's backoff) instead of staying visibly dead; pair
    it with a healthcheck and monitoring.
    """

    code = "OP012"
    name = "compose-no-restart-policy"
    category = Category.OPERABILITY
    severity = Severity.LOW
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        swarm = _swarm_groups(ctx)
        one_shot = _run_to_completion(ctx)
        for c in _compose_services(ctx):
            policy = (c.restart_policy or "").strip().strip("'\"").lower()
            if policy and policy not in ("no", "none", "never"):
                continue
            if c.group in swarm or c.name in one_shot or ctx.is_tooling(c) or _ONE_SHOT.search(c.name):
                continue
            stated = f"restarts `{c.restart_policy}`" if policy else "has no restart policy"
            severity = ctx.severity_for(c, self.severity)
            if is_datastore(c) and ctx.dependents(c.name) and severity.rank > Severity.MEDIUM.rank:
                severity = Severity.MEDIUM  # everything that uses it goes down with it
            file, line = where(c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=severity,
                message=f"compose service `{c.name}` {stated}: after a crash or host reboot it stays down",
                why=(
                    f"If `{c.name}` exits (OOM, unhandled error, a dependency not up yet), nothing "
                    "restarts it, "
                    "and every request path through it fails until someone intervenes."
                ),
                fix=_fix(c, policy),
                tradeoff="A crash loop restarts forever instead of staying visibly dead; monitor restarts.",
            )


def _fix(c: Component, policy: str) -> Fix:
    name = c.object_name or c.name
    if policy == "none":  # only deploy.restart_policy.condition spells "never restart" this way
        return set_fix(
            c,
            Safety.UNSAFE,
            f"restart compose service `{name}` whenever it exits",
            service_path(c),
            ("deploy", "restart_policy", "condition"),
            "any",
        )
    return set_fix(
        c,
        Safety.UNSAFE,
        f"restart compose service `{name}` unless it is stopped by hand",
        service_path(c),
        ("restart",),
        "unless-stopped",
    )
