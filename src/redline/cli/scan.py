"""`redline scan` and `redline schema`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from redline.cli.common import (
    HELM_SET_HELP,
    HELM_VALUES_HELP,
    ROOT_HELP,
    check_format,
    check_output,
    emit,
    emit_or_print,
    exclude_patterns,
    exit_code,
    file_size_mb,
    load_system,
)

if TYPE_CHECKING:
    from redline.model import System

FORMATS = ("text", "json", "mermaid", "dot")


def scan_command(
    path: Path = typer.Argument(..., help="A repository, a directory of manifests, or one YAML file."),
    format: str = typer.Option("text", "--format", "-f", help="text, json, mermaid or dot."),
    overlay: Path | None = typer.Option(
        None, "--overlay", help="A redline.yaml to apply instead of the one at PATH's root."
    ),
    exclude: list[str] | None = typer.Option(
        None,
        "--exclude",
        "-e",
        callback=exclude_patterns,
        help="A .gitignore-style pattern to skip (repeatable).",
    ),
    max_file_size: float = typer.Option(
        20.0,
        "--max-file-size",
        callback=file_size_mb,
        help="Skip files larger than this many MB (at most 1000).",
    ),
    root: Path | None = typer.Option(None, "--root", help=ROOT_HELP),
    helm_values: list[Path] | None = typer.Option(None, "--values", help=HELM_VALUES_HELP),
    helm_set: list[str] | None = typer.Option(None, "--set", help=HELM_SET_HELP),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show every piece of evidence for each edge."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Read Compose, Kubernetes, kustomize and redline.yaml files into one model of the system.

    Shows what could not be read first, then every component (kind, replicas, where it is defined), every
    dependency with the evidence it was inferred from, and references that point at nothing.
    Exit 0 when anything was read; 2 on a usage error, when nothing could be read, or when a redline.yaml
    value was refused; 70 on an internal error.
    """
    from redline.report import graph, scan_json, scan_text  # on use: keeps start-up light

    check_format(format, FORMATS)
    check_output(output)
    system = load_system(
        path,
        overlay=overlay,
        exclude=exclude,
        max_file_mb=max_file_size,
        quiet=quiet,
        root=root,
        helm_values=helm_values,
        helm_set=helm_set,
    )
    if format == "json":
        emit(scan_json.render_parts(system), output)  # written as it is made: never whole in memory
    elif format in ("mermaid", "dot"):
        drawing = graph.mermaid(system) if format == "mermaid" else graph.dot(system)
        emit(_graph_comments(system, "%%" if format == "mermaid" else "//") + drawing, output)
    else:
        emit_or_print(lambda c: scan_text.render(system, c, verbose=verbose), output, 160)
    raise typer.Exit(exit_code(system))


def _graph_comments(system: System, mark: str) -> str:
    """Gating skips as comment lines above a drawing, so a diagram of a partial read says so."""
    from redline.report.skipped import gating, where

    return "".join(
        f"{mark} not read ({s.kind.value}): {where(s)}: {s.reason}\n" for s in gating(system.skipped)
    )


def schema_command(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print the JSON Schema of redline.yaml, for editor completion and validation.

    VS Code (YAML extension): add `# yaml-language-server: $schema=redline.schema.json` at the top of
    redline.yaml after `redline schema -o redline.schema.json`.
    """
    from redline.sources.native import json_schema

    check_output(output)
    emit(json.dumps(json_schema(), indent=2) + "\n", output)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_command)
    app.command("schema")(schema_command)
