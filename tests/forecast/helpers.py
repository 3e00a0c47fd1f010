"""Build :class:`redline.model.System` objects from compact dicts, the shape redline.yaml has."""

from __future__ import annotations

from typing import Any

from redline.model import System


def make_system(spec: dict[str, Any]) -> System:
    """``{"components": {name: {kind, replicas, workers, service_time, calls: [{to, count, ...}]}}, ...}``.

    Times (``service_time``, a call's ``timeout`` and ``overhead``) are seconds. Each component and call gets a fake source (``test.yaml:<n>``) so error messages
    that cite file:line can be checked.
    """
    comps = []
    edges = []
    line = 1
    for name, body in spec.get("components", {}).items():
        body = dict(body)
        calls = body.pop("calls", [])
        comp: dict[str, Any] = {"name": name, "kind": body.pop("kind", "service")}
        comp["source"] = {"file": "test.yaml", "line": line}
        line += 1
        rename = {"service_time": "service_time_s", "scv": "service_time_scv", "async": "async"}
        for key, value in body.items():
            comp[rename.get(key, key)] = value
        comps.append(comp)
        for call in calls:
            call = dict(call)
            edge: dict[str, Any] = {"from": name, "to": call.pop("to")}
            if "timeout" in call:
                edge["timeout_s"] = call.pop("timeout")
            if "overhead" in call:
                edge["overhead_s"] = call.pop("overhead")
            edge.update(call)
            edge["source"] = {"file": "test.yaml", "line": line}
            line += 1
            edges.append(edge)
    data: dict[str, Any] = {
        "name": spec.get("name", "test"),
        "components": comps,
        "edges": edges,
        "entrypoints": spec.get("entrypoints", []),
    }
    for key in ("slo", "growth", "defaults"):
        if key in spec:
            data[key] = spec[key]
    return System.model_validate(data)


SHOP: dict[str, Any] = {
    "name": "shop",
    "slo": {"availability": 0.999, "latency_s": {"p95": 0.2, "p99": 1.0}},
    "entrypoints": [{"name": "web", "component": "frontend", "rps": 300}],
    "growth": {"factor": 10},
    "components": {
        "frontend": {
            "replicas": 3,
            "workers": 8,
            "service_time": 0.012,
            "calls": [{"to": "catalog", "count": 2, "timeout": 0.5, "retries": 2, "circuit_breaker": True}],
        },
        "catalog": {
            "replicas": 2,
            "workers": 4,
            "service_time": 0.008,
            "calls": [{"to": "db", "count": 3}],
        },
        "db": {
            "kind": "datastore",
            "engine": "postgres",
            "replicas": 1,
            "workers": 16,
            "service_time": 0.002,
        },
    },
}
