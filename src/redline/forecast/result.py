"""The forecast's result types: what ``--format json`` prints and the text and HTML views render.

Latencies are milliseconds; ``None`` means "unbounded: the entry point is saturated at that load", always
paired with ``saturated: true`` — never a negative or infinite number.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AvailabilityForecast",
    "ComponentForecast",
    "CostForecast",
    "CurvePoint",
    "EntrypointForecast",
    "Forecast",
    "GrowthPlan",
    "PoolForecast",
    "ReplicaChange",
]


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntrypointForecast(_Result):
    """Latency, saturation and SLO crossing of one entry point."""

    name: str
    component: str
    rps: float
    target_rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    saturated: bool
    target_p50_ms: float | None
    target_p95_ms: float | None
    target_p99_ms: float | None
    target_saturated: bool
    saturation_rps: float | None = Field(description="entry point rps at which it saturates; None: never")
    slo_breach_rps: float | None = Field(description="rps at which a latency SLO is first crossed")
    slo_breach_percentile: str | None = None
    slo_ms: dict[str, float] = Field(default_factory=dict)
    slo_met: bool | None = None
    target_slo_met: bool | None = None
    bottleneck: str | None
    bottleneck_pool: str | None = None
    bottleneck_reason: str | None = None
    bottleneck_through: list[str] = Field(
        default_factory=list,
        description="held pools (outermost first) whose workers fill up because the bottleneck binds",
    )
    summary: str


class ComponentForecast(_Result):
    """One replica set as a multi-server station, at current and target load."""

    name: str
    kind: str
    replicas: int
    workers: int
    servers: int
    held_workers: bool
    service_ms: float
    arrival_rps: float
    utilization: float | None
    hold_ms: float | None
    wait_ms: float | None
    response_ms: float | None
    saturated: bool
    target_arrival_rps: float
    target_utilization: float | None
    target_saturated: bool
    replicas_needed: int = Field(description="replicas keeping utilization <= 70% at the target load")
    replicas_for_slo: int | None = Field(description="replicas (greedy) to meet the latency SLO at target")
    max_replicas: int | None = None
    capacity_rps: float | None = Field(
        default=None,
        description="requests/s its servers carry when all are busy (held workers: with the queue they fill "
        "downstream full of their requests); None when unbounded",
    )
    availability: float
    assumed: list[str] = Field(default_factory=list)


class PoolForecast(_Result):
    """A connection pool as a station: ``size × replicas`` connections."""

    component: str
    name: str
    size: int
    servers: int
    arrival_rps: float
    utilization: float | None
    wait_ms: float | None
    saturated: bool
    target_utilization: float | None
    size_needed: int


class AvailabilityForecast(_Result):
    entrypoint: str
    value: float
    slo: float | None
    meets_slo: bool | None
    budget_minutes_month: float | None
    expected_downtime_minutes_month: float
    weakest: str
    weakest_availability: float


class ReplicaChange(_Result):
    component: str
    pool: str | None = None
    current: int
    planned: int
    reason: str


class GrowthPlan(_Result):
    """What must change to carry the target load."""

    factor: float
    source: str
    current_rps: float
    target_rps: float
    saturated_without_changes: bool
    slo_met_without_changes: bool | None
    changes: list[ReplicaChange] = Field(default_factory=list)
    slo_met_after: bool | None
    p95_after_ms: dict[str, float | None] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


class CostForecast(_Result):
    currency: str
    known: bool
    monthly_before: float | None
    monthly_after: float | None
    unknown_components: list[str] = Field(default_factory=list)
    hours_per_month: float = 730.0
    note: str


class CurvePoint(_Result):
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class Forecast(_Result):
    """Everything ``redline forecast`` says about one system."""

    system: str | None
    entrypoints: list[EntrypointForecast]
    components: list[ComponentForecast]
    pools: list[PoolForecast] = Field(default_factory=list)
    availability: list[AvailabilityForecast]
    growth: GrowthPlan
    cost: CostForecast
    assumptions: list[str]
    warnings: list[str] = Field(default_factory=list)
    curves: dict[str, list[CurvePoint]] = Field(default_factory=dict)
    breached: bool = Field(description="SLO breached, or saturated, at the target load")
    breach_reasons: list[str] = Field(default_factory=list)
