"""JSON rendering of a ``redline fix`` run, for scripts and CI.

Shape (stable; extra keys may be added, none removed)::

    {"mode": "write" | "diff", "root": "...", "unsafe": false, "new_objects": "beside" | "append",
     "kubernetes_version": "1.33",
     "fixes": [{"rule", "name", "severity", "component", "file", "line", "message",
                "safety", "title", "outcome", "reason", "detail", "files"}],
     "files": [{"file", "created", "fixes", "diff"}],
     "totals": {"applied", "would_apply", "skipped_unsafe", "advice", "rejected"},
     "findings": {"before", "after", "remaining"},
     "rules": {"AV004": {"safety", "before", "after", "applied", "skipped_unsafe", "advice", "rejected"}},
     "reviews": {"run", "max"},
     "skipped": [{"file", "line", "kind", "reason"}]}

``outcome`` is one of ``applied``, ``would-apply`` (``--diff``), ``skipped-unsafe``, ``advice``,
``rejected``; ``reason`` (null when applied) one of ``advice-only``, ``helm-template``, ``outside-root``,
``edit-error``, ``conflict``, ``parse-error``, ``schema-error``, ``components-changed``,
``finding-not-gone``, ``new-finding``, ``review-cap``. ``files[].fixes`` are indexes into ``fixes``;
``files[].diff`` is a unified diff with secrets masked. ``findings.remaining`` counts the findings of the
selected rules that still carry an edit in the files on disk (what the exit code reads).
"""

from __future__ import annotations

import json
from typing import Any

from redline.fix.result import FixResult
from redline.report import skipped

FIX_KEYS = (
    "rule",
    "name",
    "severity",
    "component",
    "file",
    "line",
    "message",
    "safety",
    "title",
    "outcome",
    "reason",
    "detail",
    "files",
)


def to_dict(result: FixResult) -> dict[str, Any]:
    fixes = []
    for r in result.fixes:
        f = r.finding
        fixes.append(
            {
                "rule": f.rule,
                "name": f.name,
                "severity": f.severity.value,
                "component": f.component,
                "file": f.file,
                "line": f.line,
                "message": f.message,
                "safety": r.safety.value,
                "title": r.title,
                "outcome": r.outcome.value,
                "reason": r.reason.value if r.reason else None,
                "detail": r.detail,
                "files": r.files,
            }
        )
    return {
        "mode": "diff" if result.diff_only else "write",
        "root": result.root,
        "unsafe": result.unsafe,
        "new_objects": result.new_objects,
        "kubernetes_version": result.kubernetes_version,
        "fixes": fixes,
        "files": [c.model_dump(mode="json") for c in result.files],
        "totals": result.totals.model_dump(mode="json"),
        "findings": {
            "before": result.findings_before,
            "after": result.findings_after,
            "remaining": result.remaining,
        },
        "rules": {code: counts.model_dump(mode="json") for code, counts in result.rules.items()},
        "reviews": {"run": result.reviews, "max": result.max_reviews},
        "skipped": skipped.to_json(result.skipped),
    }


def render(result: FixResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
