"""The history as text (a table on a console) and as JSON (stable keys).

JSON shapes (keys may be added, none removed)::

    runs:  {"database", "total", "runs": [{"id", "command", "started_at", "duration_s", "exit_code",
                                           "error", "version", "target", "options", "input_digest",
                                           "counts", "findings"}]}
    diff:  {"base": run, "head": run, "same_input", "unchanged",
            "new": [{"rule", "name", "severity", "component", "file", "line", "message_digest"}],
            "fixed": [...]}

``started_at`` is ISO 8601 in UTC (``2026-01-31T09:15:02.250Z``).
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from redline.history.records import FindingKey, Run, RunDiff

#: Counts shown first in the text table, in this order, when a run has them.
_FIRST = ("critical", "high", "medium", "low", "components", "edges", "requests", "errors")
_SHOWN_COUNTS = 4


def run_dict(run: Run) -> dict[str, Any]:
    data = run.model_dump(mode="json")
    data["started_at"] = run.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return data


def runs_json(runs: list[Run], total: int, database: str) -> str:
    return (
        json.dumps({"database": database, "total": total, "runs": [run_dict(r) for r in runs]}, indent=2)
        + "\n"
    )


def diff_json(d: RunDiff) -> str:
    data = {
        "base": run_dict(d.base),
        "head": run_dict(d.head),
        "same_input": d.same_input,
        "unchanged": d.unchanged,
        "new": [k.model_dump(mode="json") for k in d.new],
        "fixed": [k.model_dump(mode="json") for k in d.fixed],
    }
    return json.dumps(data, indent=2) + "\n"


def runs_text(runs: list[Run], total: int, database: str, console: Console) -> None:
    if not runs:
        console.print(f"no runs recorded in {database}", markup=False)
        return
    table = Table(title=f"redline history: {len(runs)} of {total} runs ({database})", title_justify="left")
    for col, justify in (("id", "right"), ("started (UTC)", "left"), ("command", "left"), ("target", "left"),
                         ("took", "right"), ("exit", "right"), ("counts", "left")):  # fmt: skip
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in runs:
        exit_text = Text(
            str(r.exit_code), style="" if r.exit_code == 0 else "yellow" if r.exit_code == 1 else "red"
        )
        table.add_row(
            str(r.id),
            r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            r.command,
            Text(r.target or "-"),
            f"{r.duration_s:.2f}s",
            exit_text,
            Text("; ".join(part for part in (_counts(r), r.error or "") if part)),
        )
    console.print(table)


def _counts(r: Run) -> str:
    keys = [k for k in _FIRST if k in r.counts] + sorted(k for k in r.counts if k not in _FIRST)
    return ", ".join(f"{k} {r.counts[k]:g}" for k in keys[:_SHOWN_COUNTS])


def diff_text(d: RunDiff, console: Console) -> None:
    console.print(f"base {_label(d.base)}", markup=False)
    console.print(f"head {_label(d.head)}", markup=False)
    console.print(
        "input: the same files" if d.same_input else "input: the files differ (or one run read none)",
        markup=False,
    )
    for title, keys in (("new", d.new), ("fixed", d.fixed)):
        console.print(Text(f"\n{title} ({len(keys)})", style="bold"))
        for k in keys:
            console.print(_finding(k), markup=False)
    console.print(f"\nunchanged {d.unchanged}", markup=False)


def _label(r: Run) -> str:
    return (
        f"#{r.id} {r.command} {r.target or '-'} at {r.started_at:%Y-%m-%d %H:%M:%S} UTC (exit {r.exit_code})"
    )


def _finding(k: FindingKey) -> str:
    return f"  {k.severity:<8} {k.rule} {k.name}  {k.component or '-'}  {k.where}"


__all__ = ["diff_json", "diff_text", "run_dict", "runs_json", "runs_text"]
