"""JSON rendering of a review, for scripts and dashboards.

Shape (stable; extra keys may be added, none removed)::

    {"findings": [{"rule", "name", "category", "severity", "component", "file", "line",
                   "message", "why", "fix", "tradeoff",
                   "fix_safety", "fix_detail": {"safety", "title", "edits", "creates", "advice"}}],
     "summary": {"critical": 0, "high": 0, "medium": 0, "low": 0, "total": 0,
                 "rules_run": [...], "suppressed": 0, "fail_on": "high", "failed": false},
     "entrypoints": [...], "errors": [...],
     "skipped": [{"file", "line", "kind", "reason"}]}

``skipped`` lists what the scan did not read, gating kinds (unreadable, not-rendered, rejected) first.
"""

from __future__ import annotations

import json
from typing import Any

from redline.report import skipped
from redline.review.engine import Report
from redline.review.rule import Severity

FINDING_KEYS = (
    "rule",
    "name",
    "category",
    "severity",
    "component",
    "file",
    "line",
    "message",
    "why",
    "fix",
    "tradeoff",
    "fix_safety",
    "fix_detail",
)


def to_dict(report: Report) -> dict[str, Any]:
    findings = []
    for f in report.findings:
        data = f.model_dump(mode="json")
        detail = data["fix"]
        data["fix"] = detail["snippet"]  # the snippet, as before; the typed fix beside it
        data["fix_safety"] = detail["safety"]
        data["fix_detail"] = {k: detail[k] for k in ("safety", "title", "edits", "creates", "advice")}
        findings.append({k: data[k] for k in FINDING_KEYS})
    summary: dict[str, Any] = {s.value: report.summary.get(s.value, 0) for s in Severity}
    summary.update(
        total=len(report.findings),
        rules_run=report.rules_run,
        suppressed=len(report.suppressed),
        fail_on=report.fail_on,
        failed=report.failed(),
    )
    return {
        "findings": findings,
        "summary": summary,
        "entrypoints": report.entrypoints,
        "errors": report.errors,
        "skipped": skipped.to_json(report.skipped),
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
