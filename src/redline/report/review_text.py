"""Terminal rendering of a review: the summary first, then one entry per story, worst first.

The summary (counts by severity, by rule, the components with the worst findings) opens the report and
its one-line form closes it. Findings that tell the same story (:mod:`redline.report.review_groups`)
are one entry: the story, the first finding's why, fix and trade-off, then its places, ``file:line
component`` each, at most :data:`PLACES_SHOWN` of them (``--format concise`` lists every finding).

On a terminal, prose wraps to the terminal's width. Anywhere else (a pipe, a file) nothing is wrapped
or padded: each line is as long as its text. A fix snippet is never wrapped or cropped by the renderer,
on a terminal either: a YAML line cut in two is not YAML.

Rich ``Text`` objects are used throughout instead of markup strings: finding messages quote YAML
(``[ReadWriteOnce]``, ``ignore[AV001]``) that Rich markup would otherwise swallow as style tags.
"""

from __future__ import annotations

from rich.console import Console
from rich.padding import Padding
from rich.syntax import Syntax
from rich.text import Text

from redline.model.secrets import masked
from redline.report import skipped
from redline.report.review_groups import (
    Group,
    Stories,
    by_rule,
    place,
    plural,
    severity_counts,
    shown_note,
    top_components,
)
from redline.review.engine import Report
from redline.review.rule import Finding, Severity

STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "bold cyan",
}

#: Places listed under one story; the rest are counted.
PLACES_SHOWN = 20
#: Rules named on the summary's "by rule" line; the rest are counted.
RULES_SHOWN = 12


def summary_line(report: Report) -> str:
    """``2 critical, 3 high, 0 medium, 1 low (24 rules run, 1 suppressed)``, and when files were not
    read ``; incomplete: 1 not read (1 unreadable), 0 ignored by design``: a clean count over a partial
    read must not look like a clean system."""
    counts = ", ".join(f"{report.summary.get(s.value, 0)} {s.value}" for s in Severity)
    extra = f"{len(report.rules_run)} rules run"
    if report.suppressed:
        extra += f", {len(report.suppressed)} suppressed"
    if report.baseline is not None:
        extra += f", {len(report.baselined)} in baseline"
    gaps = f"; incomplete: {skipped.summary(report.skipped)}" if skipped.gating(report.skipped) else ""
    return f"{counts} ({extra}){gaps}"


def _say(console: Console, text: Text, indent: int = 0) -> None:
    """One block of prose: wrapped (and indented) on a terminal; elsewhere one unpadded line."""
    if console.is_terminal:
        console.print(Padding(text, (0, 0, 0, indent), expand=False))
    else:
        console.print(Text(" " * indent) + text, soft_wrap=True)


def _snippet(console: Console, snippet: str, indent: int) -> None:
    """A fix snippet line by line, never wrapped or cropped (coloured as YAML on a terminal)."""
    highlighted = Syntax(snippet, "yaml", theme="ansi_dark", background_color="default").highlight(snippet)
    for line in highlighted.split("\n"):
        console.print(Text(" " * indent) + line, soft_wrap=True)


def _summary(report: Report, console: Console) -> None:
    total = len(report.findings)
    verdict = "fails" if report.failed() else "passes"
    head = Text.assemble(
        ("redline review: ", "bold"), f"{plural(total, 'finding')}, {verdict} --fail-on {report.fail_on}"
    )
    _say(console, head)
    _say(console, Text.assemble(("  severity: ", "bold"), summary_line(report)))
    rules = by_rule(report.findings)
    if rules:
        named = ", ".join(f"{r} {n}" for r, _sev, n in rules[:RULES_SHOWN])
        more = f", and {len(rules) - RULES_SHOWN} more rules" if len(rules) > RULES_SHOWN else ""
        _say(console, Text.assemble(("  by rule: ", "bold"), named + more))
    top = top_components(report.findings)
    if top:
        named = "; ".join(f"{name} ({severity_counts(c)})" for name, c in top)
        _say(console, Text.assemble(("  top components: ", "bold"), named))
    if note := shown_note(report):
        _say(console, Text.assemble(("  not shown: ", "bold"), note))
    console.print()


def _head(f: Finding, count: int) -> Text:
    head = Text()
    head.append(f"{f.rule} ", style="bold")
    head.append(f.name, style="dim")
    head.append(f"  [{f.severity.value}]", style=STYLE[f.severity])
    if count > 1:
        head.append(f"  {plural(count, 'place')}", style="bold")
        return head
    if f.component:
        head.append("  ")
        head.append(f.component, style="bold magenta")
    if f.file:
        head.append(f"  {place(f)}", style="underline")
    return head


def _story(group: Group, console: Console) -> None:
    f, count = group.first, len(group.findings)
    _say(console, _head(f, count))
    _say(console, Text(group.headline), 2)
    _say(console, Text.assemble(("why: ", "bold"), f.why), 2)
    example = f" (as for {f.component})" if count > 1 and f.component else ""
    _say(console, Text.assemble(("fix", "bold"), (f"{example}:", "bold")), 2)
    _snippet(console, f.fix.snippet, 4)
    _say(console, Text.assemble(("trade-off: ", "bold"), f.tradeoff), 2)
    if f.evidence and count == 1:
        _say(console, Text("evidence:", style="bold"), 2)
        for item in f.evidence:
            _say(console, Text(item), 4)
    if count > 1:
        _say(console, Text("places:", style="bold"), 2)
        for g in group.findings[:PLACES_SHOWN]:
            _say(console, Text(f"{place(g)}  {g.component or '-'}"), 4)
            for item in g.evidence if g.fingerprint else []:  # the other places of the same secret
                _say(console, Text(item, style="dim"), 6)
        if count > PLACES_SHOWN:
            rest = count - PLACES_SHOWN
            _say(console, Text(f"… and {rest} more (--format concise lists every finding)", style="dim"), 4)
    console.print()


def render(report: Report, console: Console) -> None:
    """Print the report: what was not read, the summary, one section per severity with its stories,
    the entry points, and the summary line."""
    report = masked(report)
    skipped.render_text(report.skipped, console)
    for err in report.errors:
        _say(console, Text(f"rule error: {err}", style="bold red"))
    _summary(report, console)
    stories = Stories(report.findings)
    groups = stories.groups(report.shown())
    for sev in Severity:
        mine = [g for g in groups if g.severity == sev]
        if not mine:
            continue
        count = sum(len(g.findings) for g in mine)
        told = plural(len(mine), "story", "stories")
        title = f"── {sev.value.upper()} ({count:,}): {told} ──"
        _say(console, Text(title, style=STYLE[sev]))
        console.print()
        for g in mine:
            _story(g, console)
    if not report.findings:
        _say(console, Text("No findings.", style="bold green"))
    elif not groups:
        _say(console, Text(f"No findings at or above {report.min_severity}.", style="bold green"))
    if report.entrypoints:
        how = "inferred" if report.entrypoints_inferred else "stated"
        _say(console, Text(f"entry points ({how}): {', '.join(report.entrypoints)}", style="dim"))
    _say(console, Text.assemble(("summary: ", "bold"), summary_line(report)))
