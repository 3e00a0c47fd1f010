"""Measured facts read from traces: typed, each with the trace file as its source."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from redline.model.source import Source
from redline.traces.spans import TraceFormat

__all__ = ["CallFacts", "ServiceFacts", "TraceFacts"]


class _Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ServiceFacts(_Facts):
    """One service as its spans show it."""

    name: str
    visits: int = Field(description="requests it served (SERVER spans, or root spans)")
    own_ms: float = Field(description="mean own time per visit: its spans minus their children")
    own_p50_ms: float
    error_rate: float = Field(description="share of visits whose span has an error status")
    entry_requests: int = Field(0, description="visits that start a trace (requests from outside)")
    source: Source


class CallFacts(_Facts):
    """Calls from one service to another."""

    from_: str = Field(alias="from")
    to: str
    calls: int
    per_request: float = Field(description="calls per visit of the caller")
    overhead_ms: float | None = Field(
        None, description="mean client span minus the callee's server span: pool wait, transport, queueing"
    )
    source: Source


class TraceFacts(_Facts):
    """Everything one trace file says: the call graph, own times, error rates."""

    source: Source
    format: TraceFormat | None = None
    spans: int
    traces: int
    services: dict[str, ServiceFacts]
    calls: list[CallFacts]
