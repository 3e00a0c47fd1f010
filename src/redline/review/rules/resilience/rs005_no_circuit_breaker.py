"""RS005 no-circuit-breaker: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.model import Kind
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.resilience._shared import _fmt_s, _stated_calls, _where, calls_yaml


@register
class NoCircuitBreaker(Rule):
    """No circuit breaker toward an external or single-instance dependency.

    What it does:
        Flags a stated call (redline.yaml) toward an external system or a dependency that runs a single
        instance when the call does not state ``circuit_breaker: true``.

    Why it matters:
        When that dependency is down, every request still tries it and waits for the timeout. Callers'
        workers fill with doomed calls, latency of *unrelated* requests rises, and the outage spreads
        upstream. A breaker fails fast and lets the dependency recover without a queue of retries.

    Example:
        ```yaml
        components:
          checkout:
            calls:
              - {to: stripe, timeout: 2s}     # stripe is external
        ```

    Fix:
        ```yaml
        components:
          checkout:
            calls:
              - {to: stripe, timeout: 2s, circuit_breaker: true}
        ```
        e.g. resilience4j ``CircuitBreaker``, Polly, or Envoy ``outlier_detection``.

    Trade-offs:
        A breaker needs tuning (error threshold, open duration) and a fallback answer while open;
        mis-tuned, it trips on noise and fails requests that would have succeeded.
    """

    code = "RS005"
    name = "no-circuit-breaker"
    category = Category.RESILIENCE
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for e in _stated_calls(ctx):
            if e.circuit_breaker is True:
                continue
            callee = ctx.component(e.to)
            if callee is None:
                continue
            if callee.kind == Kind.EXTERNAL or callee.platform == "external":
                what = "external system"
            elif ctx.replicas(callee) == 1:
                what = "single-instance dependency"
            else:
                continue
            state = "circuit_breaker: false" if e.circuit_breaker is False else "no circuit breaker stated"
            file, line = _where(ctx, e)
            yield self.finding(
                component=e.from_,
                file=file,
                line=line,
                severity=ctx.severity_for(e.from_, self.severity),
                message=f"`{e.from_}` calls {what} `{e.to}` with {state}.",
                why=(
                    f"When `{e.to}` is down, every `{e.from_}` request still tries it and waits "
                    f"{_fmt_s(e.timeout_s) if e.timeout_s else 'for the timeout'}; `{e.from_}`'s workers "
                    "fill with doomed calls and unrelated requests slow down with them."
                ),
                fix=(
                    calls_yaml((e.from_, e.to, "circuit_breaker: true"))
                    + "\n# in the client, e.g. resilience4j: "
                    "failureRateThreshold 50, waitDurationInOpenState 30s"
                ),
                tradeoff=(
                    "Needs a fallback while open and tuning; a mis-tuned breaker trips on noise and fails "
                    "requests that would have succeeded."
                ),
            )
