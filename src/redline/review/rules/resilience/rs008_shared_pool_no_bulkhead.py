"""RS008 shared-pool-no-bulkhead: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.resilience._shared import IN_CODE, yaml_name


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

        Advice: pools live in the client's code, and redline.yaml only describes them. The example splits
        a stated pool size evenly; with no size stated, it states none.

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
                file = getattr(src, "file", None)
                line = getattr(src, "line", None)
                yield self.on(
                    ctx,
                    c,
                    file=file,
                    line=line,
                    message=(
                        f"pool `{name}`{f' ({size} connections)' if size else ''} of `{c.name}` serves "
                        f"{len(targets)} dependencies: {', '.join(targets)}."
                    ),
                    why=(
                        f"When one of {', '.join(targets)} slows down, its calls hold every connection of "
                        f"`{name}` and calls to the healthy ones queue behind them."
                    ),
                    fix=self._fix(ctx, c, name, size, targets),
                    tradeoff="More connections overall and one pool size per dependency to tune.",
                )

    @staticmethod
    def _fix(ctx: Context, c: Component, name: str, size: int | None, targets: list[str]) -> Fix:
        share = max(1, size // len(targets)) if size else None
        pools = [
            {"name": yaml_name(ctx, t), **({"size": share} if share else {}), "to": [yaml_name(ctx, t)]}
            for t in targets
        ]
        return advice(
            f"give each dependency of `{c.name}` its own pool",
            f"Split pool `{name}` of `{c.name}` into one pool per dependency, each sized for its own "
            "traffic, and point each call at its pool. " + IN_CODE,
            example={"components": {yaml_name(ctx, c.name): {"pools": pools}}},
        )
