"""RS001 call-without-timeout: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.resilience._shared import _stated_calls, _where, calls_yaml


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
            file, line = _where(ctx, e)
            yield self.finding(
                component=e.from_,
                file=file,
                line=line,
                severity=ctx.severity_for(e.from_, self.severity),
                message=f"the call `{e.from_}` → `{e.to}` is declared with no timeout.",
                why=(
                    f"If `{e.to}` hangs, each `{e.from_}` request waiting on it holds a worker until the OS "
                    f"gives up; once all workers wait, `{e.from_}` stops answering everyone."
                ),
                fix=(
                    calls_yaml((e.from_, e.to, "timeout: 1s"))
                    + f"   # from {e.to}'s p99.9\n# and the same deadline in the client library"
                ),
                tradeoff=(
                    "Too short a timeout turns slow-but-healthy responses into errors; derive it from the "
                    "callee's measured tail latency."
                ),
            )
