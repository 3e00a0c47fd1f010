"""One generated Prometheus alert, with what its runbook needs to know about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from redline.generate.naming import page_or_ticket
from redline.generate.sli import Objective
from redline.review.rule import Severity

__all__ = ["Alert", "AlertKind"]


class AlertKind(StrEnum):
    """The failure story an alert tells; runbooks explain each."""

    SLO_FAST_BURN = "slo-fast-burn"
    SLO_SLOW_BURN = "slo-slow-burn"
    ERROR_RATE = "error-rate"
    LATENCY = "latency"
    CAPACITY = "capacity"
    CPU = "cpu"
    MEMORY = "memory"
    QUEUE_DEPTH = "queue-depth"
    CONNECTIONS = "connections"


@dataclass(frozen=True)
class Alert:
    """An alerting rule and its story. ``component`` is the component it is about (for an entry point's
    alert, the component traffic enters at); ``entrypoint`` is set for entry-point alerts."""

    name: str
    kind: AlertKind
    subject: str
    component: str
    expr: str
    priority: Severity
    summary: str
    description: str
    runbook: str  # relative to --out: runbooks/NAME.md
    for_: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    entrypoint: str | None = None
    objective: Objective | None = None
    queries: tuple[tuple[str, str], ...] = ()  # (what it shows, PromQL) to confirm it by hand
    notes: tuple[str, ...] = ()

    @property
    def severity(self) -> str:
        return page_or_ticket(self.priority)

    def rule_labels(self) -> dict[str, str]:
        return {"severity": self.severity, "priority": self.priority.value, **self.labels}

    def annotations(self, runbook_base: str) -> dict[str, str]:
        return {
            "summary": self.summary,
            "description": self.description,
            "runbook_url": runbook_base + self.runbook,
        }

    def rule(self, runbook_base: str) -> dict[str, Any]:
        """The alerting rule as Prometheus reads it."""
        out: dict[str, Any] = {"alert": self.name, "expr": self.expr}
        if self.for_:
            out["for"] = self.for_
        out["labels"] = self.rule_labels()
        out["annotations"] = self.annotations(runbook_base)
        return out
