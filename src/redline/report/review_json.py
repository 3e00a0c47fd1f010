"""JSON rendering of a review, for scripts, dashboards and baselines.

Shape (stable; extra keys may be added, none removed)::

    {"format": "redline-review/1",
     "findings": [{"rule", "name", "category", "severity", "component", "file", "line",
                   "message", "why", "fix", "tradeoff",
                   "fix_safety", "fix_detail": {"safety", "title", "edits", "creates", "advice"},
                   "evidence": [...], "group": "OP007-3f2a9c"}],
     "summary": {"critical": 0, "high": 0, "medium": 0, "low": 0, "total": 0,
                 "rules_run": [...], "suppressed": 0, "fail_on": "high", "failed": false,
                 "by_rule": {"OP007": 3}, "shown": 0, "min_severity": null,
                 "baseline": null, "baselined": 0},
     "entrypoints": [...], "errors": [...],
     "skipped": [{"file", "line", "kind", "reason"}]}

One row per finding (``--min-severity`` leaves out those below it: ``summary.shown`` counts the rows,
``summary.total`` every finding). ``group`` names the finding's story (:mod:`redline.report.review_groups`):
rows with the same group are what text and Markdown show as one entry. ``evidence`` holds supporting
``file:line reason`` strings; for a secret, the other places that hold the same value. With a baseline,
``findings`` and the counts are the new findings; ``summary.baselined`` counts those the baseline held.
``format`` names this shape: ``redline review --baseline`` reads only files that carry it.
``skipped`` lists what the scan did not read, gating kinds (unreadable, not-rendered, rejected) first.
"""

from __future__ import annotations

import json
from typing import Any

from redline.report import skipped
from redline.report.review_groups import Stories, by_rule
from redline.review.baseline import REVIEW_JSON_FORMAT
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
    "evidence",
    "group",
)


def to_dict(report: Report) -> dict[str, Any]:
    stories = Stories(report.findings)
    findings = []
    for f in report.shown():
        data = f.model_dump(mode="json")
        detail = data["fix"]
        data["fix"] = detail["snippet"]  # the snippet, as before; the typed fix beside it
        data["fix_safety"] = detail["safety"]
        data["fix_detail"] = {k: detail[k] for k in ("safety", "title", "edits", "creates", "advice")}
        data["group"] = stories.group_id(f)
        findings.append({k: data[k] for k in FINDING_KEYS})
    summary: dict[str, Any] = {s.value: report.summary.get(s.value, 0) for s in Severity}
    summary.update(
        total=len(report.findings),
        rules_run=report.rules_run,
        suppressed=len(report.suppressed),
        fail_on=report.fail_on,
        failed=report.failed(),
        by_rule={rule: n for rule, _sev, n in by_rule(report.findings)},
        shown=len(findings),
        min_severity=report.min_severity.value if report.min_severity else None,
        baseline=report.baseline,
        baselined=len(report.baselined),
    )
    return {
        "format": REVIEW_JSON_FORMAT,
        "findings": findings,
        "summary": summary,
        "entrypoints": report.entrypoints,
        "errors": report.errors,
        "skipped": skipped.to_json(report.skipped),
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
