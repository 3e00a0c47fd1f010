"""Test-only converter: OTLP JSON (as the reference system writes it) → Jaeger JSON (its query API shape).

The Jaeger fixtures are built by this converter from the spans a real run of the reference system wrote,
not written by hand: ``{"data": [{"traceID", "spans": [...], "processes": {...}}]}``, each span with
``spanID``, ``operationName``, ``references`` (``CHILD_OF`` the parent), ``startTime``/``duration`` in
microseconds, ``processID`` and ``tags`` (``span.kind``, ``error``, ``peer.service``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _attrs(attrs: list[dict[str, Any]]) -> dict[str, Any]:
    return {a["key"]: next(iter(a["value"].values())) for a in attrs}


def convert(otlp: Path, out: Path) -> None:
    traces: dict[str, list[dict[str, Any]]] = defaultdict(list)
    processes: dict[str, dict[str, str]] = {}
    for line in otlp.read_text().splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            service = _attrs(rs["resource"]["attributes"])["service.name"]
            pid = f"p-{service}"
            processes[pid] = {"serviceName": service}
            for ss in rs["scopeSpans"]:
                for s in ss["spans"]:
                    start_us = int(s["startTimeUnixNano"]) // 1000
                    end_us = int(s["endTimeUnixNano"]) // 1000
                    tags = [{"key": "span.kind", "type": "string", "value": KINDS[s["kind"]]}]
                    tags += [
                        {"key": k, "type": "string", "value": v} for k, v in _attrs(s["attributes"]).items()
                    ]
                    if s["status"]["code"] == 2:
                        tags.append({"key": "error", "type": "bool", "value": True})
                    refs = (
                        [{"refType": "CHILD_OF", "traceID": s["traceId"], "spanID": s["parentSpanId"]}]
                        if s["parentSpanId"]
                        else []
                    )
                    traces[s["traceId"]].append(
                        {
                            "traceID": s["traceId"],
                            "spanID": s["spanId"],
                            "operationName": s["name"],
                            "references": refs,
                            "startTime": start_us,
                            "duration": end_us - start_us,
                            "processID": pid,
                            "tags": tags,
                        }
                    )
    data = [{"traceID": t, "spans": spans, "processes": processes} for t, spans in traces.items()]
    out.write_text(json.dumps({"data": data}))
