"""SARIF 2.1.0 rendering of a review, for GitHub code scanning and other SARIF viewers.

Levels: critical and high are ``error``, medium ``warning``, low ``note`` (SARIF has no finer scale; the
redline severity is kept in ``properties.severity``). Locations are relative to ``%SRCROOT%``, the scanned
root. ``partialFingerprints`` hash the rule, component, file and message — not the line — so a finding
keeps its identity when unrelated lines move.

What the scan did not read is reported as ``invocations[0].toolExecutionNotifications`` (level ``error``
for gating kinds, ``note`` for files ignored by design); ``executionSuccessful`` is false when a gating
entry exists, so a viewer does not present a partial review as a complete one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from redline import __version__
from redline.report import skipped
from redline.review.docs import parse_doc, rule_markdown
from redline.review.engine import Report
from redline.review.rule import REGISTRY, Finding, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}


def _rule(code: str) -> dict[str, Any]:
    doc = parse_doc(REGISTRY[code])
    return {
        "id": code,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.sections.get("What it does", doc.summary)},
        "help": {
            "text": doc.sections.get("Fix", doc.summary),
            "markdown": rule_markdown(doc, heading="##"),
        },
        "defaultConfiguration": {"level": LEVEL[doc.severity]},
        "properties": {"tags": [doc.category.value, "reliability"], "severity": doc.severity.value},
    }


def _fingerprint(f: Finding) -> str:
    key = "\x1f".join([f.rule, f.component or "", f.file or "", f.message])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    text = f"{f.message} {f.why}"
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "level": LEVEL[f.severity],
        "message": {"text": text},
        "partialFingerprints": {"redline/v1": _fingerprint(f)},
        "properties": {
            "severity": f.severity.value,
            "category": f.category.value,
            "component": f.component or "",
            "fix": f.fix.snippet,
            "fix_safety": f.fix.safety.value,
            "tradeoff": f.tradeoff,
        },
    }
    if f.rule in index:
        result["ruleIndex"] = index[f.rule]
    if f.file:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": Path(f.file).as_posix(), "uriBaseId": "%SRCROOT%"},
        }
        if f.line and f.line >= 1:
            physical["region"] = {"startLine": f.line}
        location: dict[str, Any] = {"physicalLocation": physical}
        if f.component:
            location["logicalLocations"] = [{"name": f.component, "kind": "module"}]
        result["locations"] = [location]
    return result


def to_dict(report: Report, root: str | None = None) -> dict[str, Any]:
    codes = sorted(set(report.rules_run) | {f.rule for f in report.findings})
    codes = [c for c in codes if c in REGISTRY]
    index = {c: i for i, c in enumerate(codes)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "redline",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(c) for c in codes],
            }
        },
        "results": [_result(f, index) for f in report.findings],
        "invocations": [
            {
                "executionSuccessful": not skipped.gating(report.skipped),
                "toolExecutionNotifications": skipped.sarif_notifications(report.skipped),
            }
        ],
        "columnKind": "unicodeCodePoints",
    }
    if root:
        uri = Path(root).resolve().as_uri()
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": uri if uri.endswith("/") else uri + "/"}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report, root: str | None = None) -> str:
    return json.dumps(to_dict(report, root), indent=2, ensure_ascii=False) + "\n"
