"""`redline forecast`: where and when the system breaks. Parses options, calls the library, renders."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from redline.cli.common import (
    ALLOW_SKIPPED_HELP,
    HELM_SET_HELP,
    HELM_VALUES_HELP,
    ROOT_HELP,
    check_format,
    check_output,
    check_plot_dir,
    emit,
    emit_or_print,
    exit_code,
    fail,
    load_system,
    report_gaps,
    stderr,
)

if TYPE_CHECKING:
    from redline.forecast.result import Forecast
    from redline.model import System

FORMATS = ("text", "json", "html")


#: Largest accepted --growth factor: beyond it the queueing numbers mean nothing and only cost time.
MAX_GROWTH = 1e6


def _growth(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*[x×X]?\s*", text)
    if not match or not 0 < float(match.group(1)) <= MAX_GROWTH:
        fail(f"--growth must be a positive factor up to {MAX_GROWTH:,.0f}x, such as 10x or 1.5; got {text!r}")
    return float(match.group(1))


def _target_rps(rps: str | None) -> float | None:
    if rps is None:
        return None
    from redline.model.units import UnitError, parse_rate

    try:
        return parse_rate(rps)
    except UnitError as exc:
        fail(f"--rps: {exc}")


def _entry_rates(items: list[str]) -> dict[str, float]:
    """``--entrypoint NAME=RPS`` options as {name: rps}; a malformed one or a name given twice is exit 2."""
    from redline.model.units import UnitError, parse_rate

    rates: dict[str, float] = {}
    for item in items:
        name, sep, rate = item.partition("=")
        name = name.strip()
        if not sep or not name:
            fail(f"--entrypoint must be NAME=RPS, such as frontend=300; got {item!r}")
        if name in rates:
            fail(f"--entrypoint {name} given twice")
        try:
            rates[name] = parse_rate(rate)
        except UnitError as exc:
            fail(f"--entrypoint {name}: {exc}")
    return rates


def forecast_command(
    path: Path = typer.Argument(..., help="A repository, a directory of manifests, or one redline.yaml."),
    rps: str | None = typer.Option(None, "--rps", help="Target total load, e.g. 3000 or 2k/s (current mix)."),
    growth: str | None = typer.Option(
        None, "--growth", help="Target as a multiple of current load, e.g. 10x."
    ),
    entrypoint: list[str] = typer.Option(
        [],
        "--entrypoint",
        help="NAME=RPS (repeatable): forecast these entry points (or components) at these rates, "
        "instead of the stated or inferred ones.",
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
    allow_skipped: bool = typer.Option(False, "--allow-skipped", help=ALLOW_SKIPPED_HELP),
    root: Path | None = typer.Option(None, "--root", help=ROOT_HELP),
    helm_values: list[Path] | None = typer.Option(None, "--values", help=HELM_VALUES_HELP),
    helm_set: list[str] | None = typer.Option(None, "--set", help=HELM_SET_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    baseline: Path | None = typer.Option(
        None,
        "--baseline",
        help="An earlier `--format json` forecast: exit 1 when an entry point's saturation load or p95 at "
        "the target load got worse than it by more than the limits below.",
    ),
    max_regression: str = typer.Option(
        "5%", "--max-regression", help="With --baseline: the largest accepted drop of the saturation load."
    ),
    max_p95_regression: str = typer.Option(
        "5%", "--max-p95-regression", help="With --baseline: the largest accepted rise of the p95 at target."
    ),
) -> None:
    """Forecast latency percentiles, saturation, replicas, availability and cost at current and target load.

    An open queueing network over the call graph (M/M/c per replica set, held workers, pools), with
    percentiles from composed distributions. Everything defaulted is listed under assumptions; files that
    could not be read are listed first.
    Exit 0 ok; 1 when the target load saturates or breaches a latency SLO (unless --no-fail-on-breach),
    or an entry point got worse than --baseline allows; 2 on usage or input errors, an unusable baseline,
    when a file was not read (unless --allow-skipped) or a redline.yaml value was refused; 70 on an
    internal error.
    """
    check_format(format, FORMATS)
    limits = (_limit("--max-regression", max_regression), _limit("--max-p95-regression", max_p95_regression))
    earlier = _baseline(baseline) if baseline is not None else None
    if rps is not None and growth is not None:
        fail("--rps and --growth are alternatives: pass one")
    target_rps = _target_rps(rps)
    rates = _entry_rates(entrypoint)
    factor = _growth(growth) if growth is not None else None
    check_output(output)
    check_plot_dir(plot)
    allow = allow_skipped or _config_allows(path)
    system = load_system(
        path, overlay=overlay, quiet=quiet, root=root, helm_values=helm_values, helm_set=helm_set
    )
    report_gaps(system, allow=allow, command="forecast")
    if strict:
        missing = [c.name for c in system.components if c.service_time_s is None]
        if missing:
            fail(f"--strict: no service_time stated for {', '.join(missing)} (set it in redline.yaml)")
    # Imported here: numpy/scipy take a second to load, and `redline --help` should not wait for them.
    from redline.forecast import ForecastInputError, forecast

    try:
        result = forecast(
            system,
            rps=target_rps,
            growth=factor,
            curves=format == "html" or plot is not None,
            entrypoints=rates or None,
        )
    except ForecastInputError as exc:
        fail("cannot forecast this system:\n  " + "\n  ".join(exc.problems))

    from redline.report import forecast_html, forecast_json, forecast_text

    if plot is not None:
        _write_plots(result, system, plot)
    if format == "json":
        emit(forecast_json.render(result, system.skipped), output)
    elif format == "html":
        emit(forecast_html.render(result, system.skipped), output)
    else:
        emit_or_print(lambda c: forecast_text.render(result, c, system.skipped), output, 160)
    from redline.history.recorder import note  # the run history keeps the forecast's counts

    note(result)
    breached = fail_on_breach and result.breached
    regressed = earlier is not None and _compare(result, earlier, str(baseline), limits)
    raise typer.Exit(exit_code(system, gate_failed=breached or regressed, gaps_gate=True, allow=allow))


def _limit(option: str, text: str) -> float:
    """A ``--max-…-regression`` value: a percentage (``5%``) or a fraction (``0.05``)."""
    from redline.model.units import UnitError, parse_percent

    try:
        return parse_percent(text)
    except UnitError as exc:
        fail(f"{option}: {exc}")


def _baseline(path: Path) -> Forecast:
    from redline.forecast.baseline import ForecastBaselineError, load_forecast

    try:
        return load_forecast(path)
    except ForecastBaselineError as exc:
        fail(str(exc))


def _compare(result: Forecast, earlier: Forecast, file: str, limits: tuple[float, float]) -> bool:
    """Print the comparison with the baseline on stderr; True when something regressed."""
    from redline.forecast.baseline import ForecastBaselineError, compare, lines

    try:
        comparison = compare(result, earlier, file, max_saturation=limits[0], max_p95=limits[1])
    except ForecastBaselineError as exc:
        fail(str(exc))
    for line in lines(comparison):
        stderr.print(f"redline forecast: {line}", markup=False)
    return comparison.regressed


def _config_allows(path: Path) -> bool:
    """``allow_skipped`` from the redline.toml / pyproject.toml review reads (a bad file is exit 2)."""
    from redline.review.engine import ConfigError, load_config

    try:
        return load_config(path).allow_skipped
    except ConfigError as exc:
        fail(str(exc))


def _write_plots(result: Forecast, system: System, plot: Path) -> None:
    from redline.report import forecast_html

    try:
        plot.mkdir(parents=True, exist_ok=True)
        (plot / "forecast.html").write_text(forecast_html.render(result, system.skipped), encoding="utf-8")
        for e in result.entrypoints:
            if e.name in result.curves:
                safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", e.name)
                (plot / f"latency-{safe}.svg").write_text(forecast_html.latency_svg(result, e.name))
        (plot / "utilization.svg").write_text(forecast_html.utilization_svg(result))
    except OSError as exc:
        fail(f"cannot write plots to {plot}: {exc.strerror or exc}")


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("forecast")(forecast_command)
