"""Terminal rendering of a review: findings grouped by severity, worst first, then one summary line.

Rich ``Text`` objects are used throughout instead of markup strings: finding messages quote YAML
(``[ReadWriteOnce]``, ``ignore[AV001]``) that Rich markup would otherwise swallow as style tags.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule as HRule
from rich.syntax import Syntax
from rich.text import Text

from redline.model.secrets import masked
from redline.report import skipped
from redline.review.engine import Report
from redline.review.rule import Finding, Severity

STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "bold cyan",
}


def summary_line(report: Report) -> str:
    """``2 critical, 3 high, 0 medium, 1 low (24 rules run, 1 suppressed)``, and when files were not
    read ``; incomplete: 1 not read (1 unreadable), 0 ignored by design``: a clean count over a partial
    read must not look like a clean system."""
    counts = ", ".join(f"{report.summary.get(s.value, 0)} {s.value}" for s in Severity)
    extra = f"{len(report.rules_run)} rules run"
    if report.suppressed:
        extra += f", {len(report.suppressed)} suppressed"
    gaps = f"; incomplete: {skipped.summary(report.skipped)}" if skipped.gating(report.skipped) else ""
    return f"{counts} ({extra}){gaps}"


def _finding(f: Finding) -> RenderableType:
    head = Text()
    head.append(f"{f.rule} ", style="bold")
    head.append(f"{f.name}", style="dim")
    if f.component:
        head.append("  ")
        head.append(f.component, style="bold magenta")
    if f.file:
        head.append(f"  {f.file}" + (f":{f.line}" if f.line else ""), style="underline")
    head.append(f"  [{f.severity.value}]", style=STYLE[f.severity])
    parts: list[RenderableType] = [head, Padding(Text(f.message), (0, 0, 0, 2))]
    parts.append(Padding(Text.assemble(("why: ", "bold"), f.why), (0, 0, 0, 2)))
    parts.append(Padding(Text("fix:", style="bold"), (0, 0, 0, 2)))
    parts.append(
        Padding(Syntax(f.fix.snippet, "yaml", theme="ansi_dark", background_color="default"), (0, 0, 0, 4))
    )
    parts.append(Padding(Text.assemble(("trade-off: ", "bold"), f.tradeoff), (0, 0, 0, 2)))
    return Group(*parts, Text(""))


def render(report: Report, console: Console) -> None:
    """Print the report: what was not read, one section per severity that has findings, the summary."""
    report = masked(report)
    skipped.render_text(report.skipped, console)
    if report.errors:
        for err in report.errors:
            console.print(Text(f"rule error: {err}", style="bold red"))
    for sev in Severity:
        group = [f for f in report.findings if f.severity == sev]
        if not group:
            continue
        console.print(HRule(Text(f"{sev.value.upper()} ({len(group)})", style=STYLE[sev]), align="left"))
        for f in group:
            console.print(_finding(f))
    if not report.findings:
        console.print(Text("No findings.", style="bold green"))
    if report.entrypoints:
        how = "inferred" if report.entrypoints_inferred else "stated"
        console.print(Text(f"entry points ({how}): {', '.join(report.entrypoints)}", style="dim"))
    console.print(Text.assemble(("summary: ", "bold"), summary_line(report)))
