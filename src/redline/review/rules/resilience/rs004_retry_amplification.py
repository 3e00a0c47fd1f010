"""RS004 retry-amplification: see the class docstring."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import networkx as nx

from redline.fix.edits import Fix, advice
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import CHAIN_SHOWN, shown_chain
from redline.review.rules.resilience._shared import (
    IN_CODE,
    _max_product_paths,
    _where,
    attempts,
    calls_example,
)


@register
class RetryAmplification(Rule):
    """Retries at several layers multiply into a storm on the deepest component.

    What it does:
        Multiplies attempts (1 + retries) along each call path and flags the path whose product exceeds
        ``retry_amplification`` (default 10), naming it. Unstated retries count as one attempt, so the
        number can only be an under-estimate.

    Why it matters:
        "3 retries at each of 3 layers" is 4 × 4 × 4 = 64 attempts on the database for one user request
        when it fails. A brief database hiccup becomes a self-sustaining overload: the retries are the
        outage.

    Example:
        ```yaml
        components:
          web:
            calls:
              - {to: api, retries: 3}
          api:
            calls:
              - {to: orders, retries: 3}
          orders:
            calls:
              - {to: db, retries: 3}
        ```

    Fix:
        Retry at one layer only (usually the one closest to the user, or the one closest to the failing
        dependency), set ``retries: 0`` elsewhere, and add a retry budget (e.g. Envoy's
        ``retry_budget``, gRPC's ``retryThrottling``).

        Advice: retry policies live in the clients' code, and redline.yaml only describes them.

    Trade-offs:
        Fewer retries surface more transient errors to the caller; a retry budget needs a proxy or client
        library that supports it.
    """

    code = "RS004"
    name = "retry-amplification"
    category = Category.RESILIENCE
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        limit = float(ctx.threshold("retry_amplification", 10))
        g: nx.DiGraph = nx.DiGraph()
        for a, b, data in ctx.runtime_graph.edges(data=True):
            g.add_edge(a, b, w=attempts(data["edge"]), edge=data["edge"])
        if not any(d["w"] > 1 for _, _, d in g.edges(data=True)):
            return
        best = _max_product_paths(g)
        # Report maximal paths only: a node whose best path is extended by a successor's is not reported.
        extended = {path[-2] for prod, path in best.values() if len(path) >= 2 and prod > limit}
        for node, (prod, path) in sorted(best.items()):
            if prod <= limit or len(path) < 2:
                continue
            if node in extended and any(
                best[s][1][:-1] == path and best[s][0] > prod for s in g.successors(node) if s in best
            ):
                continue
            last = g.edges[path[-2], path[-1]]["edge"]
            pairs = list(itertools.pairwise(path))
            factors = shown_chain([str(g.edges[a, b]["w"]) for a, b in pairs], " × ")
            c = ctx.component(node)
            if c is None:
                continue
            file, line = _where(ctx, last)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"retries along {shown_chain(path)} multiply to {prod:g} attempts ({factors}) on "
                    f"`{node}` per request, above the limit of {limit:g}."
                ),
                why=(
                    f"When `{node}` fails or slows down, every layer "
                    "retries the layer below: one user request "
                    f"becomes {prod:g} requests to `{node}`, turning a brief hiccup into an overload the "
                    "retries themselves sustain."
                ),
                fix=self._fix(ctx, pairs, int(g.edges[path[-2], path[-1]]["w"]) - 1),
                tradeoff=(
                    "Callers see more transient errors; a retry budget needs a proxy or client library "
                    "that supports it."
                ),
            )

    @staticmethod
    def _fix(ctx: Context, pairs: list[tuple[str, str]], last_retries: int) -> Fix:
        fixed = pairs[-CHAIN_SHOWN:]  # the example names the last calls; the earlier ones get the same
        before = len(pairs) - len(fixed)
        return advice(
            "retry at one layer only, under a retry budget",
            "Keep retries at one layer (here the last call) and set the others to 0"
            + (f", including the {before} call(s) before those shown" if before else "")
            + "; cap what remains with a retry budget (Envoy retry_budget, gRPC retryThrottling). "
            + IN_CODE,
            example=calls_example(
                ctx,
                *(
                    (a, b, {"retries": 0 if i < len(fixed) - 1 else last_retries})
                    for i, (a, b) in enumerate(fixed)
                ),
            ),
        )
