"""SARIF 2.1.0 rendering of a review, for GitHub code scanning and other SARIF viewers.

Levels: critical and high are ``error``, medium ``warning``, low ``note`` (SARIF has no finer scale; the
redline severity is kept in ``properties.severity``). Locations are relative to ``%SRCROOT%``, the
repository root (the git root above the scanned folder, or ``--root``; the scanned folder when there is
none), so that code scanning links a finding in a subfolder to its file. ``partialFingerprints`` hash the
rule, component, file and message — not the line — so a finding keeps its identity when unrelated lines
move.

A finding read from a rendered Helm template points at the template file (``chart/templates/x.yaml``)
with no line: the line redline knows is one of the rendered output, which names a different line of the
template. It is kept in ``properties.rendered_line`` and said in the message.

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


class _Places:
    """Where files lie for SARIF: their URI under ``%SRCROOT%``, and whether Helm rendered them."""

    def __init__(self, root: str | None, repo_root: str | None) -> None:
        self.root = Path(root).resolve() if root else None
        base = Path(repo_root).resolve() if repo_root else self.root
        if self.root is not None and base is not None and not self.root.is_relative_to(base):
            base = self.root  # a --root that does not hold the scan: cite files from the scan
        self.base = base
        self.prefix = self.root.relative_to(base).as_posix() if self.root and base else "."
        self._rendered: dict[str, bool] = {}

    def uri(self, file: str) -> str:
        rel = Path(file).as_posix()
        return rel if self.prefix == "." else f"{self.prefix}/{rel}"

    def rendered(self, file: str) -> bool:
        """True for a file in a Helm chart's ``templates/`` folder (a ``Chart.yaml`` beside the folder)."""
        if self.root is None:
            return False
        if file not in self._rendered:
            parts = Path(file).parts
            self._rendered[file] = any(
                part == "templates" and (self.root.joinpath(*parts[:i]) / "Chart.yaml").is_file()
                for i, part in enumerate(parts[:-1])
            )
        return self._rendered[file]


def _result(f: Finding, index: dict[str, int], places: _Places) -> dict[str, Any]:
    rendered = bool(f.file) and places.rendered(f.file or "")
    where = f" (line {f.line} of the rendered template)" if rendered and f.line else ""
    text = f"{f.message}{where} {f.why}"
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
    if f.evidence:
        result["properties"]["evidence"] = f.evidence
    if f.file:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": places.uri(f.file), "uriBaseId": "%SRCROOT%"},
        }
        if rendered and f.line:
            result["properties"]["rendered_line"] = f.line
        elif f.line and f.line >= 1:
            physical["region"] = {"startLine": f.line}
        location: dict[str, Any] = {"physicalLocation": physical}
        if f.component:
            location["logicalLocations"] = [{"name": f.component, "kind": "module"}]
        result["locations"] = [location]
    return result


def _notifications(report: Report, places: _Places) -> list[dict[str, Any]]:
    """What was not read, its locations under ``%SRCROOT%`` like the results'."""
    out = skipped.sarif_notifications(report.skipped)
    for note in out:
        for loc in note.get("locations", []):
            artifact = loc["physicalLocation"]["artifactLocation"]
            artifact["uri"] = places.uri(artifact["uri"])
    return out


def to_dict(report: Report, root: str | None = None, repo_root: str | None = None) -> dict[str, Any]:
    """The SARIF log. ``root``: the folder findings' files are relative to (``System.root``);
    ``repo_root``: the repository root that becomes ``%SRCROOT%`` (default: ``root``)."""
    places = _Places(root, repo_root)
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
        "results": [_result(f, index, places) for f in report.shown()],
        "invocations": [
            {
                "executionSuccessful": not skipped.gating(report.skipped),
                "toolExecutionNotifications": _notifications(report, places),
            }
        ],
        "columnKind": "unicodeCodePoints",
    }
    if places.base is not None:
        uri = places.base.as_uri()
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": uri if uri.endswith("/") else uri + "/"}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report, root: str | None = None, repo_root: str | None = None) -> str:
    return json.dumps(to_dict(report, root, repo_root), indent=2, ensure_ascii=False) + "\n"
