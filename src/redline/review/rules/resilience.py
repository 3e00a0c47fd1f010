"""Resilience rules (``RS###``): how calls between components behave when a callee is slow or failing.

**What is honest here.** Compose and Kubernetes files show *that* a component calls another (an env var
holding a URL, a ``depends_on``), never the client's timeout, retry or breaker policy: those live in code.
So an edge inferred from configuration has unknown call attributes, and unknown is not "none". The rules
that report a *missing* policy (RS001 no timeout, RS005 no circuit breaker) therefore only look at calls
that are **stated** — declared in redline.yaml, where the user describes the client — and say "not stated"
rather than "absent". The rules that compute with stated numbers (RS002 timeout inversion, RS004 retry
amplification, RS007 SLO budget) use whatever numbers are stated and treat unstated retries as one
attempt, which can only under-count. RS006 (chain depth) needs no client facts and uses every runtime
edge, stopping at queues, which break a synchronous chain.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import networkx as nx

from redline.model import Edge, Kind
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import CHAIN_SHOWN, longest_paths, shown_chain


def stated(e: Edge) -> bool:
    """A call the user described (redline.yaml), as opposed to one inferred from configuration."""
    return e.source is not None or any(ev.kind == "declared" for ev in e.evidence)


def attempts(e: Edge) -> int:
    """Attempts per call: the first try plus stated retries (unstated retries count as none)."""
    return 1 + max(0, e.retries or 0)


def _where(ctx: Context, e: Edge) -> tuple[str | None, int | None]:
    if e.source is not None:
        return e.source.file, e.source.line
    for ev in e.evidence:
        return ev.source.file, ev.source.line
    c = ctx.component(e.from_)
    return (c.source.file, c.source.line) if c else (None, None)


def calls_yaml(*calls: tuple[str, str, str]) -> str:
    """A redline.yaml snippet stating calls: ``(caller, callee, "timeout: 1s, retries: 2")``."""
    by: dict[str, list[str]] = {}
    for frm, to, attrs in calls:
        by.setdefault(frm, []).append("{to: " + to + (", " + attrs if attrs else "") + "}")
    out = ["# redline.yaml", "components:"]
    for frm, items in by.items():
        out += [f"  {frm}:", "    calls:"] + [f"      - {i}" for i in items]
    return "\n".join(out)


def _fmt_s(x: float) -> str:
    return f"{x:g} s"


def _stated_calls(ctx: Context) -> Iterator[Edge]:
    for e in ctx.system.edges:
        if stated(e) and not e.startup_only and ctx.component(e.from_) and ctx.component(e.to):
            yield e


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
            inner = max(e.timeout_s / (attempts(d) + 1), 0.05)
            calc = _fmt_s(d.timeout_s or 0) + (
                f" × {attempts(d)} attempts = {_fmt_s(budget)}" if attempts(d) > 1 else ""
            )
            file, line = _where(ctx, e)
            yield self.finding(
                component=e.from_,
                file=file,
                line=line,
                severity=ctx.severity_for(e.from_, self.severity),
                message=(
                    f"`{e.from_}` gives `{e.to}` {_fmt_s(e.timeout_s)}, but `{e.to}` may itself wait {calc} "
                    f"on `{d.to}`."
                ),
                why=(
                    f"When `{d.to}` is slow, `{e.from_}` times out and fails (or retries) while `{e.to}` is "
                    f"still waiting: `{e.to}` finishes work nobody waits for, and retries add load at the "
                    "worst moment."
                ),
                fix=(
                    calls_yaml((e.from_, e.to, f"timeout: {budget * 1.2:g}s"))
                    + f"\n# or shrink {e.to}'s own budget to fit in {_fmt_s(e.timeout_s)}:\n"
                    + calls_yaml((e.to, d.to, f"timeout: {inner:.2g}s, retries: {d.retries or 0}"))
                ),
                tradeoff=(
                    "A longer outer timeout holds caller resources longer; a shorter inner one fails "
                    "slow-but-healthy calls. Deadline propagation (gRPC deadlines) needs client support."
                ),
                evidence=[f"{d.source or _where(ctx, d)[0]}: {d.from_} → {d.to} timeout {d.timeout_s}"],
            )


@register
class RetryWithoutBackoff(Rule):
    """Retries without exponential backoff or without jitter.

    What it does:
        Flags a call with ``retries`` stated whose backoff is stated as off or not stated (medium), or
        whose backoff has no jitter (low).

    Why it matters:
        Immediate retries hit a struggling callee again within milliseconds, multiplying its load just
        when it is failing. Backoff without jitter synchronises clients: every caller that failed at the
        same moment retries at the same moment, in waves.

    Example:
        ```yaml
        components:
          api:
            calls:
              - {to: db, timeout: 1s, retries: 3, backoff: false}
        ```

    Fix:
        ```yaml
        components:
          api:
            calls:
              - {to: db, timeout: 1s, retries: 3, backoff: true, jitter: true}
        ```
        e.g. ``base 100ms, factor 2, full jitter`` in the client.

    Trade-offs:
        Backoff lengthens the time to a successful retry (worse latency for the unlucky requests); keep
        the total under the caller's own timeout (RS002).
    """

    code = "RS003"
    name = "retry-without-backoff"
    category = Category.RESILIENCE
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for e in ctx.system.edges:
            if not e.retries or e.retries < 1 or e.startup_only:
                continue
            if e.backoff is not True:
                problem = "backoff: false" if e.backoff is False else "no backoff stated"
                sev = self.severity
            elif e.jitter is not True:
                problem = "backoff without jitter" if e.jitter is False else "backoff with no jitter stated"
                sev = Severity.LOW
            else:
                continue
            file, line = _where(ctx, e)
            yield self.finding(
                component=e.from_,
                file=file,
                line=line,
                severity=ctx.severity_for(e.from_, sev),
                message=f"`{e.from_}` retries `{e.to}` {e.retries} time(s) with {problem}.",
                why=(
                    f"When `{e.to}` struggles, `{e.from_}`'s retries arrive "
                    + (
                        "immediately, multiplying its load"
                        if sev == self.severity
                        else "in synchronised waves"
                    )
                    + " exactly when it has the least capacity, which can keep it from recovering."
                ),
                fix=(
                    calls_yaml((e.from_, e.to, f"retries: {e.retries}, backoff: true, jitter: true"))
                    + "\n# in the client: exponential backoff (base 100ms, factor 2) with full jitter"
                ),
                tradeoff=(
                    "Retried requests succeed later (tail latency "
                    "grows); keep the total within the caller's timeout."
                ),
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
            fixed = pairs[-CHAIN_SHOWN:]  # the fix names the last calls; the earlier ones get the same advice
            file, line = _where(ctx, last)
            yield self.finding(
                component=node,
                file=file,
                line=line,
                severity=ctx.severity_for(node, self.severity),
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
                fix=(
                    "# retry at one layer only (here the last), and cap retries with a budget\n"
                    + (
                        f"# (and retries: 0 on the {len(pairs) - len(fixed)} calls before these)\n"
                        if len(fixed) < len(pairs)
                        else ""
                    )
                    + calls_yaml(
                        *(
                            (a, b, f"retries: {0 if i < len(fixed) - 1 else g.edges[a, b]['w'] - 1}")
                            for i, (a, b) in enumerate(fixed)
                        )
                    )
                    + "\n# Envoy: retry_budget {budget_percent: 20}; gRPC: retryThrottling"
                ),
                tradeoff=(
                    "Callers see more transient errors; a retry budget needs a proxy or client library "
                    "that supports it."
                ),
            )


def _max_product_paths(g: nx.DiGraph) -> dict[str, tuple[float, list[str]]]:
    """For each node, the highest attempt product over simple paths ending there, and that path."""
    best: dict[str, tuple[float, list[str]]] = {n: (1.0, [n]) for n in g.nodes}
    if nx.is_directed_acyclic_graph(g):
        for n in nx.topological_sort(g):
            prod, path = best[n]
            for s in g.successors(n):
                cand = prod * g.edges[n, s]["w"]
                if cand > best[s][0]:
                    best[s] = (cand, [*path, s])
        return best
    # Cycles: the heaviest path *into* each node is the heaviest path out of it in the reversed graph; a
    # product of attempts is a sum of their logarithms. The product is recomputed exactly from the path.
    back = g.reverse(copy=False)
    chains = longest_paths(back, g.nodes, weight=lambda a, b: math.log(g.edges[b, a]["w"]))
    for n, chain in chains.items():
        path = list(reversed(chain.path))
        best[n] = (math.prod(g.edges[a, b]["w"] for a, b in itertools.pairwise(path)), path)
    return best


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


def _sync_graph(ctx: Context) -> nx.DiGraph:
    """Runtime calls that keep a request waiting: every runtime edge except those into a queue.

    ``Component.async_`` is not a chain breaker: it says the callee's workers are not held while *its*
    downstream calls run (an event loop), but its callers still wait for its answer."""
    g: nx.DiGraph = nx.DiGraph()
    for a, b, data in ctx.runtime_graph.edges(data=True):
        callee = ctx.component(b)
        caller = ctx.component(a)
        if callee is None or caller is None or callee.kind == Kind.QUEUE:
            continue
        if ctx.is_tooling(caller) or ctx.is_tooling(callee):
            continue
        g.add_edge(a, b, edge=data["edge"])
    return g


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
            yield self.finding(
                component=ep,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"entry point `{ep}` reaches a synchronous chain of {'' if chain.exact else 'at least '}"
                    f"{hops} hops (limit {limit}): {shown_chain(path)}."
                ),
                why=(
                    f"A request through this chain waits on {hops} services in series: their latencies add "
                    "up, their availabilities multiply down, and the slowest hop's tail becomes the "
                    "request's tail."
                ),
                fix=(
                    f"# make the tail asynchronous: {path[-2]} publishes an event and answers at once;\n"
                    f"# a consumer calls {path[-1]}. In redline.yaml:\n"
                    f"components:\n  {path[-2]}-events: {{kind: queue}}\n"
                    f"  {path[-2]}:\n    calls:\n      - {{to: {path[-2]}-events}}"
                ),
                tradeoff=(
                    "Asynchronous steps give eventual consistency and need idempotent consumers; caching "
                    "serves stale data; merging services couples their deploys."
                ),
            )


def _slo_target(ctx: Context) -> tuple[str, float] | None:
    slo = ctx.system.slo
    configured = ctx.thresholds.get("slo_latency_s")
    if configured is not None:
        return "configured latency SLO", float(configured)
    if slo is None or not slo.latency_s:
        return None
    # The loosest objective: exceeding even that one is a certain violation.
    key = max(slo.latency_s, key=lambda k: slo.latency_s[k])
    return key, slo.latency_s[key]


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
            calc = _fmt_s(e.timeout_s) + (f" × {attempts(e)} attempts" if attempts(e) > 1 else "")
            file, line = _where(ctx, e)
            yield self.finding(
                component=e.from_,
                file=file,
                line=line,
                severity=ctx.severity_for(e.from_, self.severity),
                message=(
                    f"entry point `{e.from_}` may wait {calc} = {_fmt_s(worst)} on `{e.to}`, above the "
                    f"{label} objective of {_fmt_s(slo_s)}."
                ),
                why=(
                    f"When `{e.to}` is slow but not failing, "
                    f"`{e.from_}` keeps waiting long after the request "
                    "missed its objective, holding a worker for an answer nobody can use."
                ),
                fix=(
                    calls_yaml(
                        (
                            e.from_,
                            e.to,
                            f"timeout: {slo_s / (attempts(e) + 1):.2g}s, retries: {e.retries or 0}",
                        )
                    )
                    + f"   # {attempts(e)} attempt(s) fit in the SLO"
                ),
                tradeoff="Tighter timeouts fail slow requests instead of serving them late.",
            )
        for ep, (total, chain) in _longest_time_paths(ctx, _sync_graph(ctx)).items():
            if total <= slo_s:
                continue
            c = ctx.component(ep)
            if c is None:
                continue
            file, line = ctx.where(c)
            yield self.finding(
                component=ep,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"the stated service times along {shown_chain(chain)} "
                    f"add up to {_fmt_s(round(total, 4))}, "
                    f"above the {label} objective of {_fmt_s(slo_s)}."
                ),
                why=(
                    "Before any queueing or retry, the mean time of this synchronous chain already exceeds "
                    "the latency objective: the SLO is missed on typical requests, not just the tail."
                ),
                fix=(
                    "# parallelise independent calls, cache a stable hop, or make the tail async\n"
                    + calls_yaml((chain[-2], chain[-1], "parallel: true"))
                ),
                tradeoff=(
                    "Parallel calls raise peak load on callees; caches "
                    "serve stale data; async gives eventual consistency."
                ),
            )


def _longest_time_paths(ctx: Context, g: nx.DiGraph) -> dict[str, tuple[float, list[str]]]:
    """Per entry point with a stated service time, the chain from it with the largest sum of stated
    service times (count-weighted), when that chain has at least one hop.

    Only calls into components with a stated service time count, and parallel calls do not: they
    overlap, and summing them would overstate the chain."""

    def time_of(name: str) -> float | None:
        c = ctx.component(name)
        return None if c is None else c.service_time_s

    timed: nx.DiGraph = nx.DiGraph()
    for a, b, data in g.edges(data=True):
        if time_of(b) is not None and not data["edge"].parallel:
            timed.add_edge(a, b, w=(time_of(b) or 0.0) * (data["edge"].count or 1.0))
    starts = [ep for ep in ctx.entrypoints if time_of(ep) is not None]
    chains = longest_paths(timed, starts, weight=lambda a, b: float(timed.edges[a, b]["w"]))
    return {
        ep: ((time_of(ep) or 0.0) + chain.value, list(chain.path))
        for ep, chain in chains.items()
        if len(chain.path) > 1
    }


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
