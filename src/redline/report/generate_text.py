"""`redline generate` as text: what was not read, the files written, what was skipped and why, and the
checks the real tools ran."""

from __future__ import annotations

from rich.console import Console

from redline.generate.result import GenerateResult
from redline.model import Skipped
from redline.report import skipped as not_read


def render(result: GenerateResult, console: Console, skipped: list[Skipped] | None = None) -> None:
    not_read.render_text(skipped or [], console)
    name = result.system or "system"
    if result.files:
        console.print(
            f"[bold]redline generate[/] {name}: {len(result.files)} files in {result.out}", markup=True
        )
        for f in result.files:
            console.print(f"  {f.path}  ({f.what})", markup=False)
    else:
        console.print(f"[bold]redline generate[/] {name}: nothing could be generated", markup=True)
    if result.alerts:
        pages = sum(1 for a in result.alerts if a.severity == "page")
        console.print(
            f"{len(result.alerts)} alerts: {pages} page, {len(result.alerts) - pages} ticket; "
            "each with a runbook",
            markup=False,
        )
    if result.skipped:
        console.print(f"\nSkipped ({len(result.skipped)}):", markup=False)
        for s in result.skipped:
            console.print(f"  {s.artifact.value}: {s.subject}: {s.what}: {s.reason}", markup=False)
    if result.notes:
        console.print("\nNotes:", markup=False)
        for n in result.notes:
            console.print(f"  - {n}", markup=False)
    if result.checks:
        console.print("\nChecks:", markup=False)
        for c in result.checks:
            mark = "ok" if c.passed else ("FAILED" if c.passed is False else "not run")
            console.print(f"  {mark}: {c.name} ({c.tool}): {c.detail}", markup=False)
