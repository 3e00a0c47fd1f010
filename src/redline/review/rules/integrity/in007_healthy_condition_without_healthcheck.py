"""IN007 healthy-condition-without-healthcheck: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import compose_healthcheck, doc_of, service_path
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import where
from redline.review.rules.integrity._shared import _healthy_waits


@register
class HealthyConditionWithoutHealthcheck(Rule):
    """What it does:
    Flags a Compose `depends_on: {X: {condition: service_healthy}}` where service X defines no
    healthcheck in the Compose files (or disables it).

    Why it matters:
    Compose can only wait for "healthy" if X has a healthcheck. Unless X's image declares a `HEALTHCHECK`
    instruction, `docker compose up` refuses to start the dependent ("dependency failed to start:
    container X has no healthcheck configured"), so the stack does not come up at all. Relying on the
    image's HEALTHCHECK is fragile: a base-image change silently removes it.

    Example:
    api: {depends_on: {db: {condition: service_healthy}}}
    db: {image: postgres:16}          # no healthcheck

    Fix:
    db:
      healthcheck:
        test: ["CMD", "pg_isready", "-q"]
        interval: 10s
        timeout: 5s
        retries: 5
        start_period: 30s

    Unsafe: a healthcheck decides when the dependents start, and replaces any HEALTHCHECK the image
    declares. The check is the engine's own command (`pg_isready`, `redis-cli ping`, `mysqladmin ping`,
    `rabbitmq-diagnostics ping`); for other images, which may ship neither curl nor wget, the fix is
    advice.

    Trade-offs:
    Start-up waits for the first passing check.
    """

    code = "IN007"
    name = "healthy-condition-without-healthcheck"
    category = Category.INTEGRITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        for dependent, dependency, where_ in _healthy_waits(ctx):
            target = ctx.component(dependency)
            if target is None or target.platform != "compose" or (dependent, dependency) in seen:
                continue
            if target.healthcheck is not None and not target.healthcheck_disabled:
                continue
            seen.add((dependent, dependency))
            file, line = where(target.source)
            yield self.finding(
                component=dependency,
                file=file,
                line=line,
                message=(
                    f"`{dependent}` waits for `{dependency}` to be healthy, but `{dependency}` "
                    f"{'disables its' if target.healthcheck_disabled else 'defines no'} healthcheck"
                ),
                why=(
                    f"Unless the image of `{dependency}` declares a HEALTHCHECK, `docker compose up` "
                    "refuses to "
                    f"start `{dependent}`: the stack does not come up."
                ),
                fix=self._fix(target),
                tradeoff="Start-up waits for the first passing check.",
                evidence=[f"{where_} depends_on condition service_healthy"],
            )

    @staticmethod
    def _fix(c: Component) -> Fix:
        title = f"give `{c.name}` a healthcheck"
        check, doc = compose_healthcheck(c), doc_of(c)
        if check is None or doc is None:
            return advice(
                title,
                f"Define a healthcheck for `{c.name}` that runs a command its image ships (its server's own "
                "check, or an HTTP client it contains), or wait for it with `condition: service_started`; "
                "no check is known for this image, and curl or wget may be missing from it.",
            )
        return unsafe(
            f"add a healthcheck to `{c.name}`: {' '.join(check['test'][1:])}",
            Edit(doc=doc, op=Op.SET, path=(*service_path(c), "healthcheck"), value=check),
        )
