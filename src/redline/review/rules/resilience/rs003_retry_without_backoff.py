"""RS003 retry-without-backoff: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
from redline.model import Edge
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.resilience._shared import IN_CODE, _where, calls_example


@register
class RetryWithoutBackoff(Rule):
    """Retries without exponential backoff or without jitter.

    What it does:
        Flags a call with ``retries`` stated whose backoff is stated as off or not stated (medium), or
        whose backoff has no jitter (low).

    Why it matters:
        Immediate retries hit a struggling callee again within milliseconds, multiplying its load just
        when it is failing. Backoff without jitter synchronises clients: every caller that failed at the
        same moment retries at the same moment, in waves.

    Example:
        ```yaml
        components:
          api:
            calls:
              - {to: db, timeout: 1s, retries: 3, backoff: false}
        ```

    Fix:
        ```yaml
        components:
          api:
            calls:
              - {to: db, timeout: 1s, retries: 3, backoff: true, jitter: true}
        ```
        e.g. ``base 100ms, factor 2, full jitter`` in the client.

        Advice: the retry policy lives in the client's code, and redline.yaml only describes it.

    Trade-offs:
        Backoff lengthens the time to a successful retry (worse latency for the unlucky requests); keep
        the total under the caller's own timeout (RS002).
    """

    code = "RS003"
    name = "retry-without-backoff"
    category = Category.RESILIENCE
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for e in ctx.system.edges:
            if not e.retries or e.retries < 1 or e.startup_only:
                continue
            if e.backoff is not True:
                problem = "backoff: false" if e.backoff is False else "no backoff stated"
                sev = self.severity
            elif e.jitter is not True:
                problem = "backoff without jitter" if e.jitter is False else "backoff with no jitter stated"
                sev = Severity.LOW
            else:
                continue
            file, line = _where(ctx, e)
            yield self.finding(
                component=e.from_,
                file=file,
                line=line,
                severity=ctx.severity_for(e.from_, sev),
                message=f"`{e.from_}` retries `{e.to}` {e.retries} time(s) with {problem}.",
                why=(
                    f"When `{e.to}` struggles, `{e.from_}`'s retries arrive "
                    + (
                        "immediately, multiplying its load"
                        if sev == self.severity
                        else "in synchronised waves"
                    )
                    + " exactly when it has the least capacity, which can keep it from recovering."
                ),
                fix=self._fix(ctx, e),
                tradeoff=(
                    "Retried requests succeed later (tail latency "
                    "grows); keep the total within the caller's timeout."
                ),
            )

    @staticmethod
    def _fix(ctx: Context, e: Edge) -> Fix:
        return advice(
            f"retry `{e.to}` with exponential backoff and jitter",
            f"Make `{e.from_}`'s retries of `{e.to}` wait exponentially longer each time, by a random "
            "share of the wait (full jitter). " + IN_CODE,
            example=calls_example(
                ctx, (e.from_, e.to, {"retries": e.retries, "backoff": True, "jitter": True})
            ),
        )
