"""`redline verify`: the forecast against the running system. Parses options, calls the library, renders.

Exit codes: 0 every error inside its noise band; 1 an error outside its band or the wrong bottleneck;
2 usage or input errors, or something that could not be measured; 70 an internal error.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from redline.cli.common import (
    EXIT_GATE,
    EXIT_OK,
    EXIT_USAGE,
    check_format,
    check_output,
    emit,
    emit_or_print,
    fail,
    load_system,
    stderr,
)

FORMATS = ("text", "json")


def _pairs(items: list[str], option: str, example: str) -> dict[str, str]:
    """``NAME=VALUE`` options as a mapping; malformed or repeated names are exit 2."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            fail(f"{option} must be NAME=URL, such as {example}; got {item!r}")
        if name in out:
            fail(f"{option} {name} given twice")
        out[name] = value
    return out


def _fractions(text: str) -> tuple[float, ...]:
    from redline.model.units import UnitError, parse_percent

    try:
        return tuple(parse_percent(part.strip()) for part in text.split(",") if part.strip())
    except UnitError as exc:
        fail(f"--at: {exc}")


def _seconds(text: str, option: str) -> float:
    from redline.model.units import UnitError, parse_duration

    try:
        return parse_duration(text, default_unit=None)
    except UnitError as exc:
        fail(f"{option}: {exc}")


def verify_command(
    path: Path = typer.Argument(
        ..., help="The system: a repository, a directory of manifests, or a redline.yaml."
    ),
    target: list[str] = typer.Option(
        [], "--target", "-t", help="ENTRY=URL (repeatable): load this entry point (or component) at this URL."
    ),
    at: str = typer.Option(
        "50%,70%,85%", "--at", help="Loads to compare at, as fractions of the predicted saturation."
    ),
    duration: str = typer.Option(
        "20s", "--duration", "-d", help="Measured length of each run (after the warm-up)."
    ),
    warmup: str = typer.Option("5s", "--warmup", help="Start of each run left out of the measurement."),
    repeat: int = typer.Option(1, "--repeat", help="Runs per load (pooled; the band narrows with √N)."),
    stats: list[str] = typer.Option(
        [], "--stats", help="COMPONENT=URL (repeatable): a stats endpoint, read before and after each run."
    ),
    search: bool = typer.Option(True, "--search/--no-search", help="Search for the measured saturation."),
    send_probe: bool = typer.Option(True, "--probe/--no-probe", help="Send requests one at a time first."),
    measured: Path | None = typer.Option(
        None,
        "--measured",
        help="Re-forecast against this verify JSON instead of sending load (after calibrate).",
    ),
    seed: int | None = typer.Option(
        None, "--seed", help="Random seed for the Poisson arrivals (run i uses seed + i)."
    ),
    format: str = typer.Option("text", "--format", "-f", help="text or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress on stderr."),
) -> None:
    """Check the forecast against the running system: latency at fractions of the predicted saturation,
    each error against the noise band the model predicts for the run length, then the measured saturation
    and bottleneck from a stepped search (0.8×, 0.9×, 1.0×, 1.1×, … the prediction).

    Only the URLs given get load; every run is bounded (warm-up + duration, at most 8 search steps).
    Exit 0 every error inside its band; 1 an error outside it or the wrong bottleneck; 2 usage or input
    errors, or nothing measured; 70 an internal error.
    """
    check_format(format, FORMATS)
    check_output(output)
    targets = _pairs(target, "--target", "web=http://127.0.0.1:8080/")
    endpoints = _pairs(stats, "--stats", "api=http://127.0.0.1:8080/stats")
    if measured is None and not targets:
        fail("give --target ENTRY=URL (the entry point to load and where), or --measured FILE to re-forecast")
    system = load_system(path, quiet=quiet)
    from redline.verify import Verdict, VerifyError, VerifyInterrupted, VerifyResult, replay, verify

    try:
        if measured is not None:
            try:
                previous = VerifyResult.from_document(json.loads(measured.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
                fail(f"--measured {measured}: not a redline verify JSON ({'; '.join(lines[:3])})")
            result = replay(system, previous)
        else:
            result = verify(
                system,
                targets,
                at=_fractions(at),
                duration=_seconds(duration, "--duration"),
                warmup=_seconds(warmup, "--warmup"),
                repeat=repeat,
                stats=endpoints,
                search=search,
                send_probe=send_probe,
                seed=seed,
                progress=None if quiet else (lambda m: stderr.print(f"verify: {m}", markup=False)),
            )
    except VerifyError as exc:
        fail(str(exc))
    except VerifyInterrupted as exc:
        stderr.print("verify: interrupted; nothing reported (a partial verify would compare half a run)")
        raise typer.Exit(exc.code) from None
    from redline.history.recorder import note  # the run history keeps the verdict

    note(result)
    from redline.report import verify_json, verify_text

    if format == "json":
        emit(verify_json.render(result, system.skipped), output)
    else:
        emit_or_print(lambda c: verify_text.render(result, c, system.skipped), output, 140)
    codes = {Verdict.PASS: EXIT_OK, Verdict.FAIL: EXIT_GATE, Verdict.INCOMPLETE: EXIT_USAGE}
    raise typer.Exit(codes[result.verdict])


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("verify")(verify_command)
