"""`redline history`: list the recorded runs, and show what changed between two reviews.

Exit codes: 0 shown; 2 when the history is off, unreadable, or a named run does not exist or is not a
review (``diff``). Reading the history is not itself recorded.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from redline.cli.common import emit, fail, stdout

#: Most runs one listing shows.
MAX_LIMIT = 10_000


class HistoryFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


history_app = typer.Typer(
    help="The run history, newest first: when each command ran, on what, for how long, its exit code and "
    "counts. `redline history diff` shows the findings new and fixed between two reviews (docs/history.md).",
    no_args_is_help=False,
    add_completion=False,
)


def _database() -> Path:
    from redline.history import HistoryError, database_path

    try:
        path = database_path()
    except HistoryError as exc:
        fail(str(exc))
    if path is None:
        fail('the history is off (REDLINE_NO_HISTORY, or history = "off" in redline.toml / [tool.redline])')
    return path


@history_app.callback(invoke_without_command=True)
def history_command(
    ctx: typer.Context,
    format: HistoryFormat = typer.Option(HistoryFormat.TEXT, "--format", "-f", help="text or json."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=MAX_LIMIT, help="Show at most this many runs."),
    command: str | None = typer.Option(
        None, "--command", help="Only runs of this command (review, mcp:scan)."
    ),
) -> None:
    """List the recorded runs, newest first: when, the command, its target, how long, the exit code, counts.

    `redline history diff` shows the findings that are new and fixed between two review runs.
    """
    if ctx.invoked_subcommand is not None:
        return
    from redline.history import HistoryError, HistoryStore
    from redline.history import render as show

    path = _database()
    runs, total = [], 0
    if path.exists():  # nothing recorded yet: say so without creating the file
        try:
            with HistoryStore(path) as store:
                runs, total = store.runs(limit=limit, command=command), store.count(command)
        except HistoryError as exc:
            fail(str(exc))
    if format == HistoryFormat.JSON:
        emit(show.runs_json(runs, total, str(path)), None)
    else:
        show.runs_text(runs, total, str(path), stdout)


@history_app.command("diff")
def diff_command(
    base: int | None = typer.Argument(None, help="The earlier review run (default: the one before HEAD)."),
    head: int | None = typer.Argument(None, help="The later review run (default: the latest)."),
    format: HistoryFormat = typer.Option(HistoryFormat.TEXT, "--format", "-f", help="text or json."),
) -> None:
    """The findings that are new in HEAD and fixed since BASE, two review runs (ids from `redline history`).

    Without ids: the latest review run against the review of the same path before it. Findings are the
    same when rule, component, file and message agree; a changed line alone does not make one new.
    """
    from redline.history import HistoryError, HistoryStore, diff
    from redline.history import render as show

    path = _database()
    if not path.exists():
        fail(f"no runs recorded in {path} yet: run `redline review PATH` twice first")
    try:
        with HistoryStore(path) as store:
            result = diff(store, base, head)
    except HistoryError as exc:
        fail(str(exc))
    if format == HistoryFormat.JSON:
        emit(show.diff_json(result), None)
    else:
        show.diff_text(result, stdout)


def register(app: typer.Typer) -> None:
    """Add ``history`` (and ``history diff``) to the root app."""
    app.add_typer(history_app, name="history")
