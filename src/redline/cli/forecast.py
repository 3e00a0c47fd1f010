"""`redline forecast`: where and when the system breaks. Parses options, calls the library, renders."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from redline.cli.common import EXIT_GATE, check_format, emit, fail, load_system, stdout

FORMATS = ("text", "json", "html")


def _growth(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*[x×X]?\s*", text)
    if not match or float(match.group(1)) <= 0:
        fail(f"--growth must be a positive factor such as 10x or 1.5; got {text!r}")
    return float(match.group(1))


def forecast_command(
    path: Path = typer.Argument(..., help="A repository, a directory of manifests, or one redline.yaml."),
    rps: str | None = typer.Option(None, "--rps", help="Target total load, e.g. 3000 or 2k/s (current mix)."),
    growth: str | None = typer.Option(
        None, "--growth", help="Target as a multiple of current load, e.g. 10x."
    ),
    format: str = typer.Option("text", "--format", "-f", help="text, json or html."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Write forecast.html and SVG charts to this directory."
    ),
    overlay: Path | None = typer.Option(
        None, "--overlay", help="A redline.yaml to apply instead of PATH's own."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    fail_on_breach: bool = typer.Option(
        True, "--fail-on-breach/--no-fail-on-breach", help="Exit 1 when the target load breaches the SLO."
    ),
    strict: bool = typer.Option(False, "--strict", help="Refuse (exit 2) when any service time is unstated."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Forecast latency percentiles, saturation, replicas, availability and cost at current and target load.

    An open queueing network over the call graph (M/M/c per replica set, held workers, pools), with
    percentiles from composed distributions. Everything defaulted is listed under assumptions.
    Exit 0 ok; 1 when the target load saturates or breaches a latency SLO (unless --no-fail-on-breach);
    2 on usage or input errors.
    """
    check_format(format, FORMATS)
    if rps is not None and growth is not None:
        fail("--rps and --growth are alternatives: pass one")
    target_rps: float | None = None
    if rps is not None:
        try:
            from redline.model.units import UnitError, parse_rate

            target_rps = parse_rate(rps)
        except UnitError as exc:
            fail(f"--rps: {exc}")
    factor = _growth(growth) if growth is not None else None
    system = load_system(path, overlay=overlay, quiet=quiet)
    if strict:
        missing = [c.name for c in system.components if c.service_time_s is None]
        if missing:
            fail(f"--strict: no service_time stated for {', '.join(missing)} (set it in redline.yaml)")
    # Imported here: numpy/scipy take a second to load, and `redline --help` should not wait for them.
    from redline.forecast import ForecastInputError, forecast

    try:
        result = forecast(system, rps=target_rps, growth=factor, curves=format == "html" or plot is not None)
    except ForecastInputError as exc:
        fail("cannot forecast this system:\n  " + "\n  ".join(exc.problems))

    from redline.report import forecast_html, forecast_text

    if plot is not None:
        try:
            plot.mkdir(parents=True, exist_ok=True)
            (plot / "forecast.html").write_text(forecast_html.render(result), encoding="utf-8")
            for e in result.entrypoints:
                if e.name in result.curves:
                    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", e.name)
                    (plot / f"latency-{safe}.svg").write_text(forecast_html.latency_svg(result, e.name))
            (plot / "utilization.svg").write_text(forecast_html.utilization_svg(result))
        except OSError as exc:
            fail(f"cannot write plots to {plot}: {exc.strerror or exc}")
    if format == "json":
        emit(result.model_dump_json(indent=2) + "\n", output)
    elif format == "html":
        emit(forecast_html.render(result), output)
    elif output is not None:
        from rich.console import Console

        with output.open("w", encoding="utf-8") as fh:
            forecast_text.render(result, Console(file=fh, width=160, soft_wrap=False))
    else:
        forecast_text.render(result, stdout)
    if fail_on_breach and result.breached:
        raise typer.Exit(EXIT_GATE)


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("forecast")(forecast_command)
