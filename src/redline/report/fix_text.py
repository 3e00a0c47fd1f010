"""Terminal rendering of a ``redline fix`` run.

Per file: the fixes applied (or, with ``--diff``, that would be), each as rule, component, line and
title; then the fixes rejected, each with its reason; then how many findings carry advice only (and
why); then one summary line. :func:`diffs` is the unified diff of every file, for ``--diff``.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.text import Text

from redline.fix.result import FixRecord, FixResult, Outcome, Reason
from redline.report import skipped

STYLE = {
    Outcome.APPLIED: "bold green",
    Outcome.WOULD_APPLY: "bold cyan",
    Outcome.REJECTED: "bold red",
    Outcome.SKIPPED_UNSAFE: "yellow",
    Outcome.ADVICE: "dim",
}
#: Advice reasons in the order and words the advice line gives them.
ADVICE_WHY = {
    Reason.ADVICE_ONLY: "advice only",
    Reason.HELM_TEMPLATE: "in Helm charts (edit the chart's values)",
    Reason.OUTSIDE_ROOT: "in files outside the repository",
}


def _home(r: FixRecord) -> str:
    """The file a fix is listed under: the first file its edits touch, else its finding's."""
    return r.files[0] if r.files else (r.finding.file or "-")


def _line(r: FixRecord) -> Text:
    t = Text("  ")
    t.append(f"{r.outcome.value:<14}", style=STYLE[r.outcome])
    t.append(f"{r.finding.rule:<6} ", style="bold")
    t.append(f"{r.finding.component or '-'}", style="magenta")
    if r.finding.line:
        t.append(f" :{r.finding.line}", style="dim")
    t.append(f"  {r.title}")
    if r.outcome is Outcome.REJECTED and r.reason is not None:
        t.append(f"\n      {r.reason.value}: ", style="red")
        t.append(r.detail or "")
    elif r.outcome in (Outcome.APPLIED, Outcome.WOULD_APPLY) and r.detail:
        t.append(f"\n      {r.detail}", style="dim")
    return t


def summary_line(result: FixResult) -> str:
    """``33 fixes applied to 9 files (2 new), 11 rejected, 0 unsafe skipped, 23 advice; findings 67 -> 34;
    11 fixable remain; 10 re-reviews (of at most 40)``."""
    t = result.totals
    done = f"{t.would_apply} would apply" if result.diff_only else f"{t.applied} applied"
    new = sum(1 for f in result.files if f.created)
    files = f"{len(result.files)} file{'s' if len(result.files) != 1 else ''}"
    files += f" ({new} new)" if new else ""
    disk = " on disk" if result.diff_only else ""
    return (
        f"{done} to {files}, {t.rejected} rejected, {t.skipped_unsafe} unsafe skipped, {t.advice} advice; "
        f"findings {result.findings_before} -> {result.findings_after}; {result.remaining} fixable remain"
        f"{disk}; {result.reviews} re-reviews (of at most {result.max_reviews})"
    )


def render(result: FixResult, console: Console) -> None:
    """Print what was not read, then the fixes by file, the advice counts and the summary."""
    skipped.render_text(result.skipped, console)
    shown = [r for r in result.fixes if r.outcome not in (Outcome.ADVICE, Outcome.SKIPPED_UNSAFE)]
    by_file: dict[str, list[FixRecord]] = {}
    for r in shown:
        by_file.setdefault(_home(r), []).append(r)
    for file in sorted(by_file):
        console.print(Text(file, style="bold underline"))
        rows = sorted(by_file[file], key=lambda r: (r.outcome is Outcome.REJECTED, r.finding.line or 0))
        for r in rows:
            console.print(_line(r))
    unsafe = [r for r in result.fixes if r.outcome is Outcome.SKIPPED_UNSAFE]
    if unsafe:
        rules = Counter(r.finding.rule for r in unsafe)
        listed = ", ".join(f"{code} x{n}" for code, n in sorted(rules.items()))
        console.print(
            Text(f"unsafe, not applied (pass --unsafe-fixes): {len(unsafe)} ({listed})", style="yellow")
        )
    advice = Counter(r.reason for r in result.fixes if r.outcome is Outcome.ADVICE)
    if advice:
        parts = [f"{advice[why]} {words}" for why, words in ADVICE_WHY.items() if advice.get(why)]
        console.print(
            Text(f"advice, never applied: {', '.join(parts)} (`redline review` shows it)", style="dim")
        )
    if not result.fixes:
        console.print(Text("No findings of the selected rules.", style="bold green"))
    console.print(Text.assemble(("summary: ", "bold"), summary_line(result)))


def diffs(result: FixResult) -> str:
    """Every file's unified diff, in file order (secrets already masked by the engine)."""
    return "".join(c.diff for c in result.files)
