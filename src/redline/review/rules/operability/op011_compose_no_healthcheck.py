"""OP011 compose-no-healthcheck: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import compose_healthcheck, service_path, set_fix
from redline.fix.edits import Fix, Safety, advice
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
    _startup_dependents,
)


@register
class ComposeNoHealthcheck(Rule):
    """What it does:
    Flags a Compose service that defines no `healthcheck` (or disables it) when other services depend on
    it, or when it is a datastore, cache or queue that anything calls. Stateless leaves nobody depends on,
    tooling and run-once setup containers are not reported. The image may still declare a `HEALTHCHECK`;
    the message says so.

    Why it matters:
    `depends_on` without a health condition only waits for the container to *start*, not for the
    database inside to accept connections: dependents boot, fail their first connection and crash or
    serve errors. Without a healthcheck `docker compose ps` shows a wedged service as "running" and
    `restart` policies never see it fail. (If a dependent uses `condition: service_healthy` on a service
    with no healthcheck at all, Compose refuses to start; IN007 reports that.)

    Example:
    db: {image: postgres:16} with `api: {depends_on: [db]}`.

    Fix:
    Unsafe (an unhealthy service holds back every dependent that waits for `service_healthy`): a
    healthcheck that the engine's own image answers (`pg_isready`, `redis-cli ping`, `mysqladmin ping`,
    `rabbitmq-diagnostics ping`). For other images advice only: Compose has no TCP check, and an image may
    ship neither curl nor wget, so any command would be a guess. Dependents then wait with
    `depends_on: {db: {condition: service_healthy}}`.

    db:
      healthcheck:
        test: ["CMD", "pg_isready", "-q"]
        interval: 10s
        timeout: 5s
        retries: 5
        start_period: 30s

    Trade-offs:
    Start-up waits for the healthcheck to pass (seconds); each check is a process exec every interval.
    """

    code = "OP011"
    name = "compose-no-healthcheck"
    category = Category.OPERABILITY
    severity = Severity.LOW
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        one_shot = _run_to_completion(ctx)
        for c in _compose_services(ctx):
            if c.healthcheck is not None and not c.healthcheck_disabled:
                continue
            if ctx.is_tooling(c) or c.name in one_shot or _ONE_SHOT.search(c.name):
                continue  # tools and run-once setup containers: dependents wait for completion, not health
            waiting = _startup_dependents(ctx, c.name)
            callers = sorted({e.from_ for e in ctx.system.calls_to(c.name)})
            if not waiting and not (is_datastore(c) and callers):
                continue
            base = Severity.MEDIUM if is_datastore(c) else self.severity
            who = waiting or callers
            state = "disables its healthcheck" if c.healthcheck_disabled else "defines no healthcheck"
            names = f"{', '.join(f'`{w}`' for w in who[:4])}{' and others' if len(who) > 4 else ''}"
            if waiting:
                relation = f"{'depend' if len(who) > 1 else 'depends'} on it"
                why = (
                    f"{names} start as soon as the container of `{c.name}` starts, not when it can serve: "
                    "their first connections fail, and a wedged instance still shows as running."
                )
            else:
                relation = f"{'call' if len(who) > 1 else 'calls'} it"
                why = (
                    f"Nothing can tell when `{c.name}` is ready or wedged: callers cannot wait for it at "
                    "start-up (`depends_on: condition: service_healthy`), and a hung instance still shows as "
                    "running."
                )
            file, line = where(c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=base,
                message=(
                    f"compose service `{c.name}` {state} (unless its image declares HEALTHCHECK), yet "
                    f"{names} {relation}"
                ),
                why=why,
                fix=_fix(c, ctx.component(who[0]) if waiting else None),
                tradeoff=(
                    "Start-up waits for the first passing check; each check execs a process per interval."
                ),
            )


def _fix(c: Component, waiting: Component | None) -> Fix:
    name = c.object_name or c.name
    dependent = (waiting.object_name or waiting.name) if waiting else None
    then = (
        f"; then make `{dependent}` wait for it (depends_on: {{{name}: {{condition: service_healthy}}}})"
        if dependent
        else ""
    )
    check = compose_healthcheck(c)
    if check is None:
        return advice(
            f"add a healthcheck to compose service `{name}`",
            f"Add a healthcheck that `{name}`'s image can run (its own health command, or an HTTP check "
            f"with a client the image ships){then}. redline proposes no command: Compose has no TCP "
            "check and the image's tools are unknown.",
        )
    command = " ".join(check["test"][1:])
    return set_fix(
        c,
        Safety.UNSAFE,
        f"add a `{command}` healthcheck to `{name}`{then}",
        service_path(c),
        ("healthcheck",),
        check,
    )
