"""`redline calibrate`: measured service times and call overheads into redline.yaml. Parses options, calls
the library, renders.

Exit codes: 0 written (or, with --dry-run, fitted); 2 usage or input errors (nothing to fit, no
redline.yaml, a results file that is neither verify's, load's nor a trace export); 70 an internal error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from redline.cli.common import check_format, check_output, emit, emit_or_print, fail, load_system

FORMATS = ("text", "json")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"--from {path}: {getattr(exc, 'strerror', None) or exc}")
    except json.JSONDecodeError:
        return None  # JSON Lines (an OTLP trace file) or not JSON at all: the trace reader says which


def _first_error(exc: ValueError) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return "; ".join(lines[:3])


def _source(results: Path, rate: float | None, entry: str | None, system: Any) -> Any:
    """A verify result, a load run with its rate and entry point, or trace facts."""
    from redline.traces import TraceReadError, read_traces
    from redline.verify.calibrate import LoadRun
    from redline.verify.result import VerifyResult

    doc = _read_json(results)
    if isinstance(doc, dict) and doc.get("tool") == "redline verify":
        try:
            return VerifyResult.from_document(doc)
        except ValueError as exc:
            fail(f"--from {results}: a verify JSON that does not validate ({_first_error(exc)})")
    if isinstance(doc, dict) and doc.get("tool") == "redline load":
        series = doc.get("series") or []
        ran_at = rate or (series[0].get("target_rps") if series else None)
        if not ran_at:
            fail(f"--from {results}: a load result without its rate: pass --rate N")
        stated = [e.name for e in system.entrypoints if not e.inferred]
        name = entry or (stated[0] if len(stated) == 1 else None)
        if name is None:
            fail("--entrypoint NAME: which entry point the load run drove (the system states "
                 f"{len(stated)})")  # fmt: skip
        return LoadRun(doc=doc, rate=float(ran_at), entry=name)
    try:
        return read_traces(results)
    except TraceReadError as exc:
        fail(f"--from {results}: neither a verify JSON, a load results.json nor a trace export ({exc})")


def calibrate_command(
    path: Path = typer.Argument(..., help="The system whose redline.yaml to calibrate."),
    results: Path = typer.Option(
        ...,
        "--from",
        help="verify's JSON, a `redline load` results.json (with --rate), or OTLP/Jaeger traces.",
    ),
    rate: float | None = typer.Option(None, "--rate", help="The rate a load results.json ran at (req/s)."),
    entrypoint: str | None = typer.Option(None, "--entrypoint", help="The entry point a load run drove."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the calibrated redline.yaml here instead of in place."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Fit and show; write nothing."),
    format: str = typer.Option(
        "text", "--format", "-f", help="text or json (the report; the YAML is a file)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Fit per-component service times and per-call overheads to measurements and write them into
    redline.yaml (round-trip: comments kept), each with a comment saying where it came from.

    From stats endpoints or Server-Timing when verify recorded them, else from traces, else from the low-load
    latency and the saturation throughput. Re-forecasting then separates input error from model error.
    """
    check_format(format, FORMATS)
    check_output(output)
    if rate is not None and not 0 < rate < 1e9:
        fail(f"--rate must be a positive number of requests per second; got {rate:g}")
    system = load_system(path, quiet=quiet)
    from redline.verify.calibrate import CalibrateError, calibrate, native_file, write_yaml

    source = _source(results, rate, entrypoint, system)
    label = ("verify run " if source.__class__.__name__ == "VerifyResult" else "") + results.name
    try:
        target = native_file(system)
        calibration = calibrate(system, source, label)
        text, problems = write_yaml(target.read_text(encoding="utf-8"), calibration)
    except CalibrateError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot read the redline.yaml: {exc.strerror or exc}")
    calibration.notes.extend(problems)
    if not dry_run:
        where = output or target
        emit(text, where)
        calibration.written = str(where)
        _check_written(path, where if output is not None else None)
    from redline.report import verify_json, verify_text

    if format == "json":
        emit(verify_json.render_calibration(calibration), None)
    else:
        emit_or_print(lambda c: verify_text.render_calibration(calibration, c), None)


def _check_written(path: Path, overlay: Path | None) -> None:
    """The file written reads back without a refused value (else exit 2: something is wrong with it)."""
    from redline.model import SkipKind

    system = load_system(path, overlay=overlay, quiet=True)
    refused = [s for s in system.skipped if s.kind is SkipKind.REJECTED]
    if refused:
        fail("the calibrated redline.yaml does not read back: " + "; ".join(s.reason for s in refused[:3]))


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("calibrate")(calibrate_command)
