"""Running one fuzz case through the CLI in-process, and what must hold afterwards.

Every case writes its files to a fresh folder and runs ``scan``, ``review`` and ``forecast`` with
Typer's CliRunner, each under a wall-clock alarm. What must hold:

* the exit code is 0, 1 or 2 (70 is the CLI's internal-error code: a failure here), no exception
  escapes the command and no traceback is printed;
* each command finishes within the time bound;
* no component of an untouched file, or of an untouched document or service of the mutated file, is lost
  (compared by workload and plain name with a scan of the unmutated files);
* a lost component is never silent (a warning or skip names the file), a file that is not well-formed
  YAML is listed as skipped with a gating kind, and no reader reports an internal error;
* when the scan lists a gating skip, ``review`` and ``forecast`` exit 2.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from redline.cli.app import app
from redline.model import SkipKind
from tests.fuzz.inputs import Case
from tests.fuzz.mutate import Broken, Hit, Mutation, may_cost, units

ALLOWED_EXITS = frozenset({0, 1, 2})
EXIT_USAGE = 2
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("scan", "--format", "json", "-q"),
    ("review", "--format", "json"),
    ("forecast", "--format", "json", "-q"),
)
TRACEBACK = "Traceback (most recent call last)"
GATING = frozenset(k.value for k in SkipKind if k.gates)
SECONDS = 20.0  # per command; small inputs take well under a second


class CaseTimeout(BaseException):
    """Raised by the alarm inside a command that ran past its bound (a BaseException: not swallowed)."""


@dataclass(frozen=True)
class Problem:
    """One broken promise: its kind (stable, for grouping), the command and what happened."""

    kind: str
    command: str
    detail: str

    def signature(self) -> str:
        """What groups repeats of one bug: the kind, the command and the detail without its values."""
        detail = self.detail.split(" at ", 1)
        head = detail[0].split(":")[0] + (" at " + detail[1] if len(detail) > 1 else "")
        return f"{self.kind} {self.command} {re.sub(r'[0-9]+', 'N', head)[:200]}"


@dataclass(frozen=True)
class Outcome:
    command: str
    exit_code: int | None
    seconds: float
    output: str  # stdout and stderr, interleaved
    stdout: str
    error: str | None  # exception type and innermost frames


@contextlib.contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Raise :class:`CaseTimeout` in the main thread after ``seconds``."""

    def ring(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"still running after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def innermost(exc: BaseException) -> str:
    """``Type: message`` with the innermost frame, and the innermost frame inside redline."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/redline/" in f.filename and "/tests/" not in f.filename]
    where = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in (frames[-1:] + ours[-1:])]
    return f"{type(exc).__name__}: {str(exc)[:200]} at {' / '.join(dict.fromkeys(where))}"


def invoke(args: list[str], seconds: float = SECONDS) -> Outcome:
    """Run ``redline ARGS`` in-process under an alarm."""
    start = time.perf_counter()
    try:
        with alarm(seconds):
            result = CliRunner().invoke(app, args)
    except CaseTimeout as exc:
        return Outcome(
            args[0], None, time.perf_counter() - start, "", "", f"timeout: {exc} ({innermost(exc)})"
        )
    seconds_taken = time.perf_counter() - start
    error = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        error = innermost(result.exception)
    return Outcome(args[0], result.exit_code, seconds_taken, result.output, result.stdout, error)


def write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def component_keys(scan: dict[str, Any]) -> dict[tuple[str, str], str]:
    """``(workload, plain name) -> file:line`` of every component a file defines (externals left out:
    they are hosts named in env values, not definitions)."""
    keys = {}
    for c in scan.get("components") or []:
        if c.get("platform") == "external":
            continue
        plain = c["name"].rsplit("/", 1)[-1].split(":", 1)[-1]
        src = c.get("source") or {}
        keys[(str(c.get("workload")), plain)] = f"{src.get('file')}:{src.get('line')}"
    return keys


@functools.lru_cache(maxsize=512)
def baseline(case: Case) -> dict[str, Any]:
    """The scan of the unmutated files (JSON). Raises when the clean input already fails."""
    with tempfile.TemporaryDirectory(prefix="redline-fuzz-") as tmp:
        write(Path(tmp), dict(case.files))
        out = invoke(["scan", tmp, "--format", "json", "-q"])
    if out.exit_code != 0 or out.error:
        raise AssertionError(f"unmutated {case.name} does not scan: {out.error or out.output[-400:]}")
    data: dict[str, Any] = json.loads(out.stdout)
    gaps = [s for s in data["skipped"] if s["kind"] in GATING]
    if gaps:
        raise AssertionError(f"unmutated {case.name} already has a gap: {gaps[0]}")
    return data


def save(case: Case, m: Mutation, dest: Path) -> Path:
    """Write the mutated case to ``dest`` (a repro folder) and return it."""
    files = dict(case.files)
    files[case.target] = m.data
    shutil.rmtree(dest, ignore_errors=True)
    write(dest, files)
    return dest


def required(case: Case, m: Mutation, base: dict[str, Any]) -> dict[tuple[str, str], str]:
    """The baseline components the mutation must not cost."""
    text = case.text()
    owners = units(text, case.flavour)
    keep = {}
    for key, where in component_keys(base).items():
        file, _, line = where.rpartition(":")
        if file != case.target:
            keep[key] = where
            continue
        line_no = int(line) if line.isdigit() else 0
        unit = next((u for u in owners if u.first <= line_no <= u.last), None)
        if unit is None:
            if m.hit is Hit.SAME:
                keep[key] = where
        elif not may_cost(m, unit, case.flavour, text):
            keep[key] = where
    return keep


def check(case: Case, m: Mutation, seconds: float = SECONDS) -> list[Problem]:
    """Run the mutated case through every command; the broken promises (empty when all hold)."""
    try:
        base = baseline(case)
    except AssertionError as exc:  # the unmutated files already fail: a finding of its own
        return [Problem("baseline", "scan", str(exc))]
    files = dict(case.files)
    files[case.target] = m.data
    problems: list[Problem] = []
    scan: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="redline-fuzz-") as tmp:
        write(Path(tmp), files)
        for args in COMMANDS:
            out = invoke([args[0], tmp, *args[1:]], seconds)
            problems += _run_problems(out)
            if out.command == "scan" and out.exit_code == 0 and not out.error:
                try:
                    scan = json.loads(out.stdout)
                except ValueError as exc:
                    problems.append(Problem("bad-json", "scan", f"scan --format json is not JSON: {exc}"))
            elif scan is not None and out.exit_code in ALLOWED_EXITS:
                problems += _gate_problems(scan, out)
    if scan is not None:
        problems += _loss_problems(case, m, base, scan)
    return problems


def _emptied(m: Mutation) -> bool:
    """Nothing is left to warn about: a document, ``services:`` or a service replaced by nothing (``~``,
    an empty value or mapping) or tagged ``!reset`` (Compose's way to write "remove this", a valid
    instruction, not a bad value), or a byte hit (a cut file loses what follows the cut, and says
    nothing)."""
    if m.hit in (Hit.BYTES, Hit.SAME):
        return m.hit is Hit.BYTES
    if m.slot is None or len(m.slot.path) > 2:
        return False
    if m.hit is Hit.TAG:
        return m.snippet == "!reset"
    if m.hit is not Hit.VALUE:
        return False
    try:
        return not yaml.safe_load(m.snippet)
    except yaml.YAMLError:
        return False


def _run_problems(out: Outcome) -> list[Problem]:
    found = []
    if out.error is not None:
        kind = "timeout" if out.error.startswith("timeout") else "exception"
        found.append(Problem(kind, out.command, out.error))
    elif out.exit_code not in ALLOWED_EXITS:
        found.append(Problem("exit-code", out.command, f"exit {out.exit_code}: {out.output[-300:]}"))
    if TRACEBACK in out.output:
        tail = out.output[out.output.index(TRACEBACK) :].strip().splitlines()[-1]
        found.append(Problem("traceback", out.command, tail))
    return found


def _gate_problems(scan: dict[str, Any], out: Outcome) -> list[Problem]:
    gaps = [s for s in scan.get("skipped") or [] if s.get("kind") in GATING]
    if gaps and out.exit_code != EXIT_USAGE:
        first = gaps[0]
        return [
            Problem(
                "gate",
                out.command,
                f"exit {out.exit_code} although the scan lists a {first['kind']} skip "
                f"({first['file']}: {first['reason'][:100]})",
            )
        ]
    return []


def _loss_problems(case: Case, m: Mutation, base: dict[str, Any], scan: dict[str, Any]) -> list[Problem]:
    found = []
    skipped = scan.get("skipped") or []
    for s in skipped:
        if "internal error" in s.get("reason", ""):
            found.append(Problem("internal-error", "scan", f"{s['file']}: {s['reason'][:200]}"))
    after = component_keys(scan)
    lost = {k: w for k, w in required(case, m, base).items() if k not in after}
    if lost:
        why = [s["reason"] for s in skipped if s.get("file") == case.target] or ["no skip for the file"]
        shown = ", ".join(f"{k[0]} {k[1]} ({w})" for k, w in sorted(lost.items())[:4])
        found.append(
            Problem("lost", "scan", f"{why[0][:120]}: {len(lost)} healthy component(s) lost: {shown}")
        )
    named = {d.get("file") for d in [*skipped, *(scan.get("warnings") or [])]}
    mine = case.target + ":"
    before = sum(1 for w in component_keys(base).values() if w.startswith(mine))
    now = sum(1 for w in after.values() if w.startswith(mine))
    if now < before and case.target not in named and not _emptied(m):
        found.append(
            Problem(
                "silent-loss",
                "scan",
                f"{m.hit.value} hit: {before - now} component(s) of "
                f"{case.target} gone, no warning or skip names the file",
            )
        )
    if m.broken is not Broken.NO and not any(
        s.get("file") == case.target and s.get("kind") in GATING for s in skipped
    ):
        found.append(
            Problem(
                "unreported",
                "scan",
                f"{case.target} is not well-formed YAML/UTF-8 "
                "but is not listed as skipped with a gating kind",
            )
        )
    return found
