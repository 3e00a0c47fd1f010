"""RS001 call-without-timeout: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
from redline.model import Component, Edge
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.resilience._shared import IN_CODE, _stated_calls, _where, calls_example


@register
class CallWithoutTimeout(Rule):
    """Stated call with no timeout.

    What it does:
        Flags a call declared in redline.yaml that states no ``timeout``. Calls inferred from Compose or
        Kubernetes configuration are not checked: their client settings are in code redline cannot see,
        and an unknown timeout is not a missing one.

    Why it matters:
        Without a timeout, a callee that hangs (a stuck query, a dead TCP peer with no RST) holds the
        caller's thread or connection until the OS gives up — minutes. Each stuck request takes a worker;
        when all are taken the caller stops answering everyone, and the slowness spreads upstream.

    Example:
        ```yaml
        components:
          checkout:
            calls:
              - {to: payments}     # no timeout
        ```

    Fix:
        ```yaml
        components:
          checkout:
            calls:
              - {to: payments, timeout: 800ms}
        ```
        and set the same deadline in the client (``http.Client{Timeout: 800 * time.Millisecond}``).

        Advice: the timeout lives in the client's code, and redline.yaml only describes it; the value
        comes from the callee's measured tail latency, which the files do not state.

    Trade-offs:
        A timeout set below the callee's slow-but-healthy latency turns slowness into errors; set it from
        the callee's p99.9 and pair it with a bounded retry.
    """

    code = "RS001"
    name = "call-without-timeout"
    category = Category.RESILIENCE
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for e in _stated_calls(ctx):
            if e.timeout_s is not None:
                continue
            c = ctx.component(e.from_)
            if c is None:
                continue
            file, line = _where(ctx, e)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=f"the call `{e.from_}` → `{e.to}` is declared with no timeout.",
                why=(
                    f"If `{e.to}` hangs, each `{e.from_}` request waiting on it holds a worker until the OS "
                    f"gives up; once all workers wait, `{e.from_}` stops answering everyone."
                ),
                fix=self._fix(ctx, c, e),
                tradeoff=(
                    "Too short a timeout turns slow-but-healthy responses into errors; derive it from the "
                    "callee's measured tail latency."
                ),
            )

    @staticmethod
    def _fix(ctx: Context, c: Component, e: Edge) -> Fix:
        return advice(
            f"give the call `{c.name}` → `{e.to}` a timeout",
            f"Give `{c.name}`'s client a deadline for `{e.to}` from `{e.to}`'s measured p99.9 latency. "
            + IN_CODE,
            example=calls_example(ctx, (c.name, e.to, {"timeout": f"<p99.9 of {e.to}>"})),
        )
