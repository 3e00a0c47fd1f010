"""The system model: the one thing readers produce and engines consume. Imports nothing of redline.

Names load on first use (PEP 562): ``redline.model.units`` is imported by the load generator, which
should not pay for building the pydantic model classes it never uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redline.model.source import Source
    from redline.model.system import (
        SLO,
        Autoscaling,
        Component,
        Container,
        Cost,
        CronSpec,
        Diagnostic,
        DisruptionBudget,
        Edge,
        Entrypoint,
        EnvVar,
        Evidence,
        FileRead,
        Growth,
        K8sObject,
        Kind,
        MetricsPreset,
        Placement,
        Pool,
        Port,
        Probe,
        Provenance,
        Resources,
        SecurityContext,
        SkipKind,
        Skipped,
        SLIMetrics,
        Substitution,
        System,
        Unresolved,
        UpdateStrategy,
        Volume,
    )
    from redline.model.units import UnitError

_WHERE = {"Source": "redline.model.source", "UnitError": "redline.model.units"}

__all__ = [
    "SLO",
    "Autoscaling",
    "Component",
    "Container",
    "Cost",
    "CronSpec",
    "Diagnostic",
    "DisruptionBudget",
    "Edge",
    "Entrypoint",
    "EnvVar",
    "Evidence",
    "FileRead",
    "Growth",
    "K8sObject",
    "Kind",
    "MetricsPreset",
    "Placement",
    "Pool",
    "Port",
    "Probe",
    "Provenance",
    "Resources",
    "SLIMetrics",
    "SecurityContext",
    "SkipKind",
    "Skipped",
    "Source",
    "Substitution",
    "System",
    "UnitError",
    "Unresolved",
    "UpdateStrategy",
    "Volume",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'redline.model' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_WHERE.get(name, "redline.model.system")), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
