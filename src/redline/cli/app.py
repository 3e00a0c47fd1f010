"""The `redline` command line: one Typer app, one module per command.

The CLI holds no logic. Each command module parses its options, calls the public library function
that does the work, and renders the result; every module exposes ``register(app)`` so this file only
wires them together.
"""

from __future__ import annotations

import sys

import typer

from redline import __version__
from redline.cli import forecast as forecast_cmd
from redline.cli import load as load_cmd
from redline.cli import review as review_cmd
from redline.cli import scan as scan_cmd

app = typer.Typer(
    name="redline",
    help="Find where a backend system breaks: scan, review, forecast and load-test it, with evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"redline {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """redline reads a system's Compose, Kubernetes and redline.yaml files and says where it breaks."""


for _module in (scan_cmd, review_cmd, forecast_cmd, load_cmd):
    _module.register(app)


def main() -> None:
    """Console-script entry point. Usage errors exit 2 (Click's convention)."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.stderr.write("interrupted\n")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
