"""`redline fix`: write the typed fixes of a review into the user's own files. No logic lives here.

Exit codes: 0 when nothing fixable remains (no finding of the selected rules still carries an edit in
the files on disk); 1 when some does (a fix rejected, an unsafe fix not applied, or with ``--diff`` a fix
not written); 2 for a usage or input error (a bad option or rule code, an unreadable path or
configuration, the Kubernetes schemas not installed, a file not read and not accepted with
``--allow-skipped``, a refused redline.yaml value, a file that cannot be written); 70 for a bug.

With ``--diff`` and ``--format text`` the diffs go to stdout (ready for ``git apply``) and the report to
stderr; otherwise the report goes to stdout.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from redline.cli.common import (
    ALLOW_SKIPPED_HELP,
    EXIT_USAGE,
    HELM_SET_HELP,
    HELM_VALUES_HELP,
    ROOT_HELP,
    emit,
    error,
    exit_code,
    fail,
    load_system,
    report_gaps,
    stderr,
    stdout,
)
from redline.fix.validate import DEFAULT_KUBERNETES_VERSION


class FixFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class NewObjectsOption(StrEnum):
    BESIDE = "beside"
    APPEND = "append"


class _LazyProgress:
    """A progress bar on a terminal's stderr, shown only once the run has taken over a second."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.bar is None:
            if not stderr.is_terminal or time.monotonic() - self.start < 1.0:
                return
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(stage, total=total)
        if self.task is not None:
            what = "re-reviewing the fixes" if stage == "verify" else stage
            self.bar.update(self.task, description=what, completed=done, total=total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def fix_command(
    path: Path = typer.Argument(..., help="A directory or file: Compose, Kubernetes manifests, kustomize."),
    select: list[str] | None = typer.Option(
        None, "--select", help="Apply only the fixes of these rule codes or prefixes (AV,OP001)."
    ),
    unsafe_fixes: bool = typer.Option(
        False, "--unsafe-fixes", help="Also apply unsafe fixes (they change behaviour: replicas, probes)."
    ),
    diff: bool = typer.Option(False, "--diff", help="Print a unified diff and write nothing."),
    new_objects: NewObjectsOption = typer.Option(
        NewObjectsOption.BESIDE,
        "--new-objects",
        help="New objects (a PodDisruptionBudget): a new file beside the workload's, or appended to it.",
    ),
    root: Path | None = typer.Option(None, "--root", help=ROOT_HELP + " Files outside it are never edited."),
    format: FixFormat = typer.Option(FixFormat.TEXT, "--format", "-f", help="Output format."),
    kubernetes_version: str = typer.Option(
        DEFAULT_KUBERNETES_VERSION,
        "--kubernetes-version",
        help="The Kubernetes release whose API schema every edited object is validated against.",
    ),
    allow_skipped: bool = typer.Option(False, "--allow-skipped", help=ALLOW_SKIPPED_HELP),
    config: Path | None = typer.Option(None, "--config", help="A redline.toml or pyproject.toml to use."),
    overlay: Path | None = typer.Option(None, "--overlay", help="An extra redline.yaml laid over the scan."),
    helm_values: list[Path] | None = typer.Option(None, "--values", help=HELM_VALUES_HELP),
    helm_set: list[str] | None = typer.Option(None, "--set", help=HELM_SET_HELP),
) -> None:
    """Apply the fixes of `redline review` to your own files, each validated before it is written.

    Safe fixes are applied; unsafe ones only with --unsafe-fixes; advice never. Every edit keeps
    comments, key order, quoting and indentation, and is written only when the file still parses, the
    Kubernetes or Compose schema accepts it, a re-scan reads the same components, the finding is gone
    and no new finding appears. Helm templates and files outside the repository are never edited.
    Exit 0 when nothing fixable remains, 1 when something does, 2 on a usage or input error.
    """
    from redline.fix.engine import FixError, NewObjects, fix  # on use: keeps start-up light
    from redline.report import fix_json, fix_text
    from redline.review.engine import ConfigError, load_config

    if not path.exists():
        fail(f"{path}: no such file or directory")
    try:
        cfg = load_config(path, config)
    except ConfigError as exc:
        fail(str(exc))
    system = load_system(path, overlay=overlay, root=root, helm_values=helm_values, helm_set=helm_set)
    allow = allow_skipped or cfg.allow_skipped
    report_gaps(system, allow=allow, command="fix")
    if exit_code(system, gaps_gate=True, allow=allow) == EXIT_USAGE:
        error(
            "nothing was written: a fix is checked by re-reviewing the whole system, which was not all read"
        )
        raise typer.Exit(EXIT_USAGE)
    progress = _LazyProgress()
    try:
        result = fix(
            path,
            select=[c.strip() for v in select or [] for c in v.split(",") if c.strip()],
            unsafe=unsafe_fixes,
            diff=diff,
            new_objects=NewObjects(new_objects.value),
            root=root,
            config=cfg,
            kubernetes_version=kubernetes_version,
            overlay=overlay,
            helm_values=helm_values or [],
            helm_set=helm_set or [],
            system=system,
            progress=progress,
        )
    except FixError as exc:
        progress.stop()
        fail(str(exc))
    progress.stop()
    from redline.history.recorder import note  # the run history keeps the fix totals

    note(result)
    if format == FixFormat.JSON:
        emit(fix_json.render(result), None)
    elif diff:
        emit(fix_text.diffs(result), None)
        fix_text.render(result, stderr)
    else:
        fix_text.render(result, stdout)
    raise typer.Exit(exit_code(system, gate_failed=result.remaining > 0, gaps_gate=True, allow=allow))


def register(app: typer.Typer) -> None:
    """Add ``fix`` to the root app."""
    app.command("fix")(fix_command)
