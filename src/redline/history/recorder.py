"""Recording one run: what the command read and found, noted as it goes, written when it ends.

The CLI's ``main()`` wraps every command in :func:`cli_recording`; commands note what they read and what
they found with the module functions :func:`note_system` and :func:`note` (no-ops when nothing is being
recorded), and ``--no-history`` calls :func:`cancel`. The MCP server records each tool call with
:func:`recording`. Whatever goes wrong while recording, the command's own outcome and exit code stay as
they are: a failure to record prints one warning on stderr.

What a run keeps (nothing else): the command and the options given on its command line, masked
(:func:`redline.model.secrets.mask_tree`; request bodies are kept as their length and headers as their
names only); the redline version; the start time and duration; a digest of the files read (sha256 over
each file's path relative to the scanned root and its contents); counts (findings by severity for a
review, components and edges for a scan, …); for a review, one key per finding with a digest of its masked
message; the exit code; and, when it failed, the error line, masked.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from redline.history.location import HistoryError, database_path, disabled_by_env
from redline.history.records import FindingKey, Run
from redline.model.secrets import mask_text, mask_tree

if TYPE_CHECKING:
    from redline.fix.result import FixResult
    from redline.forecast.result import Forecast
    from redline.generate.result import GenerateResult
    from redline.load import LoadResult
    from redline.model import System
    from redline.review.engine import Report
    from redline.review.rule import Finding
    from redline.verify.result import VerifyResult

Counts = dict[str, int | float]
#: What a result adds to its run: counts, and (a review) its finding keys.
Summary = tuple[Counts, list[FindingKey] | None]

#: Commands that are not recorded: reading the history is not an operation on a system.
NOT_RECORDED = frozenset({"history"})
#: Options whose value is content (a request body): kept as its length only.
CONTENT_OPTIONS = frozenset({"data", "body"})
#: Options holding ``Name: value`` headers: kept as the names only.
HEADER_OPTIONS = frozenset({"header", "headers"})
#: ``scheme:/user:pw@host``: a URL given where a path was expected, after pathlib folded its ``//``.
_FOLDED_URL = re.compile(
    r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{1,30}):/(?=[^/\s:@]{1,200}:[^/\s@]{1,200}@)"
)
#: Characters of stderr kept to find the error line of a failed run.
STDERR_TAIL = 4000
MAX_ERROR = 500
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class Recorder:
    """One run being recorded: notes accumulate; :meth:`finish` writes them (or nothing when cancelled)."""

    def __init__(
        self, command: str | None = None, options: dict[str, Any] | None = None, target: str | None = None
    ) -> None:
        self.started_at = datetime.now(UTC)
        self._t0 = time.perf_counter()
        self.command = command
        self.options = dict(options or {})
        self.target = target
        self.input_digest: str | None = None
        self.counts: Counts = {}
        self.findings: list[FindingKey] = []
        self.cancelled = False
        self.problems: list[str] = []

    def note_system(self, system: System) -> None:
        """The files a command read (their digest) and the size of the model."""
        try:
            self.input_digest = input_digest(system)
            self.counts.update(
                components=len(system.components),
                edges=len(system.edges),
                files_read=len(system.files),
                skipped=len(system.skipped),
            )
        except Exception as exc:  # recording never breaks the command
            self.problems.append(f"cannot digest the input: {type(exc).__name__}: {exc}")

    def note(self, result: object) -> None:
        """A command's result: its counts (and, for a review, its finding keys)."""
        try:
            counts, findings = summarize(result)
        except Exception as exc:  # recording never breaks the command
            self.problems.append(f"cannot summarize the result: {type(exc).__name__}: {exc}")
            return
        self.counts.update(counts)
        if findings is not None:
            self.findings = findings

    def finish(self, exit_code: int, error: str | None = None) -> int | None:
        """Write the run; its id, or ``None`` when cancelled or when the history is off.

        Raises :class:`HistoryError` when the history cannot be written.
        """
        if self.cancelled or self.command is None:
            return None
        start = Path(self.target) if self.target and "://" not in self.target else None
        path = database_path(start)
        if path is None:
            return None
        from redline import __version__
        from redline.history.store import HistoryStore

        if self.problems:
            self.counts["record_problems"] = len(self.problems)
        run = Run(
            command=self.command,
            started_at=self.started_at,
            duration_s=time.perf_counter() - self._t0,
            exit_code=exit_code,
            error=_clip(masked_text(error)) if error else None,
            version=__version__,
            target=self.target,
            options=self.options,
            input_digest=self.input_digest,
            counts=self.counts,
        )
        with HistoryStore(path) as store:
            return store.add(run, self.findings)


# ---------------------------------------------------------------------------------------------- the CLI run

_active: Recorder | None = None


def note_system(system: System) -> None:
    """Note the files the running command read (nothing happens when no run is being recorded)."""
    if _active is not None:
        _active.note_system(system)


def note(result: object) -> None:
    """Note the running command's result (nothing happens when no run is being recorded)."""
    if _active is not None:
        _active.note(result)


def cancel() -> None:
    """Do not record the running command (``--no-history``)."""
    if _active is not None:
        _active.cancelled = True


def active() -> Recorder | None:
    """The CLI run being recorded, if any."""
    return _active


@contextmanager
def cli_recording(command_tree: Callable[[], Any], argv: Sequence[str]) -> Iterator[None]:
    """Record the command line ``argv`` run inside the block, whatever it exits with.

    ``command_tree`` builds the click command that parses ``argv`` (called only when a run is recorded).
    The block's ``SystemExit`` (or other exception) passes through untouched.
    """
    global _active
    if disabled_by_env() or not argv or any(a in ("--help", "--version") for a in argv):
        yield
        return
    rec = _active = Recorder()
    tail = _StderrTail(sys.stderr)
    sys.stderr = tail
    code = 0
    try:
        yield
    except SystemExit as exc:
        code = _exit_code(exc.code)
        raise
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
        raise
    except BaseException:
        code = EXIT_INTERNAL
        raise
    finally:
        sys.stderr = tail.inner
        _active = None
        _finish_cli(rec, command_tree, argv, code, tail.error(code))


def _finish_cli(
    rec: Recorder, command_tree: Callable[[], Any], argv: Sequence[str], code: int, error: str | None
) -> None:
    try:
        command, options, target, off = describe(command_tree(), argv)
        if off or command is None or command.split()[0] in NOT_RECORDED:
            return
        rec.command, rec.options, rec.target = command, options, target
        rec.finish(code, error)
    except (HistoryError, OSError) as exc:
        _warn(str(exc))
    except Exception as exc:  # a history failure never changes the command's exit code
        _warn(f"{type(exc).__name__}: {exc}")


def _warn(message: str) -> None:
    sys.stderr.write(
        masked_text(f"redline: warning: this run was not recorded in the history: {message} "
                  "(--no-history or REDLINE_NO_HISTORY=1 turn the history off)") + "\n"
    )  # fmt: skip


def _exit_code(code: object) -> int:
    """What ``sys.exit(code)`` makes the process exit with."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


class _StderrTail:
    """``sys.stderr`` unchanged, keeping the last characters written so a failed run can name its error."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self._tail = ""

    def write(self, text: str) -> int:
        written = self.inner.write(text)
        self._tail = (self._tail + text)[-STDERR_TAIL:]
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def error(self, code: int) -> str | None:
        """The error a run that exited ``code`` ended with: its ``redline: error:`` line, else the text of
        the usage error panel; ``None`` for exit 0 and 1 (a gate is not an error)."""
        if code in (0, 1):
            return None
        lines = [" ".join(ln.strip(" │╭╮╰╯─\t").split()) for ln in self._tail.splitlines()]
        lines = [ln for ln in lines if ln]
        if not lines:
            return None
        errors = [ln for ln in lines if ln.startswith(("redline: error:", "redline: internal error"))]
        if errors:
            return _clip(errors[0])
        if "Error" in lines:  # a usage error's panel: its title line, then the message
            at = len(lines) - 1 - lines[::-1].index("Error")
            return _clip("usage error: " + " ".join(lines[at + 1 :]))
        said = [ln for ln in lines if ln.startswith(("error:", "warning:"))]
        return _clip(said[0] if said else lines[-1])


def masked_text(text: str) -> str:
    """:func:`mask_text`, after giving back the ``//`` pathlib takes from a URL used as a path, so that
    ``postgres:/app:pw@db`` (what a ``Path("postgres://app:pw@db")`` prints) is masked as the URL it was."""
    return mask_text(_FOLDED_URL.sub(r"\1://", text))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


# ---------------------------------------------------------------------------------------------- the command


def describe(tree: Any, argv: Sequence[str]) -> tuple[str | None, dict[str, Any], str | None, bool]:
    """``(command, options, target, no_history)`` of a command line, parsed as the CLI parses it.

    ``tree`` is the root command (``typer.main.get_command(app)``); ``command`` is the command's name
    (``history diff`` for a subcommand), ``options`` the parameters given on the line (defaults left out),
    masked; ``target`` the ``path`` (made absolute) or ``url`` argument. A line that does not parse is
    described by its first word and its masked arguments.
    """
    from typer.core import TyperGroup

    words: list[str] = []
    options: dict[str, Any] = {}
    try:
        ctx = tree.make_context("redline", list(argv), resilient_parsing=True)
        off = bool(ctx.params.get("no_history"))
        command = tree
        while isinstance(command, TyperGroup):
            rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
            if not rest:
                break
            name, sub, args = command.resolve_command(ctx, rest)
            if sub is None or name is None:
                break
            words.append(name)
            ctx = sub.make_context(name, list(args), parent=ctx, resilient_parsing=True)
            options.update(_given(ctx))
            command = sub
    except Exception:  # a line the parser refuses (the run itself said why): keep its words, masked
        from redline.model.secrets import mask_args

        first = next((a for a in argv if not a.startswith("-")), None)
        return first, {"argv": mask_args(list(argv))}, None, "--no-history" in argv
    return (" ".join(words) or None), mask_options(options), _target(options), off


def _given(ctx: Any) -> dict[str, Any]:
    """The parameters of ``ctx`` given on the command line or by the environment (not defaults)."""
    out = {}
    for name, value in ctx.params.items():
        source = ctx.get_parameter_source(name)
        if source is not None and source not in (type(source).DEFAULT, type(source).DEFAULT_MAP):
            out[name] = _jsonable(value)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return masked_text(str(value))
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def mask_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options as the history keeps them: bodies as their length, headers as their names, secrets masked."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key in CONTENT_OPTIONS and isinstance(value, str):
            out[key] = f"<{len(value)} characters, not recorded>"
        elif key in HEADER_OPTIONS and isinstance(value, list):
            out[key] = [f"{str(h).partition(':')[0].strip()}: <not recorded>" for h in value]
        else:
            out[key] = mask_tree({key: value})[key]
    return out


def _target(options: dict[str, Any]) -> str | None:
    path = options.get("path")
    if isinstance(path, str) and path:
        return masked_text(str(Path(path).resolve()))
    url = options.get("url")
    return mask_text(url) if isinstance(url, str) and url else None


# ---------------------------------------------------------------------------------------------- what was read


def input_digest(system: System) -> str | None:
    """sha256 over each read file's path (relative to the scanned root) and contents; ``None`` when no file
    was read. A file that cannot be read again counts by its path alone, marked unreadable."""
    if not system.files:
        return None
    root = Path(system.root)
    total = hashlib.sha256()
    for name in sorted({f.file for f in system.files}):
        path = Path(name) if Path(name).is_absolute() else root / name
        total.update(name.encode("utf-8", "surrogateescape") + b"\0")
        try:
            with path.open("rb") as fh:
                total.update(hashlib.file_digest(fh, "sha256").digest())
        except OSError:
            total.update(b"\0unreadable")
    return total.hexdigest()


def finding_key(f: Finding) -> FindingKey:
    """What the history keeps of one finding: never its message, only a digest of the masked message."""
    digest = hashlib.sha256(mask_text(f.message).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return FindingKey(
        rule=f.rule,
        name=f.name,
        severity=f.severity.value,
        component=f.component,
        file=f.file,
        line=f.line,
        message_digest=digest,
    )


# ---------------------------------------------------------------------------------------------- results


def summarize(result: object) -> Summary:
    """Counts of a command's result, and the finding keys of a review (``None`` for other results).

    Result types are recognised only when their module is already loaded: a result cannot be of a type
    nobody imported, so noting a load never imports the review engine.
    """
    for module, name, summary in _SUMMARIES:
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(result, cls):
            return summary(result)
    return {}, None


def _review(report: Report) -> Summary:
    """Every finding the review kept (a baseline's too, whatever ``--min-severity`` shows)."""
    every = report.unfiltered()
    counts: Counts = dict(every.summary)
    counts.update(
        findings=len(every.findings),
        new=len(report.findings),
        suppressed=len(report.suppressed),
        rule_errors=len(report.errors),
    )
    return counts, [finding_key(f) for f in every.findings]


def _forecast(fc: Forecast) -> Summary:
    return {
        "entrypoints": len(fc.entrypoints),
        "components": len(fc.components),
        "saturated_at_target": sum(1 for c in fc.components if c.target_saturated),
        "breached": int(fc.breached),
        "target_rps": fc.growth.target_rps,
    }, None


def _load(result: LoadResult) -> Summary:
    d = result.data
    counts: Counts = {
        k: d[k] for k in ("requests", "responses", "errors", "rps") if isinstance(d.get(k), int | float)
    }
    p99 = (d.get("latency_ms") or {}).get("p99")
    if isinstance(p99, int | float):
        counts["p99_ms"] = p99
    return counts, None


def _fix(result: FixResult) -> Summary:
    counts: Counts = dict(result.totals.model_dump())
    counts.update(
        files=len(result.files), findings_before=result.findings_before, findings_after=result.findings_after
    )
    return counts, None


def _generate(result: GenerateResult) -> Summary:
    return {
        "files": len(result.files),
        "alerts": len(result.alerts),
        "skipped": len(result.skipped),
        "failed_checks": len(result.failed_checks),
    }, None


def _verify(result: VerifyResult) -> Summary:
    return {"entrypoints": len(result.entrypoints), "passed": int(result.verdict.value == "pass")}, None


_SUMMARIES: tuple[tuple[str, str, Callable[[Any], Summary]], ...] = (
    ("redline.review.engine", "Report", _review),
    ("redline.forecast.result", "Forecast", _forecast),
    ("redline.load.runner", "LoadResult", _load),
    ("redline.fix.result", "FixResult", _fix),
    ("redline.generate.result", "GenerateResult", _generate),
    ("redline.verify.result", "VerifyResult", _verify),
)


@contextmanager
def recording(command: str, options: dict[str, Any], target: str | None) -> Iterator[Recorder]:
    """Record one operation that is not a command line (an MCP tool call): the block's notes, its duration,
    and exit 0; when it raises, the exception's ``exit_code`` (a refused call: 2; 70 when it carries
    none: a bug) and its message. The exception passes through; a failure to record is one warning on
    stderr."""
    rec = Recorder(command, mask_options(options), target)
    code, error = 0, None
    try:
        yield rec
    except BaseException as exc:
        code = int(getattr(exc, "exit_code", EXIT_INTERNAL))
        error = " ".join(str(exc).split()) or type(exc).__name__
        raise
    finally:
        try:
            rec.finish(code, error)
        except Exception as exc:  # never hides the call's own outcome
            _warn(str(exc))


__all__ = [
    "Recorder",
    "active",
    "cancel",
    "cli_recording",
    "describe",
    "finding_key",
    "input_digest",
    "mask_options",
    "note",
    "note_system",
    "recording",
    "summarize",
]
