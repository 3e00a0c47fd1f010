"""What every command shares: consoles, error exits, checked options, output writing, loading a system.

Exit codes, the same for every command (README.md and docs/review.md list them):

* ``0``: fine.
* ``1``: a gate failed (findings at or above ``--fail-on``, a breached SLO or threshold).
* ``2``: a usage error, input that could not be used, nothing read at all, a file not read that a gate
  would pass over (unless accepted with ``--allow-skipped``), or a redline.yaml value refused.
* ``70``: an internal error (a bug in redline; ``EX_SOFTWARE`` of sysexits.h).
"""

from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from redline.model.secrets import TextMasker, masked_stream

if TYPE_CHECKING:
    from redline.model import Skipped, System

EXIT_OK = 0
EXIT_GATE = 1  # a gate failed: findings at or above --fail-on, a breached threshold or SLO
EXIT_USAGE = 2  # bad arguments, unusable input, nothing read, an unaccepted gap, a refused value
EXIT_INTERNAL = 70  # a bug in redline (EX_SOFTWARE); never 1, which means a gate failed

#: Largest accepted ``--max-file-size``, in MB: a bound on the memory one file may take.
MAX_FILE_MB = 1000.0
ROOT_HELP = (
    "The repository root: kustomize resources outside PATH (an overlay's ../../base) are read up to it. "
    "Default: the nearest folder above PATH holding .git."
)
ALLOW_SKIPPED_HELP = (
    "Accept files that could not be read or rendered (Helm charts without helm): report them, exit 0 or 1. "
    "Also `allow_skipped = true` in redline.toml or [tool.redline]."
)
HELM_VALUES_HELP = (
    "Helm: a values file for every chart, as `helm template --values` (repeatable; later wins)."
)
HELM_SET_HELP = "Helm: a value for every chart, as `helm template --set k=v` (repeatable; after --values)."
#: Gating skips listed one per line on stderr before the rest are counted.
LISTED_ON_STDERR = 10

# Both consoles mask secrets in whatever they print (redline.model.secrets): the last line of defence.
stdout = Console(file=masked_stream("stdout"), soft_wrap=False, highlight=False)
if not stdout.is_terminal:  # pipes and CI logs: wide enough that tables do not fold every path
    stdout = Console(file=masked_stream("stdout"), soft_wrap=False, highlight=False, width=160)
# messages are lines: never fold them
stderr = Console(file=masked_stream("stderr"), highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``redline: error: ...`` to stderr and exit with ``code`` (2 unless said otherwise)."""
    error(message)
    raise typer.Exit(code)


def error(message: str) -> None:
    """Print ``redline: error: ...`` to stderr, without exiting."""
    stderr.print("[bold red]redline: error:[/] ", end="", markup=True, highlight=False)
    stderr.print(message, markup=False, highlight=False)


def check_format(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        fail(f"--format must be one of {', '.join(allowed)}; got {value!r}")
    return value


def file_size_mb(value: float) -> float:
    """``--max-file-size``: a finite number of MB above 0 and at most :data:`MAX_FILE_MB`."""
    if not math.isfinite(value) or value <= 0 or value > MAX_FILE_MB:
        raise typer.BadParameter(f"must be a number of MB above 0 and at most {MAX_FILE_MB:g}; got {value}")
    return value


def exclude_patterns(values: list[str] | None) -> list[str] | None:
    """``--exclude``: each a valid .gitignore-style pattern (``!`` alone is not one)."""
    import pathspec  # on use: `redline load` never needs it

    for value in values or []:
        try:
            pathspec.GitIgnoreSpec.from_lines([value])
        except (ValueError, TypeError) as exc:
            raise typer.BadParameter(f"{value!r} is not a .gitignore-style pattern ({exc})") from exc
    return values


def check_output(output: Path | None, option: str = "--output") -> None:
    """Refuse, before any work starts, an output path that cannot be written."""
    if output is None:
        return
    if output.is_dir():
        fail(f"{option} {output}: is a directory; give a file name")
    folder = output.parent
    if not folder.is_dir():
        fail(f"{option} {output}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        fail(f"{option} {output}: the folder {folder} is not writable")


def check_plot_dir(plot: Path | None) -> None:
    """Refuse, before any work starts, a ``--plot`` folder that is a file or sits in a missing folder."""
    if plot is None:
        return
    if plot.exists() and not plot.is_dir():
        fail(f"--plot {plot}: is a file, not a folder")
    if not plot.exists() and not plot.parent.is_dir():
        fail(f"--plot {plot}: the folder {plot.parent} does not exist")


def console_text(render: Callable[[Console], None], width: int) -> str:
    """What ``render`` prints on a plain (uncoloured) console ``width`` columns wide, as one string."""
    buffer = io.StringIO()
    render(Console(file=buffer, width=width, no_color=True, soft_wrap=False, highlight=False))
    return buffer.getvalue()


def emit_or_print(rendered: str | Callable[[Console], None], output: Path | None, width: int = 110) -> None:
    """Write a rendered report: a string as it is; a console renderer in colour on stdout, or plain
    ``width`` columns wide into ``output``."""
    if isinstance(rendered, str):
        emit(rendered, output)
    elif output is None:
        rendered(stdout)
    else:
        emit(console_text(rendered, width), output)


def emit(text: str | Iterable[str], output: Path | None) -> None:
    """Write a rendered result to ``output`` (atomically) or stdout, secrets masked.

    This is the one masking step every written result goes through (:func:`mask_text`, whatever the
    renderer masked already). ``text`` may come in pieces (a generator, for big reports): they are masked
    and written as they come, exactly as their concatenation would be (:class:`TextMasker`), so the whole
    text is never held. A file is written under a temporary name and renamed when complete.
    """
    pieces = [text] if isinstance(text, str) else text
    if output is None:
        _write_masked(pieces, sys.stdout)
        sys.stdout.flush()
        return
    tmp = output.with_name(output.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            _write_masked(pieces, fh)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        fail(f"cannot write {output}: {exc.strerror or exc}")
    except BaseException:
        tmp.unlink(missing_ok=True)  # a renderer that failed half-way leaves no partial file behind
        raise


def _write_masked(pieces: Iterable[str], stream: TextIO) -> None:
    masker = TextMasker()
    for piece in pieces:
        if shown := masker.feed(piece):
            stream.write(shown)
    stream.write(masker.close())


def load_system(
    path: Path,
    *,
    overlay: Path | None = None,
    exclude: list[str] | None = None,
    max_file_mb: float = 20.0,
    quiet: bool = False,
    root: Path | None = None,
    helm_values: list[Path] | None = None,
    helm_set: list[str] | None = None,
) -> System:
    """Scan ``path`` (progress bar on a terminal); exit 2 when it is unusable or nothing at all is read.

    Refused redline.yaml values are reported first on stderr; :func:`exit_code` turns them into exit 2.
    """
    # Imported on use: `redline --help` and `redline load` never need the scanner or the model.
    from redline.model import SkipKind
    from redline.report.skipped import where
    from redline.sources.scan import ScanError, scan

    for values in helm_values or []:
        if not values.is_file():
            fail(f"--values {values}: no such file")
    for item in helm_set or []:
        if "=" not in item:
            fail(f"--set {item}: expected key=value")

    def run(progress: Callable[[int, int, str], None] | None) -> System:
        return scan(
            path,
            overlay=overlay,
            exclude=exclude or [],
            max_file_bytes=int(max_file_mb * 1e6),
            progress=progress,
            repo_root=root,
            helm_values=[v.resolve() for v in helm_values or []],
            helm_set=helm_set or [],
        )

    try:
        if not quiet and stderr.is_terminal:
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
                system = run(
                    lambda done, total, now: bar.update(
                        task, completed=done, total=total, description=now[-40:]
                    )
                )
        else:
            system = run(None)
    except ScanError as exc:
        fail(str(exc))
    # A refused redline.yaml value silently changes every answer downstream: say so first, with the line.
    applied = {f.file for f in system.files}
    for s in system.skipped:
        if s.kind is SkipKind.REJECTED:
            dropped = "the file was not applied" if s.file not in applied else "this value was not applied"
            error(f"{where(s)}: {s.reason.removeprefix('redline.yaml: ')} ({dropped})")
    if not system.components and not system.objects:
        fail(f"nothing could be read in {path}: {_why_nothing(system.skipped)}")
    from redline.history.recorder import note_system  # the run history keeps a digest of what was read

    note_system(system)
    return system


def _why_nothing(skipped: list[Skipped]) -> str:
    """What to do when a scan read nothing: the files it could not read, or where to point it."""
    from redline.report.skipped import acceptable, where
    from redline.sources.scan import outside_root

    outside = outside_root(skipped)
    if outside:
        items = ", ".join(outside)
        return f"the kustomization's resources lie outside the repository root: {items} (use --root)"
    gaps = acceptable(skipped) or [s for s in skipped if s.kind.gates]
    if gaps:
        return "; ".join(f"{where(s)}: {s.reason}" for s in gaps[:3]) + ("; …" if len(gaps) > 3 else "")
    return "no Compose, Kubernetes, kustomize or redline.yaml files with anything in them"


def report_gaps(system: System, *, allow: bool, command: str) -> None:
    """Say on stderr which files a gate would pass over, and how to accept the gap or close it."""
    from redline.model import SkipKind
    from redline.report.skipped import acceptable, where

    gaps = acceptable(system.skipped)
    if not gaps:
        return
    files = "1 file was" if len(gaps) == 1 else f"{len(gaps)} files were"
    head = f"{files} not read, so this {command} does not cover {'it' if len(gaps) == 1 else 'them'}"
    if allow:
        stderr.print(f"redline: warning: {head} (accepted with --allow-skipped):", markup=False)
    else:
        error(head + ":")
    for s in gaps[:LISTED_ON_STDERR]:
        stderr.print(f"  {where(s)}: {s.kind.value}: {s.reason}", markup=False)
    if len(gaps) > LISTED_ON_STDERR:
        stderr.print(f"  … and {len(gaps) - LISTED_ON_STDERR} more (the report lists all)", markup=False)
    if not allow:
        fix = (
            "pip install 'redline[helm]' (or render the chart and scan the output)"
            if any(s.kind is SkipKind.NOT_RENDERED for s in gaps)
            else "fix the YAML"
        )
        stderr.print(
            f"redline: {fix}, or pass --allow-skipped (or set allow_skipped = true in redline.toml) "
            "to accept the gap",
            markup=False,
        )


def exit_code(
    system: System, *, gate_failed: bool = False, gaps_gate: bool = False, allow: bool = False
) -> int:
    """The exit code of a command that has printed its report.

    2 when a redline.yaml value was refused, or (``gaps_gate``: review, forecast) when a file was not read
    and the gap is not accepted (``allow``); else 1 when ``gate_failed``; else 0.
    """
    from redline.model import SkipKind
    from redline.report.skipped import acceptable

    if any(s.kind is SkipKind.REJECTED for s in system.skipped):
        return EXIT_USAGE
    if gaps_gate and not allow and acceptable(system.skipped):
        return EXIT_USAGE
    return EXIT_GATE if gate_failed else EXIT_OK
