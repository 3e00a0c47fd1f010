"""The `redline` command line: one Typer app, one module per command.

The CLI holds no logic. Each command module parses its options, calls the public library function
that does the work, and renders the result; every module exposes ``register(app)`` so this file only
wires them together.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from pathlib import Path

import typer

from redline import __version__
from redline.cli import agent_profile as agent_profile_cmd
from redline.cli import calibrate as calibrate_cmd
from redline.cli import fix as fix_cmd
from redline.cli import forecast as forecast_cmd
from redline.cli import generate as generate_cmd
from redline.cli import history as history_cmd
from redline.cli import init as init_cmd
from redline.cli import load as load_cmd
from redline.cli import mcp as mcp_cmd
from redline.cli import review as review_cmd
from redline.cli import scan as scan_cmd
from redline.cli import verify as verify_cmd
from redline.cli.common import EXIT_INTERNAL
from redline.model.secrets import mask_text

#: Where internal errors are reported.
ISSUES = "the redline issue tracker"

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
    no_history: bool = typer.Option(
        False, "--no-history", help="Do not record this run in the history (also REDLINE_NO_HISTORY=1)."
    ),
) -> None:
    """redline reads a system's Compose, Kubernetes and redline.yaml files and says where it breaks."""
    if no_history:
        from redline.history.recorder import cancel

        cancel()


for _module in (scan_cmd, review_cmd, forecast_cmd, load_cmd, init_cmd, verify_cmd, calibrate_cmd):
    _module.register(app)
for _module in (history_cmd, mcp_cmd, agent_profile_cmd):  # run history, MCP server, agent profiles
    _module.register(app)
fix_cmd.register(app)  # `redline fix`: apply the typed fixes of a review
generate_cmd.register(app)  # `redline generate`: alerts, scaling, dashboards, runbooks


def main() -> None:
    """Console-script entry point: exit codes 0, 1 (a gate failed), 2 (usage or input), 70 (a bug).

    No traceback reaches a user: an unexpected exception prints one line naming the innermost redline
    frame and exits 70 (``EX_SOFTWARE``); ``REDLINE_DEBUG=1`` prints the traceback as well. Every run is
    recorded in the history (docs/history.md); a failure to record never changes the exit code.
    """
    from redline.history.recorder import cli_recording

    with cli_recording(lambda: typer.main.get_command(app), sys.argv[1:]):
        _run()


def _run() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except BrokenPipeError:  # `redline scan . | head`: the reader left; say nothing more
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)  # 128 + SIGPIPE, as a shell reports a reader that left
    except Exception as exc:
        sys.stderr.write(mask_text(internal_error(exc)) + "\n")  # a message may quote a value
        if os.environ.get("REDLINE_DEBUG", "") not in ("", "0"):
            traceback.print_exception(exc, file=sys.stderr)
        sys.exit(EXIT_INTERNAL)


def internal_error(exc: BaseException) -> str:
    """``redline: internal error in FILE:LINE: ExcType: message; please report it …``, where FILE:LINE is
    the innermost frame inside the redline package (the caller's own frame when none is)."""
    frames = traceback.extract_tb(exc.__traceback__)
    package = Path(__file__).resolve().parents[1]
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(package)]
    chain = ours or list(frames)
    place = "?"
    if chain:
        frame = chain[-1]
        path = Path(frame.filename).resolve()
        shown = path.relative_to(package.parent).as_posix() if path.is_relative_to(package) else path.name
        place = f"{shown}:{frame.lineno}"
    message = " ".join(str(exc).split())[:300]
    return (
        f"redline: internal error in {place}: {type(exc).__name__}: {message}; please report it at "
        f"{ISSUES} with this line (REDLINE_DEBUG=1 shows the traceback)"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
