"""Markdown rendering of a review, to paste into a pull request or an issue.

The report fits in one comment: at most :data:`MAX_BYTES` bytes of UTF-8 (a GitHub comment holds 65,536
characters; a byte bound is also a character bound). It holds, in this order:

1. the verdict line (findings, ``--fail-on``, rules run, suppressed, baseline);
2. what was not read, when anything was (a visible section, cut short with a count when long);
3. a Mermaid ``graph LR`` of the dependency graph (GitHub and GitLab render it), each component coloured
   by its worst finding. When the whole graph would take more than :data:`GRAPH_CHARS` characters or
   Mermaid's 500 edges, it collapses to the components that carry findings, then to those with medium or
   worse, high or worse, critical ones; a line says how many components are drawn. Startup-only edges
   (Compose ``depends_on``) are dotted;
4. the summary: a table by severity, one by rule, and the components with the worst findings;
5. the findings, one entry per story (:mod:`redline.report.review_groups`), worst first, with the why,
   fix and trade-off of its first finding and its places folded in ``<details>``, until the budget is
   spent; then a count of the findings left out, and where to read them all (SARIF or JSON).
"""

from __future__ import annotations

from collections.abc import Iterable

from redline.model import System
from redline.report import graph, skipped
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
from redline.review.rule import Severity

CLASSDEF = {
    Severity.CRITICAL: "fill:#7f1d1d,stroke:#450a0a,color:#ffffff",
    Severity.HIGH: "fill:#dc2626,stroke:#7f1d1d,color:#ffffff",
    Severity.MEDIUM: "fill:#facc15,stroke:#a16207,color:#000000",
    Severity.LOW: "fill:#bae6fd,stroke:#0369a1,color:#000000",
}
ICON = {Severity.CRITICAL: "🟥", Severity.HIGH: "🔴", Severity.MEDIUM: "🟡", Severity.LOW: "🔵"}

#: The whole report, in bytes of UTF-8: room to spare in a 65,536-character comment.
MAX_BYTES = 60_000
#: The Mermaid block, in characters: under Mermaid's 50,000, leaving most of the comment to findings.
GRAPH_CHARS = 20_000
#: The "Not read" section, in bytes, before it is cut short.
SKIPPED_BYTES = 8_000
#: Places listed under one story; the rest are counted.
PLACES_SHOWN = 10
#: Rows of the by-rule table; the rest are counted.
RULES_SHOWN = 20
#: What the note on findings left out needs, kept free while findings are added.
NOTE_BYTES = 400
#: The entry points line, in characters, before it is cut short.
ENTRYPOINTS_CHARS = 2_000


def _size(lines: Iterable[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def _classdefs() -> list[str]:
    return [f"  classDef {sev.value} {CLASSDEF[sev]}" for sev in Severity]


def mermaid(report: Report, system: System, max_chars: int = GRAPH_CHARS) -> graph.Drawing:
    """The dependency graph (the drawing of ``redline scan --format mermaid``), each node classed by its
    worst finding, collapsed to the components with the worst findings when the whole does not fit."""
    worst = report.worst_by_component()
    defs = "\n".join(_classdefs())
    drawing = graph.mermaid_fitting(
        system,
        ranks={name: sev.rank for name, sev in worst.items()},
        classes={name: sev.value for name, sev in worst.items()},
        max_chars=max_chars - len(defs) - 1,
    )
    if not drawing.text:
        return drawing
    text = drawing.text.rstrip("\n") + "\n" + defs
    return graph.Drawing(text, drawing.shown, drawing.total, drawing.level)


def _graph_lines(report: Report, system: System) -> list[str]:
    drawing = mermaid(report, system)
    if not drawing.text:
        return [
            f"<sub>Graph of {plural(drawing.total, 'component')} not drawn: even its worst components "
            "exceed what Mermaid renders; `redline scan --format dot` draws it.</sub>",
            "",
        ]
    out = ["```mermaid", drawing.text, "```"]
    if drawing.level is not None:
        worst = Severity.CRITICAL.shifted(drawing.level).value
        which = "with findings" if drawing.level == Severity.LOW.rank else f"with {worst} or worse findings"
        out.append(
            f"<sub>{drawing.shown} of {plural(drawing.total, 'component')} drawn: those {which} "
            "(the whole graph exceeds what Mermaid renders; `redline scan --format mermaid` draws it).</sub>"
        )
    return [*out, ""]


def _skipped_lines(report: Report) -> list[str]:
    lines = skipped.markdown(report.skipped)
    if _size(lines) <= SKIPPED_BYTES:
        return lines
    kept: list[str] = []
    for line in lines:
        if _size([*kept, line]) > SKIPPED_BYTES:
            break
        kept.append(line)
    left = sum(1 for line in lines[len(kept) :] if line.startswith("- "))
    closing = ["", "</details>"] if any(line.startswith("<details>") for line in kept) else []
    return [
        *kept,
        f"- … and {left} more entries (`--format json` lists every one in `skipped`)",
        *closing,
        "",
    ]


def _summary_lines(report: Report) -> list[str]:
    out = ["| Severity | Findings |", "|---|---:|"]
    out += [f"| {ICON[sev]} {sev.value} | {report.summary.get(sev.value, 0)} |" for sev in Severity]
    out.append("")
    rules = by_rule(report.findings)
    if rules:
        out += ["| Rule | Worst | Findings |", "|---|---|---:|"]
        out += [f"| {r} | {ICON[sev]} {sev.value} | {n} |" for r, sev, n in rules[:RULES_SHOWN]]
        if len(rules) > RULES_SHOWN:
            out.append(f"| … {plural(len(rules) - RULES_SHOWN, 'more rule')} | | |")
        out.append("")
    top = top_components(report.findings)
    if top:
        named = " · ".join(f"`{name}` ({severity_counts(c)})" for name, c in top)
        out += [f"**Worst components:** {named}", ""]
    if note := shown_note(report):
        out += [f"<sub>Not shown: {note}.</sub>", ""]
    return out


def _story(group: Group) -> list[str]:
    f, count = group.first, len(group.findings)
    fix = f.fix.snippet.replace("```", "'''")
    if count == 1:
        where = f" — `{place(f)}`" if f.file else ""
        comp = f" `{f.component}`" if f.component else ""
        head = f"- **{f.rule}** `{f.name}`{comp}{where}  "
        summary = "why, fix and trade-off"
    else:
        head = f"- **{f.rule}** `{f.name}` · {plural(count, 'place')}  "
        summary = f"why, fix (as for `{f.component or place(f)}`), trade-off and places"
    out = [
        head,
        f"  {_inline(group.headline)}",
        f"  <details><summary>{summary}</summary>",
        "",
        f"  {_inline(f.why)}",
        "",
        "  ```yaml",
        *(f"  {line}" for line in fix.splitlines()),
        "  ```",
        "",
        f"  *Trade-off:* {_inline(f.tradeoff)}",
        "",
    ]
    if count == 1 and f.evidence:
        out += [f"  - {_inline(e)}" for e in f.evidence] + [""]
    if count > 1:
        for g in group.findings[:PLACES_SHOWN]:
            out.append(f"  - `{place(g)}` `{g.component or '-'}`")
            out += [f"    - {_inline(e)}" for e in (g.evidence if g.fingerprint else [])]  # same secret
        if count > PLACES_SHOWN:
            out.append(f"  - … and {count - PLACES_SHOWN} more (`--format concise` lists every finding)")
        out.append("")
    return [*out, "  </details>", ""]


def _inline(text: str) -> str:
    """Prose on one Markdown line, kept from opening an HTML tag."""
    return " ".join(text.split()).replace("<", "&lt;")


def render(report: Report, system: System | None = None, max_bytes: int = MAX_BYTES) -> str:
    """The report as Markdown of at most ``max_bytes`` bytes (UTF-8)."""
    total = len(report.findings)
    verdict = "fails" if report.failed() else "passes"
    head = (
        f"**{plural(total, 'finding')}** — {verdict} `--fail-on {report.fail_on}` · "
        f"{len(report.rules_run)} rules run"
        + (f" · {len(report.suppressed)} suppressed" if report.suppressed else "")
        + (f" · {len(report.baselined)} in the baseline" if report.baseline is not None else "")
    )
    out = ["## redline review", "", head, "", *_skipped_lines(report)]
    if system is not None and system.components:
        out += _graph_lines(report, system)
    out += _summary_lines(report)
    tail = []
    if report.entrypoints:
        how = "inferred" if report.entrypoints_inferred else "stated"
        names = _inline(", ".join(report.entrypoints))
        cut = "…" if len(names) > ENTRYPOINTS_CHARS else ""
        tail = [f"<sub>Entry points ({how}): {names[:ENTRYPOINTS_CHARS]}{cut}</sub>"]
    out += _findings(report, max_bytes - _size(out) - _size(tail) - NOTE_BYTES, max_bytes)
    return "\n".join([*out, *tail]).rstrip() + "\n"


def _findings(report: Report, budget: int, limit: int) -> list[str]:
    """One entry per story, worst first, while they fit in ``budget`` bytes; then what was left out."""
    groups = Stories(report.findings).groups(report.shown())
    out: list[str] = []
    used, left, left_groups = 0, 0, 0
    current: Severity | None = None
    for g in groups:
        heading = (
            [] if g.severity == current else [f"### {ICON[g.severity]} {g.severity.value.capitalize()}", ""]
        )
        entry = [*heading, *_story(g)]
        size = _size(entry)
        if left_groups or used + size > budget:
            left += len(g.findings)
            left_groups += 1
            continue
        out += entry
        used += size
        current = g.severity
    if left:
        out += [
            f"> **{plural(left, 'more finding')} in {plural(left_groups, 'more story', 'more stories')} "
            f"not shown**: this comment is kept under {limit:,} bytes. Every finding is in "
            "`redline review --format sarif` (for code scanning) and `--format json`.",
            "",
        ]
    return out
