"""`redline scan` and `redline schema`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from redline.cli.common import check_format, emit, load_system, stdout

FORMATS = ("text", "json", "mermaid", "dot")


def scan_command(
    path: Path = typer.Argument(..., help="A repository, a directory of manifests, or one YAML file."),
    format: str = typer.Option("text", "--format", "-f", help="text, json, mermaid or dot."),
    overlay: Path | None = typer.Option(
        None, "--overlay", help="A redline.yaml to apply instead of the one at PATH's root."
    ),
    exclude: list[str] | None = typer.Option(
        None, "--exclude", "-e", help="A .gitignore-style pattern to skip (repeatable)."
    ),
    max_file_size: float = typer.Option(20.0, "--max-file-size", help="Skip files larger than this many MB."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show every piece of evidence for each edge."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Read Compose, Kubernetes, kustomize and redline.yaml files into one model of the system.

    Shows every component (kind, replicas, where it is defined), every dependency with the evidence it was
    inferred from, references that point at nothing, and the files skipped with the reason.
    Exit 0 when anything was read; 2 on a usage error or when nothing could be read.
    """
    from redline.report import graph, scan_json, scan_text  # on use: keeps start-up light

    check_format(format, FORMATS)
    system = load_system(path, overlay=overlay, exclude=exclude, max_file_mb=max_file_size, quiet=quiet)
    if format == "json":
        emit(scan_json.render(system), output)
    elif format == "mermaid":
        emit(graph.mermaid(system), output)
    elif format == "dot":
        emit(graph.dot(system), output)
    elif output is not None:
        from rich.console import Console

        with output.open("w", encoding="utf-8") as fh:
            scan_text.render(system, Console(file=fh, width=160, soft_wrap=False), verbose=verbose)
    else:
        scan_text.render(system, stdout, verbose=verbose)


def schema_command(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print the JSON Schema of redline.yaml, for editor completion and validation.

    VS Code (YAML extension): add `# yaml-language-server: $schema=redline.schema.json` at the top of
    redline.yaml after `redline schema -o redline.schema.json`.
    """
    from redline.sources.native import json_schema

    emit(json.dumps(json_schema(), indent=2) + "\n", output)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_command)
    app.command("schema")(schema_command)
