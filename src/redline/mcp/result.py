"""What the MCP tools return: typed results, apart from the functions that compute them.

Each model is a tool's output schema (the SDK publishes it and sends the result as structured content).
Places are cited as ``file:line`` relative to the scanned root. Long lists are paged: a tool takes
``offset`` and ``limit`` and returns a :class:`Page` whose ``next_offset`` is the ``offset`` of the next
call, or ``None`` after the last page.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from redline.fix.result import FileChange, FixRecord, Totals
from redline.forecast.result import (
    AvailabilityForecast,
    ComponentForecast,
    CostForecast,
    EntrypointForecast,
    GrowthPlan,
    PoolForecast,
)

__all__ = [
    "BlastRadius",
    "CallEdge",
    "CallPath",
    "ComponentView",
    "DependentsResult",
    "EntrypointImpact",
    "EntrypointView",
    "FindingView",
    "FixView",
    "ForecastView",
    "LoadView",
    "Page",
    "PathsResult",
    "ReviewResult",
    "RuleView",
    "ScanResult",
    "SkippedView",
]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(_Out):
    """Where this page sits in the whole list."""

    offset: int
    limit: int
    total: int
    next_offset: int | None = Field(description="offset of the next page; null after the last one")

    @classmethod
    def of(cls, offset: int, limit: int, total: int) -> Page:
        end = offset + limit
        return cls(offset=offset, limit=limit, total=total, next_offset=end if end < total else None)


class SkippedView(_Out):
    """A file (or part of one) that was not read: answers do not cover it."""

    file: str
    line: int | None
    kind: str
    reason: str


class CallEdge(_Out):
    """One dependency: ``caller`` calls (or needs) ``callee``, with the evidence it was read from."""

    caller: str
    callee: str
    count: float | None = Field(description="calls per request of the caller; null: not stated (taken as 1)")
    timeout_s: float | None
    retries: int | None
    circuit_breaker: bool | None
    startup_only: bool = Field(
        description="only a start-up ordering (Compose depends_on), not a runtime call"
    )
    confidence: float
    evidence: list[str] = Field(description="`file:line reason`, strongest first, at most 3")


class EntrypointView(_Out):
    name: str
    component: str
    rps: float | None
    inferred: bool
    reason: str | None


class ComponentView(_Out):
    name: str
    kind: str
    engine: str | None
    platform: str
    workload: str | None
    replicas: int | None = Field(description="stated replicas (HPA minimum when autoscaled); null: unstated")
    defined_at: str | None = Field(description="file:line")
    calls: list[CallEdge] = Field(description="its outgoing dependencies")


class ScanResult(_Out):
    """The model of a system: components (paged, each with its calls), entry points, what was not read."""

    system: str | None
    path: str = Field(description="the scanned path, relative to the server's root")
    files_read: int
    entrypoints: list[EntrypointView]
    components: list[ComponentView]
    edges_total: int
    unresolved: int = Field(description="references to hosts that match no component")
    skipped: list[SkippedView]
    page: Page


class FindingView(_Out):
    rule: str
    name: str
    category: str
    severity: str
    component: str | None
    where: str | None = Field(description="file:line")
    message: str
    why: str
    fix: str = Field(description="the fix, as a title")
    fix_safety: str = Field(description="safe, unsafe or advice: whether `fix` can write it")
    tradeoff: str
    evidence: list[str]


class ReviewResult(_Out):
    """A review: counts of every finding that matches the filters, and one page of them, worst first."""

    path: str
    summary: dict[str, int] = Field(description="findings matching the filters, by severity")
    findings: list[FindingView]
    rules_run: int
    entrypoints: list[str]
    errors: list[str] = Field(description="rules that crashed (their findings are missing)")
    skipped: list[SkippedView]
    page: Page


class ForecastView(_Out):
    """A forecast: every entry point, the growth plan and availability; the components are paged."""

    path: str
    system: str | None
    entrypoints: list[EntrypointForecast]
    components: list[ComponentForecast]
    pools: list[PoolForecast]
    availability: list[AvailabilityForecast]
    growth: GrowthPlan
    cost: CostForecast
    assumptions: list[str]
    warnings: list[str]
    breached: bool = Field(description="an SLO is breached, or something saturates, at the target load")
    breach_reasons: list[str]
    skipped: list[SkippedView]
    page: Page


class RuleView(_Out):
    code: str
    name: str
    category: str
    severity: str
    fix_safety: str
    summary: str
    sections: dict[str, str] = Field(description="What it does, Why it matters, Example, Fix, Trade-offs")


class DependentsResult(_Out):
    """Who depends on a component: its direct callers with evidence, everything upstream, entry points."""

    component: str
    kind: str
    callers: list[CallEdge]
    upstream: list[str] = Field(description="every component whose calls reach it, directly or not")
    entrypoints: list[str] = Field(description="entry points whose call graph reaches it")


class EntrypointImpact(_Out):
    """What one entry point suffers when the component is down."""

    entrypoint: str
    component: str = Field(description="the entry point's component")
    calls_per_request: float | None = Field(
        description="calls reaching the component per entry request, over every path (retries not counted); "
        "null: the call graph has a cycle"
    )
    path: list[CallEdge] = Field(description="one call chain from the entry point to the component")
    cut_off: list[str] = Field(description="components this entry point reaches only through the component")
    reason: str


class BlastRadius(_Out):
    """Which entry points fail and which degrade when a component is down.

    An entry point **fails** when every request it takes needs the component: a chain of calls each made
    by every request (count 1 or more, or not stated) leads to it. It **degrades** when only some requests
    do: every chain to the component passes a call made by a share of requests (count below 1).
    """

    component: str
    kind: str
    fails: list[EntrypointImpact]
    degrades: list[EntrypointImpact]
    unaffected: list[str]
    dependents: list[str] = Field(description="direct callers")
    upstream: list[str] = Field(description="every component whose calls reach it")
    notes: list[str]


class CallPath(_Out):
    hops: list[CallEdge]
    calls_per_request: float = Field(description="product of the hops' counts (an unstated count is 1)")
    every_request: bool = Field(description="every hop is made by every request (no count below 1)")


class PathsResult(_Out):
    """Call paths from an entry point to a component, shortest first."""

    entry: str
    entry_component: str
    component: str
    paths: list[CallPath]
    total: int = Field(description="paths found (at most the search's bound)")
    truncated: bool = Field(description="the search stopped at its bound: there may be more paths")


class FixView(_Out):
    """What ``fix`` did or would do: the diffs (paged by file), totals, and fixes that were rejected."""

    path: str
    written: bool = Field(description="the changes were written into the files")
    totals: Totals
    findings_before: int
    findings_after: int
    reviews: int
    files: list[FileChange]
    rejected: list[FixRecord] = Field(description="fixes that failed a check, at most 50")
    page: Page


class LoadView(_Out):
    """A bounded load run on loopback: what was sent, answered and how fast."""

    target: str
    model: str
    requests: int
    responses: int
    errors: int
    error_rate: float
    rps: float
    elapsed_s: float
    latency_ms: dict[str, float | None] = Field(
        description="p50, p90, p95, p99, p999, max (from intended send time)"
    )
    exit_code: int = Field(description="0 ok, 1 a threshold breached, 3 nothing measured")
    messages: list[str]
