"""`redline generate`: SLO alerts, scaling policies, dashboards and runbooks from the model. Parses
options, calls :func:`redline.generate.engine.generate`, renders the result."""

from __future__ import annotations

from pathlib import Path

import typer

from redline.cli.common import (
    ALLOW_SKIPPED_HELP,
    EXIT_USAGE,
    HELM_SET_HELP,
    HELM_VALUES_HELP,
    ROOT_HELP,
    check_format,
    emit,
    emit_or_print,
    exit_code,
    fail,
    load_system,
    report_gaps,
)
from redline.cli.forecast import _growth

FORMATS = ("text", "json")
ARTIFACTS = ("alerts", "scaling", "dashboards", "runbooks")


def _only(text: str | None) -> list[str]:
    if text is None:
        return list(ARTIFACTS)
    names = [w.strip() for w in text.split(",") if w.strip()]
    unknown = [w for w in names if w not in ARTIFACTS]
    if unknown or not names:
        fail(f"--only takes a comma-separated list of {', '.join(ARTIFACTS)}; got {text!r}")
    return [a for a in ARTIFACTS if a in names]


def _seconds(value: str | None, option: str, default: float) -> float:
    if value is None:
        return default
    from redline.model.units import UnitError, parse_duration

    try:
        return parse_duration(value, default_unit=None, allow_zero=False)
    except UnitError as exc:
        fail(f"{option}: {exc}")


def _rate(value: str | None) -> float | None:
    if value is None:
        return None
    from redline.model.units import UnitError, parse_rate

    try:
        rate = parse_rate(value)
    except UnitError as exc:
        fail(f"--rps: {exc}")
    if rate <= 0:
        fail(f"--rps must be above 0; got {value!r}")
    return rate


def generate_command(
    path: Path = typer.Argument(..., help="A repository, a directory of manifests, or one redline.yaml."),
    out: Path = typer.Option(..., "--out", "-o", help="The folder to write into (created if missing)."),
    only: str | None = typer.Option(
        None, "--only", help="Comma-separated: alerts, scaling, dashboards, runbooks (default: all)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files a previous run wrote into --out."),
    rps: str | None = typer.Option(
        None, "--rps", help="Load the forecast assumes when no entry point states one, e.g. 300 or 2k/s."
    ),
    growth: str | None = typer.Option(
        None, "--growth", help="Target load as a multiple of today's, e.g. 10x (default: growth.factor)."
    ),
    runbook_url_base: str = typer.Option(
        "", "--runbook-url-base", help="Prefix of every runbook_url (default: paths relative to --out)."
    ),
    prometheus_url: str | None = typer.Option(
        None, "--prometheus-url", help="The Prometheus address KEDA ScaledObjects query."
    ),
    rto: str | None = typer.Option(
        None, "--rto", help="Recovery-time target of the DR runbooks (default 5m)."
    ),
    rpo: str | None = typer.Option(
        None, "--rpo", help="Recovery-point target of the DR runbooks (default 5m)."
    ),
    check: bool = typer.Option(
        True,
        "--check/--no-check",
        help="Check the files with promtool, the Kubernetes schema and Grafana's models.",
    ),
    format: str = typer.Option("text", "--format", "-f", help="text or json."),
    overlay: Path | None = typer.Option(
        None, "--overlay", help="A redline.yaml to apply instead of PATH's own."
    ),
    allow_skipped: bool = typer.Option(False, "--allow-skipped", help=ALLOW_SKIPPED_HELP),
    root: Path | None = typer.Option(None, "--root", help=ROOT_HELP),
    helm_values: list[Path] | None = typer.Option(None, "--values", help=HELM_VALUES_HELP),
    helm_set: list[str] | None = typer.Option(None, "--set", help=HELM_SET_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Generate Prometheus SLO and saturation alerts (with promtool tests and a sloth spec), HPAs, PDBs and
    KEDA ScaledObjects, Grafana dashboards, and runbooks, from the model and its forecast.

    Every alert has a severity (page or ticket) and a runbook_url to its runbook. Output is deterministic:
    no timestamps, stable order. Files already in --out are never overwritten without --force.
    Exit 0 when something was generated and every check passed; 1 when a check failed; 2 on usage or input
    errors, when nothing could be generated, when a file was not read (unless --allow-skipped) or a
    redline.yaml value was refused; 70 on an internal error.
    """
    check_format(format, FORMATS)
    from redline.generate.engine import GenerateInputError, GenerateOptions, check_out, generate
    from redline.generate.result import Artifact
    from redline.generate.runbooks import DEFAULT_RPO_S, DEFAULT_RTO_S

    artifacts = tuple(Artifact(a) for a in _only(only))
    options = GenerateOptions(
        only=artifacts,
        force=force,
        rps=_rate(rps),
        growth=_growth(growth) if growth is not None else None,
        runbook_base=runbook_url_base,
        prometheus_url=prometheus_url,
        rto_s=_seconds(rto, "--rto", DEFAULT_RTO_S),
        rpo_s=_seconds(rpo, "--rpo", DEFAULT_RPO_S),
        check=check,
    )
    try:
        check_out(out, artifacts, force)
    except GenerateInputError as exc:
        fail(str(exc))
    system = load_system(
        path, overlay=overlay, quiet=quiet, root=root, helm_values=helm_values, helm_set=helm_set
    )
    report_gaps(system, allow=allow_skipped, command="generate")
    try:
        result = generate(system, out, options)
    except GenerateInputError as exc:
        fail(str(exc))
    from redline.history.recorder import note  # the run history keeps what was generated

    note(result)
    from redline.report import generate_json, generate_text

    if format == "json":
        emit(generate_json.render(result, system.skipped), None)
    else:
        emit_or_print(lambda c: generate_text.render(result, c, system.skipped), None, 160)
    code = exit_code(system, gate_failed=bool(result.failed_checks), gaps_gate=True, allow=allow_skipped)
    if code != EXIT_USAGE and not result.generated:
        code = EXIT_USAGE
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("generate")(generate_command)
