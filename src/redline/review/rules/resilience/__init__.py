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

from redline.review.rules.resilience import (
    rs001_call_without_timeout,
    rs002_timeout_inversion,
    rs003_retry_without_backoff,
    rs004_retry_amplification,
    rs005_no_circuit_breaker,
    rs006_deep_synchronous_chain,
    rs007_latency_budget_exceeds_slo,
    rs008_shared_pool_no_bulkhead,
)

__all__ = [
    "rs001_call_without_timeout",
    "rs002_timeout_inversion",
    "rs003_retry_without_backoff",
    "rs004_retry_amplification",
    "rs005_no_circuit_breaker",
    "rs006_deep_synchronous_chain",
    "rs007_latency_budget_exceeds_slo",
    "rs008_shared_pool_no_bulkhead",
]
