"""Markdown rendering of a review, to paste into a pull request or an issue.

It opens with a Mermaid ``graph LR`` of the dependency graph (GitHub and GitLab render it), each
component coloured by its worst finding so a reviewer sees *where* the risk sits before reading what it
is; then what was not read (a visible section, when anything was); then a summary table; then the
findings, worst first, with fix and trade-off folded in ``<details>``.
Startup-only edges (Compose ``depends_on``) are dotted.
"""

from __future__ import annotations

from redline.model import System
from redline.report import graph, skipped
from redline.review.engine import Report
from redline.review.rule import Finding, Severity

CLASSDEF = {
    Severity.CRITICAL: "fill:#7f1d1d,stroke:#450a0a,color:#ffffff",
    Severity.HIGH: "fill:#dc2626,stroke:#7f1d1d,color:#ffffff",
    Severity.MEDIUM: "fill:#facc15,stroke:#a16207,color:#000000",
    Severity.LOW: "fill:#bae6fd,stroke:#0369a1,color:#000000",
}
ICON = {Severity.CRITICAL: "🟥", Severity.HIGH: "🔴", Severity.MEDIUM: "🟡", Severity.LOW: "🔵"}


def mermaid(report: Report, system: System) -> str:
    """The dependency graph (the same drawing as ``redline scan --format mermaid``), each node classed by
    its worst finding."""
    worst = report.worst_by_component()
    text = graph.mermaid(system, classes={name: sev.value for name, sev in worst.items()})
    lines = text.rstrip("\n").split("\n")
    lines += [f"  classDef {sev.value} {CLASSDEF[sev]}" for sev in Severity]
    return "\n".join(lines)


def _finding(f: Finding) -> str:
    where = f" — `{f.file}:{f.line}`" if f.file and f.line else (f" — `{f.file}`" if f.file else "")
    comp = f" `{f.component}`" if f.component else ""
    fix = f.fix.snippet.replace("```", "'''")
    return (
        f"- **{f.rule}** `{f.name}`{comp}{where}  \n"
        f"  {f.message}\n"
        f"  <details><summary>why, fix and trade-off</summary>\n\n"
        f"  {f.why}\n\n"
        f"  ```yaml\n" + "".join(f"  {line}\n" for line in fix.splitlines()) + "  ```\n\n"
        f"  *Trade-off:* {f.tradeoff}\n\n"
        f"  </details>\n"
    )


def render(report: Report, system: System | None = None) -> str:
    out = ["## redline review", ""]
    total = len(report.findings)
    verdict = "fails" if report.failed() else "passes"
    out.append(
        f"**{total} finding(s)** — {verdict} `--fail-on {report.fail_on}` · {len(report.rules_run)} rules run"
        + (f" · {len(report.suppressed)} suppressed" if report.suppressed else "")
    )
    out.append("")
    out += skipped.markdown(report.skipped)
    if system is not None and system.components:
        out += ["```mermaid", mermaid(report, system), "```", ""]
    out += ["| Severity | Findings |", "|---|---:|"]
    for sev in Severity:
        out.append(f"| {ICON[sev]} {sev.value} | {report.summary.get(sev.value, 0)} |")
    out.append("")
    for sev in Severity:
        group = [f for f in report.findings if f.severity == sev]
        if not group:
            continue
        out += [f"### {ICON[sev]} {sev.value.capitalize()} ({len(group)})", ""]
        out += [_finding(f) for f in group]
    if report.entrypoints:
        how = "inferred" if report.entrypoints_inferred else "stated"
        out.append(f"<sub>Entry points ({how}): {', '.join(report.entrypoints)}</sub>")
    return "\n".join(out).rstrip() + "\n"
