"""What every command shares: consoles, error exits, output writing and loading a system with progress."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from redline.model import System

EXIT_OK = 0
EXIT_GATE = 1  # a gate failed: findings at or above --fail-on, a breached threshold or SLO
EXIT_USAGE = 2  # bad arguments, unreadable input, nothing could be read

stdout = Console(soft_wrap=False, highlight=False)
if not stdout.is_terminal:  # pipes and CI logs: wide enough that tables do not fold every path
    stdout = Console(soft_wrap=False, highlight=False, width=160)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)  # messages are lines: never fold them


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``redline: error: ...`` to stderr and exit with ``code`` (2 unless said otherwise)."""
    stderr.print(f"[bold red]redline: error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def check_format(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        fail(f"--format must be one of {', '.join(allowed)}; got {value!r}")
    return value


def emit(text: str, output: Path | None) -> None:
    """Write a rendered result to ``output`` (atomically) or stdout."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")


def load_system(
    path: Path,
    *,
    overlay: Path | None = None,
    exclude: list[str] | None = None,
    max_file_mb: float = 20.0,
    quiet: bool = False,
) -> System:
    """Scan ``path``, with a progress bar on a terminal; exit 2 when it is unusable or nothing is read."""
    from redline.sources.scan import ScanError, scan  # imported on use: `redline load` never needs it

    show = not quiet and stderr.is_terminal
    try:
        if show:
            with Progress(
                TextColumn("scanning"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=stderr,
                transient=True,
            ) as bar:
                task = bar.add_task("", total=None)

                def progress(done: int, total: int, current: str) -> None:
                    bar.update(task, completed=done, total=total, description=current[-40:])

                system = scan(
                    path,
                    overlay=overlay,
                    exclude=exclude or [],
                    max_file_bytes=int(max_file_mb * 1e6),
                    progress=progress,
                )
        else:
            system = scan(path, overlay=overlay, exclude=exclude or [], max_file_bytes=int(max_file_mb * 1e6))
    except ScanError as exc:
        fail(str(exc))
    # A rejected redline.yaml silently changes every answer downstream: say so, loudly, with the line.
    for s in system.skipped:
        if s.reason.startswith("redline.yaml"):
            where = f"{s.file}:{s.line}" if s.line else s.file
            reason = s.reason.removeprefix("redline.yaml: ")
            stderr.print(f"redline: warning: {where}: {reason} (the file was not applied)", markup=False)
    if not system.files:
        reasons = "; ".join(f"{s.file}: {s.reason}" for s in system.skipped[:3])
        fail(
            f"nothing could be read in {path}: no Compose, Kubernetes or redline.yaml files"
            + (f" ({reasons}{'…' if len(system.skipped) > 3 else ''})" if reasons else "")
        )
    return system
