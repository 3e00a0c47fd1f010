"""`redline init`: write a starter redline.yaml from a scan. Parses options, scans, renders, writes."""

from __future__ import annotations

from pathlib import Path

import typer

from redline.cli.common import ROOT_HELP, check_output, emit, exit_code, fail, load_system

#: ``-o -`` prints the file instead of writing it.
STDOUT = "-"


def init_command(
    path: Path = typer.Argument(..., help="A repository, a directory of manifests, or one YAML file."),
    output: str | None = typer.Option(
        None, "--output", "-o", help="Where to write (default: PATH/redline.yaml); - prints it."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    root: Path | None = typer.Option(None, "--root", help=ROOT_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Write a starter redline.yaml from what scan inferred: entry points (and why), components with their
    kinds, calls with `# inferred from FILE:LINE`, and TODO placeholders for rps and service times.

    Never overwrites an existing file without --force. Exit 0 when written; 2 on a usage error, when the
    file exists, when nothing could be read or when a redline.yaml value was refused; 70 on an internal
    error.
    """
    target = _target(path, output)
    if target is not None:
        if target.exists() and not force:
            fail(f"{target} exists: pass --force to overwrite it, or -o FILE to write elsewhere")
        check_output(target)
    system = load_system(path, quiet=quiet, root=root)
    from redline.report import init_yaml

    emit(init_yaml.render(system), target)
    if target is not None:
        typer.echo(f"wrote {target}: check every line, then fill in the TODO placeholders", err=True)
    raise typer.Exit(exit_code(system))  # 2 when the scanned redline.yaml had a refused value


def _target(path: Path, output: str | None) -> Path | None:
    """The file to write, or ``None`` for stdout."""
    if output == STDOUT:
        return None
    if output is not None:
        return Path(output)
    return (path if path.is_dir() else path.parent) / "redline.yaml"


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("init")(init_command)
