"""RS007 latency-budget-exceeds-slo: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
from redline.model import Edge
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import shown_chain
from redline.review.rules.resilience._shared import (
    IN_CODE,
    _fmt_s,
    _longest_time_paths,
    _retries,
    _slo_target,
    _stated_calls,
    _sync_graph,
    _where,
    attempts,
    calls_example,
    duration,
)


@register
class LatencyBudgetExceedsSlo(Rule):
    """Timeouts or service times that do not fit in the latency SLO.

    What it does:
        With a latency SLO (redline.yaml ``slo.latency``, or ``slo_latency_s`` in the review config),
        uses the loosest objective and flags (a) an entry point's stated call whose timeout times its
        attempts exceeds it, and (b) a synchronous chain from an entry point whose stated mean service
        times alone add up to more than it.

    Why it matters:
        (a) The entry point keeps waiting on a slow-but-not-failed dependency long after the request has
        already missed its objective, holding a worker for an answer nobody can use. (b) If the mean time
        of the chain exceeds the objective, the objective is missed on average, before any queueing.

    Example:
        ```yaml
        slo: {latency: {p99: 500ms}}
        components:
          web:
            calls:
              - {to: search, timeout: 2s, retries: 2}     # 6 s worst case
        ```

    Fix:
        ```yaml
        components:
          web:
            calls:
              - {to: search, timeout: 200ms, retries: 1}
        ```
        Derive per-hop timeouts from the SLO (a budget split), not from library defaults.

        Advice: timeouts live in the clients' code, and redline.yaml only describes them; a slow chain
        needs a change of design. The example splits the objective evenly between the attempts, with
        one more share left for the entry point's own work.

    Trade-offs:
        Tighter timeouts fail slow requests instead of serving them late; sometimes the honest fix is a
        looser SLO or a faster dependency (caching, indexing).
    """

    code = "RS007"
    name = "latency-budget-exceeds-slo"
    category = Category.RESILIENCE
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        target = _slo_target(ctx)
        if target is None:
            return
        label, slo_s = target
        eps = set(ctx.entrypoints)
        for e in _stated_calls(ctx):
            if e.from_ not in eps or e.timeout_s is None:
                continue
            worst = e.timeout_s * attempts(e)
            if worst <= slo_s:
                continue
            calc = _fmt_s(e.timeout_s) + (
                f" × {attempts(e)} attempts = {_fmt_s(worst)}" if attempts(e) > 1 else ""
            )
            caller = ctx.component(e.from_)
            if caller is None:
                continue
            file, line = _where(ctx, e)
            yield self.on(
                ctx,
                caller,
                file=file,
                line=line,
                message=(
                    f"entry point `{e.from_}` may wait {calc} on `{e.to}`, above the "
                    f"{label} objective of {_fmt_s(slo_s)}."
                ),
                why=(
                    f"When `{e.to}` is slow but not failing, "
                    f"`{e.from_}` keeps waiting long after the request "
                    "missed its objective, holding a worker for an answer nobody can use."
                ),
                fix=self._timeout_fix(ctx, e, label, slo_s),
                tradeoff="Tighter timeouts fail slow requests instead of serving them late.",
            )
        for ep, (total, chain) in _longest_time_paths(ctx, _sync_graph(ctx)).items():
            if total <= slo_s:
                continue
            c = ctx.component(ep)
            if c is None:
                continue
            file, line = ctx.where(c)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"the stated service times along {shown_chain(chain)} "
                    f"add up to {_fmt_s(round(total, 4))}, "
                    f"above the {label} objective of {_fmt_s(slo_s)}."
                ),
                why=(
                    "Before any queueing or retry, the mean time of this synchronous chain already exceeds "
                    "the latency objective: the SLO is missed on typical requests, not just the tail."
                ),
                fix=advice(
                    "take time out of the chain",
                    "Call independent services in parallel, cache the answer of a stable hop, or make "
                    f"the tail asynchronous (from `{chain[-2]}` on); then describe the new calls in "
                    "redline.yaml (`parallel: true` on calls made in parallel).",
                ),
                tradeoff=(
                    "Parallel calls raise peak load on callees; caches "
                    "serve stale data; async gives eventual consistency."
                ),
            )

    @staticmethod
    def _timeout_fix(ctx: Context, e: Edge, label: str, slo_s: float) -> Fix:
        share = slo_s / (attempts(e) + 1)
        return advice(
            f"fit `{e.from_}`'s wait on `{e.to}` in the objective",
            f"Give `{e.from_}` → `{e.to}` a timeout that lets "
            + ("its attempt" if attempts(e) == 1 else f"all {attempts(e)} attempts")
            + f" end within the {label} objective of {_fmt_s(slo_s)}, with time left for `{e.from_}`'s "
            "own work. " + IN_CODE,
            example=calls_example(ctx, (e.from_, e.to, {"timeout": duration(share), **_retries(e)})),
        )
