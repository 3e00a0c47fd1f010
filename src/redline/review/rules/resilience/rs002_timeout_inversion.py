"""RS002 timeout-inversion: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
from redline.model import Component, Edge
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.resilience._shared import (
    IN_CODE,
    _fmt_s,
    _retries,
    _stated_calls,
    _where,
    attempts,
    calls_example,
    duration,
)


@register
class TimeoutInversion(Rule):
    """Caller's timeout shorter than what its callee may legitimately take.

    What it does:
        For a stated call A → B with timeout T, looks at B's own stated calls: if one of them may take
        longer than T (its timeout times its attempts), A gives up while B is still working.

    Why it matters:
        A has already returned an error (and maybe retried, adding load) while B keeps waiting on its
        downstream and then does the work for nobody. Under a slow downstream this multiplies load exactly
        when the system has least capacity: "payments' 2 s timeout is shorter than its own downstream's
        5 s".

    Example:
        ```yaml
        components:
          checkout:
            calls:
              - {to: payments, timeout: 2s}
          payments:
            calls:
              - {to: bank, timeout: 5s}
        ```

    Fix:
        ```yaml
        components:
          checkout:
            calls:
              - {to: payments, timeout: 6s}
          payments:
            calls:
              - {to: bank, timeout: 1.5s, retries: 1}
        ```
        Budgets must shrink going down the call chain (or propagate deadlines, as gRPC does).

        Advice: timeouts and retries live in the clients' code, and redline.yaml only describes them. The
        example shrinks the inner budget so that its attempts and one more share for the callee's own
        work fit in the outer timeout.

    Trade-offs:
        Longer outer timeouts hold caller resources longer; shorter inner ones fail slow-but-healthy
        calls. Deadline propagation needs client support.
    """

    code = "RS002"
    name = "timeout-inversion"
    category = Category.RESILIENCE
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for e in _stated_calls(ctx):
            if e.timeout_s is None:
                continue
            worst: tuple[float, Edge] | None = None
            for d in ctx.calls_from(e.to):
                if d.timeout_s is None or d.startup_only or d.to == e.from_:
                    continue
                budget = d.timeout_s * attempts(d)
                if worst is None or budget > worst[0]:
                    worst = (budget, d)
            if worst is None or worst[0] <= e.timeout_s:
                continue
            budget, d = worst
            c = ctx.component(e.from_)
            if c is None:
                continue
            calc = _fmt_s(d.timeout_s or 0) + (
                f" × {attempts(d)} attempts = {_fmt_s(budget)}" if attempts(d) > 1 else ""
            )
            file, line = _where(ctx, e)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"`{e.from_}` gives `{e.to}` {_fmt_s(e.timeout_s)}, but `{e.to}` may itself wait {calc} "
                    f"on `{d.to}`."
                ),
                why=(
                    f"When `{d.to}` is slow, `{e.from_}` times out and fails (or retries) while `{e.to}` is "
                    f"still waiting: `{e.to}` finishes work nobody waits for, and retries add load at the "
                    "worst moment."
                ),
                fix=self._fix(ctx, c, e, d, budget),
                tradeoff=(
                    "A longer outer timeout holds caller resources longer; a shorter inner one fails "
                    "slow-but-healthy calls. Deadline propagation (gRPC deadlines) needs client support."
                ),
                evidence=[f"{d.source or _where(ctx, d)[0]}: {d.from_} → {d.to} timeout {d.timeout_s}"],
            )

    @staticmethod
    def _fix(ctx: Context, c: Component, e: Edge, d: Edge, budget: float) -> Fix:
        outer = e.timeout_s or 0.0
        inner = max(outer / (attempts(d) + 1), 0.05)
        return advice(
            f"make `{e.to}`'s budget on `{d.to}` fit in `{c.name}`'s timeout",
            f"Shrink `{e.to}` → `{d.to}` so that its timeout"
            + (f" × {attempts(d)} attempts" if attempts(d) > 1 else "")
            + f" fits in {_fmt_s(outer)} with time left for `{e.to}`'s own work (below), or give "
            f"`{c.name}` → `{e.to}` a timeout above {_fmt_s(budget)}; or propagate deadlines (gRPC). "
            + IN_CODE,
            example=calls_example(ctx, (e.to, d.to, {"timeout": duration(inner), **_retries(d)})),
        )
