"""RS008 shared-pool-no-bulkhead: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register


@register
class SharedPoolNoBulkhead(Rule):
    """One connection pool serves calls to several dependencies (no bulkhead).

    What it does:
        Flags a component whose stated pool (redline.yaml ``pools``, or several calls naming the same
        ``pool``) serves two or more dependencies.

    Why it matters:
        When one of those dependencies slows down, its calls hold every connection of the shared pool and
        calls to the healthy dependencies queue behind them: one slow dependency takes all of them down.
        Separate pools (bulkheads) confine the damage.

    Example:
        ```yaml
        components:
          api:
            pools: [{name: http, size: 50, to: [search, payments]}]
        ```

    Fix:
        ```yaml
        pools:
          - {name: search, size: 30, to: [search]}
          - {name: payments, size: 20, to: [payments]}
        ```

    Trade-offs:
        More pools means more idle connections in total and per-pool sizing to maintain.
    """

    code = "RS008"
    name = "shared-pool-no-bulkhead"
    category = Category.RESILIENCE
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            pools: dict[str, tuple[list[str], object]] = {}
            for p in c.pools:
                pools[p.name] = (sorted(set(p.to)), p.source or c.source)
            for e in ctx.calls_from(c.name):
                if e.pool:
                    targets, src = pools.get(e.pool, ([], e.source or c.source))
                    if e.to not in targets:
                        targets = sorted({*targets, e.to})
                    pools[e.pool] = (targets, src)
            for name, (targets, src) in sorted(pools.items()):
                if len(targets) < 2:
                    continue
                size = next((p.size for p in c.pools if p.name == name), None)
                share = max(1, (size or len(targets) * 10) // len(targets))
                file = getattr(src, "file", None)
                line = getattr(src, "line", None)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=(
                        f"pool `{name}`{f' ({size} connections)' if size else ''} of `{c.name}` serves "
                        f"{len(targets)} dependencies: {', '.join(targets)}."
                    ),
                    why=(
                        f"When one of {', '.join(targets)} slows down, its calls hold every connection of "
                        f"`{name}` and calls to the healthy ones queue behind them."
                    ),
                    fix="pools:\n"
                    + "".join(f"  - {{name: {t}, size: {share}, to: [{t}]}}\n" for t in targets),
                    tradeoff="More connections overall and one pool size per dependency to tune.",
                )
