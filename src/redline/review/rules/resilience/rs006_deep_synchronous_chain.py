"""RS006 deep-synchronous-chain: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import advice
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import longest_paths, shown_chain
from redline.review.rules.resilience._shared import _sync_graph


@register
class DeepSynchronousChain(Rule):
    """Synchronous call chain deeper than the limit.

    What it does:
        From each entry point, finds the longest chain of synchronous runtime calls (a call into a queue
        ends a chain: the publisher does not wait for the consumer) and flags it when it has more hops
        than ``max_sync_depth`` (default 5), naming the chain. Where services call each other in a
        cycle, the chain runs through the cycle without visiting a service twice; the search is bounded,
        and when the bound cuts it short the message says "at least N hops".

    Why it matters:
        Each synchronous hop adds its latency and its failure probability to the request: six services at
        99.9% each are 99.4% together, and the slowest hop's tail sets the request's tail. Deep chains are
        also where timeouts invert (RS002) and retries multiply (RS004).

    Example:
        ```
        web → api → orders → pricing → inventory → warehouse → db   (6 hops)
        ```

    Fix:
        Make the tail of the chain asynchronous (publish an event to a queue and answer), cache the
        answer of a stable hop, or merge services that always call each other.

        Advice: it is a change of design in the services' code, not of any file redline reads.

    Trade-offs:
        Asynchronous flows give eventual consistency and need idempotent consumers; caches serve stale
        data; merging services couples their deploys.
    """

    code = "RS006"
    name = "deep-synchronous-chain"
    category = Category.RESILIENCE
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        limit = int(ctx.threshold("max_sync_depth", 5))
        chains = longest_paths(_sync_graph(ctx), ctx.entrypoints)
        for ep, chain in chains.items():
            path = chain.path
            hops = len(path) - 1
            if hops <= limit:
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
                    f"entry point `{ep}` reaches a synchronous chain of {'' if chain.exact else 'at least '}"
                    f"{hops} hops (limit {limit}): {shown_chain(path)}."
                ),
                why=(
                    f"A request through this chain waits on {hops} services in series: their latencies add "
                    "up, their availabilities multiply down, and the slowest hop's tail becomes the "
                    "request's tail."
                ),
                fix=advice(
                    "shorten the synchronous chain",
                    f"Make the tail asynchronous (`{path[-2]}` publishes an event to a queue and answers at "
                    f"once; a consumer calls `{path[-1]}`), cache the answer of a stable hop, or merge "
                    "services that always call each other; then describe the new calls in redline.yaml.",
                ),
                tradeoff=(
                    "Asynchronous steps give eventual consistency and need idempotent consumers; caching "
                    "serves stale data; merging services couples their deploys."
                ),
            )
