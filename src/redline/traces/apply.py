"""Measured facts onto a model: service times and call counts from traces, with the trace file as source."""

from __future__ import annotations

from redline.model import Provenance, System
from redline.traces.result import TraceFacts

__all__ = ["apply_facts"]


def apply_facts(system: System, facts: TraceFacts) -> tuple[System, list[str]]:
    """A copy of ``system`` with each traced service's own time as its ``service_time`` and each traced
    call's calls per request as its ``count``; and what could not be applied (services or calls the model
    does not have: traces name services, the model components, and they may differ)."""
    out = system.model_copy(deep=True)
    notes: list[str] = []
    for name, sf in facts.services.items():
        comp = out.component(name)
        if comp is None:
            notes.append(f"{facts.source}: service {name!r} is no component of the model; not applied")
            continue
        old = comp.service_time_s
        comp.service_time_s = sf.own_ms / 1000
        was = f"{old * 1000:g} ms" if old is not None else None
        comp.provenance["service_time_s"] = Provenance(
            source=facts.source, origin="traces", overrode=f"stated {was}" if was else None
        )
    for cf in facts.calls:
        edge = next((e for e in out.calls_from(cf.from_) if e.to == cf.to), None)
        if edge is None:
            notes.append(f"{facts.source}: {cf.from_} -> {cf.to} is traced but not in the model; not applied")
            continue
        edge.count = cf.per_request
    return out, notes
