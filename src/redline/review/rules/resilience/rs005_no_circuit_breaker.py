"""RS005 no-circuit-breaker: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
from redline.model import Component, Edge, Kind
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.resilience._shared import IN_CODE, _fmt_s, _stated_calls, _where, calls_example


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

        Advice: a breaker lives in the client's code or its proxy, and redline.yaml only describes it.

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
            callee, c = ctx.component(e.to), ctx.component(e.from_)
            if callee is None or c is None:
                continue
            if callee.kind == Kind.EXTERNAL or callee.platform == "external":
                what = "external system"
            elif ctx.replicas(callee) == 1:
                what = "single-instance dependency"
            else:
                continue
            state = "circuit_breaker: false" if e.circuit_breaker is False else "no circuit breaker stated"
            file, line = _where(ctx, e)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=f"`{e.from_}` calls {what} `{e.to}` with {state}.",
                why=(
                    f"When `{e.to}` is down, every `{e.from_}` request still tries it and waits "
                    f"{_fmt_s(e.timeout_s) if e.timeout_s else 'for the timeout'}; `{e.from_}`'s workers "
                    "fill with doomed calls and unrelated requests slow down with them."
                ),
                fix=self._fix(ctx, c, e),
                tradeoff=(
                    "Needs a fallback while open and tuning; a mis-tuned breaker trips on noise and fails "
                    "requests that would have succeeded."
                ),
            )

    @staticmethod
    def _fix(ctx: Context, c: Component, e: Edge) -> Fix:
        return advice(
            f"put a circuit breaker on `{c.name}` → `{e.to}`",
            f"Wrap `{c.name}`'s calls to `{e.to}` in a circuit breaker (resilience4j CircuitBreaker, "
            "Polly, Envoy outlier_detection) with a fallback answer while it is open. " + IN_CODE,
            example=calls_example(ctx, (c.name, e.to, {"circuit_breaker": True})),
        )
