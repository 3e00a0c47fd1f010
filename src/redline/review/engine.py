"""The review engine: run the rule catalog over a system, apply configuration and suppressions, report.

Public surface: :func:`review`, :class:`ReviewConfig`, :func:`load_config`, :class:`Report`,
:class:`ConfigError`.

Configuration lives where the code lives, so reviews in CI and on a laptop agree: ``redline.toml``
(table ``[review]``) or ``pyproject.toml`` (table ``[tool.redline.review]``) at the scanned root, or a file
given with ``--config``. Keys may be spelled with ``-`` or ``_``.

Suppressions, checked at review time against the user's files (so they move with the code):

* an inline comment ``# redline: ignore[AV001]`` (several codes comma-separated; a bare
  ``# redline: ignore`` suppresses every rule) on the finding's line, or on a comment-only line directly
  above it — YAML keys often cannot carry a trailing comment without hurting readability;
* the Kubernetes annotation ``redline.dev/ignore: "AV001,SC001"`` (or ``"*"``) on the workload or object
  the finding is about;
* ``ignore`` and ``per-path-ignores`` in the configuration.

``allow_skipped = true`` at the top level of ``redline.toml`` (or in ``[tool.redline]``) accepts files
that were not read (unreadable, Helm charts not rendered): review and forecast then pass over them
instead of exiting 2. It is read by :func:`load_config` into ``ReviewConfig.allow_skipped``.

Codes in every list may be prefixes: ``AV`` means every availability rule, ``AV00`` AV001–AV009.

After the rules run, two post-steps: one finding per secret value (findings that carry the same
:attr:`Finding.fingerprint` collapse into the first, which lists the other places in its ``evidence``), and,
given a baseline (:mod:`redline.review.baseline`), the findings it already holds move to
``Report.baselined``, so only new ones count.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

import redline.review.rules  # noqa: F401  (registers the catalog)
from redline._gc import paused_gc
from redline.model import Skipped, System
from redline.review.baseline import Baseline
from redline.review.context import Context
from redline.review.rule import REGISTRY, Finding, Rule, Severity

FailOn = Literal["critical", "high", "medium", "low", "never"]

#: Thresholds rules read, their defaults, and what they mean (rendered into docs/review.md).
THRESHOLDS: dict[str, tuple[float, str]] = {
    "retry_amplification": (10, "RS004: largest acceptable product of attempts along a call path"),
    "max_sync_depth": (5, "RS006: longest acceptable chain of synchronous hops from an entry point"),
    "slo_latency_s": (0, "RS007: latency objective in seconds when redline.yaml states none (0 = unset)"),
    "spof_min_share": (0.5, "AV003: share of an entry point's dependencies a chokepoint must cut off"),
    "hpa_max_target": (0.9, "SC006: highest acceptable HPA CPU utilization target (fraction)"),
    "termination_grace_min_s": (5, "operability: shortest acceptable terminationGracePeriodSeconds"),
    "termination_grace_max_s": (300, "operability: longest acceptable terminationGracePeriodSeconds"),
    "read_heavy_ratio": (
        0.8,
        "SC008: share of reads from which a single-writer database needs read replicas",
    ),
    "secret_min_length": (20, "SE003: shortest env value judged by entropy as a possible secret"),
    "secret_min_entropy": (
        4.0,
        "SE003: Shannon entropy (bits per character) from which a value looks random",
    ),
}

_INLINE = re.compile(r"#\s*redline:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
ANNOTATION = "redline.dev/ignore"


class ConfigError(ValueError):
    """A configuration file that cannot be used; carries ``file:line`` when known."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.line = line
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")


class ReviewConfig(BaseModel):
    """What to run and how to judge it. Every field has a safe default: an empty config runs every rule."""

    model_config = ConfigDict(extra="forbid")

    select: list[str] = Field(default_factory=list)  # codes or prefixes; empty = every rule
    ignore: list[str] = Field(default_factory=list)
    per_path_ignores: dict[str, list[str]] = Field(default_factory=dict)  # glob -> codes
    severity: dict[str, Severity] = Field(default_factory=dict)  # code -> forced severity
    thresholds: dict[str, float] = Field(default_factory=dict)
    fail_on: FailOn = "high"
    min_severity: Severity | None = None  # what reports show (the gate still counts every finding)
    allow_skipped: bool = False  # top-level key: accept files that were not read (review and forecast)
    source: str | None = None  # the file it was read from, for messages

    @field_validator("select", "ignore")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        return [_check_code(c) for c in v]

    @field_validator("per_path_ignores")
    @classmethod
    def _path_codes(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return {glob: [_check_code(c) for c in codes] for glob, codes in v.items()}

    @field_validator("severity")
    @classmethod
    def _severity_codes(cls, v: dict[str, Severity]) -> dict[str, Severity]:
        for code in v:
            if code.upper() not in REGISTRY:
                raise ValueError(f"unknown rule code {code!r} in severity overrides")
        return {k.upper(): s for k, s in v.items()}

    @field_validator("thresholds")
    @classmethod
    def _known_thresholds(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(THRESHOLDS))
        if unknown:
            raise ValueError(
                f"unknown threshold(s) {', '.join(unknown)}; known: {', '.join(sorted(THRESHOLDS))}"
            )
        return v

    def merged(
        self,
        *,
        select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        fail_on: str | None = None,
        min_severity: str | None = None,
    ) -> ReviewConfig:
        """This config with command-line ``--select`` / ``--ignore`` / ``--fail-on`` / ``--min-severity``
        applied on top."""
        data = self.model_dump()
        sel = [_check_code(c) for c in select]
        if sel:
            data["select"] = sel
        data["ignore"] = [*self.ignore, *(_check_code(c) for c in ignore)]
        if fail_on is not None:
            data["fail_on"] = fail_on
        if min_severity is not None:
            data["min_severity"] = min_severity
        return ReviewConfig.model_validate(data)


def _check_code(code: str) -> str:
    c = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}\d{0,3}", c):
        raise ValueError(f"{code!r} is not a rule code or prefix (like AV001 or AV)")
    if not any(k.startswith(c) for k in REGISTRY):
        raise ValueError(f"{code!r} matches no rule")
    return c


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(code.startswith(p) for p in patterns)


# ---------------------------------------------------------------------------------------------- loading


def _normalise(table: dict[str, Any]) -> dict[str, Any]:
    """Accept ``per-path-ignores`` and ``per_path_ignores`` alike (keys only; globs stay as written)."""
    out = {str(k).replace("-", "_"): v for k, v in table.items()}
    if isinstance(out.get("thresholds"), dict):
        out["thresholds"] = {str(k).replace("-", "_"): v for k, v in out["thresholds"].items()}
    return out


def _key_line(text: str, key: str) -> int | None:
    """The first line of ``text`` that assigns ``key`` (either spelling), for error messages."""
    variants = {key, key.replace("_", "-")}
    for i, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip().strip('"').strip("'")
        for v in variants:
            if re.match(rf'^"?{re.escape(v)}"?\s*=', stripped) or stripped.startswith(f"[{v}]"):
                return i
            if stripped.endswith(f".{v}]"):
                return i
    return None


def parse_config(text: str, file: str, *, pyproject: bool) -> ReviewConfig | None:
    """Parse config text. ``None`` when a pyproject.toml has no ``[tool.redline]`` table."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+)", str(exc))
        raise ConfigError(f"invalid TOML: {exc}", file, int(m.group(1)) if m else None) from exc
    top: Any = doc.get("tool", {}).get("redline") if pyproject else doc
    if top is None:
        return None
    if not isinstance(top, dict):
        raise ConfigError("[tool.redline] must be a TOML table", file, _key_line(text, "redline"))
    table = top.get("review", {})
    if not isinstance(table, dict):
        raise ConfigError("the review table must be a TOML table", file, _key_line(text, "review"))
    data = _normalise(table)
    allow = top.get("allow_skipped", top.get("allow-skipped"))
    if allow is not None:
        if not isinstance(allow, bool):
            raise ConfigError(
                f"allow_skipped: expected true or false, got {allow!r}",
                file,
                _key_line(text, "allow_skipped"),
            )
        data.setdefault("allow_skipped", allow)
    try:
        cfg = ReviewConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else "review"
        loc = ".".join(str(x) for x in err["loc"])
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ConfigError(f"review.{loc}: {msg}", file, _key_line(text, key)) from exc
    return cfg.model_copy(update={"source": file})


def load_config(root: str | Path, explicit: str | Path | None = None) -> ReviewConfig:
    """The review configuration for a scan of ``root``: ``explicit`` if given, else ``redline.toml``, else
    ``pyproject.toml``'s ``[tool.redline]``, else the defaults."""
    if explicit is not None:
        path = Path(explicit)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config: {exc.strerror or exc}", str(path)) from exc
        cfg = parse_config(text, str(path), pyproject=path.name == "pyproject.toml")
        if cfg is None:
            raise ConfigError("no [tool.redline] table", str(path))
        return cfg
    base = Path(root)
    if base.is_file():
        base = base.parent
    for name, pyproject in (("redline.toml", False), ("pyproject.toml", True)):
        p = base / name
        if p.is_file():
            cfg = parse_config(p.read_text(encoding="utf-8"), str(p), pyproject=pyproject)
            if cfg is not None:
                return cfg
    return ReviewConfig()


# ---------------------------------------------------------------------------------------------- report


class Report(BaseModel):
    """The result of one review: findings worst first, counts, and what ran.

    ``findings`` are what counts for the gate: with a baseline, only the new ones (those it held are in
    ``baselined``). ``min_severity`` only narrows what reports show (:meth:`shown`); ``summary`` and the
    gate count every finding.
    """

    model_config = ConfigDict(extra="forbid")

    findings: list[Finding] = Field(default_factory=list)
    summary: dict[str, int] = Field(default_factory=dict)  # severity -> count, every severity present
    rules_run: list[str] = Field(default_factory=list)
    suppressed: list[Finding] = Field(default_factory=list)
    baselined: list[Finding] = Field(default_factory=list)  # findings the baseline already held
    baseline: str | None = None  # the baseline file compared with, when one was
    min_severity: Severity | None = None
    errors: list[str] = Field(default_factory=list)  # a rule that crashed: "AV001: KeyError ..."
    entrypoints: list[str] = Field(default_factory=list)
    entrypoints_inferred: bool = False
    fail_on: FailOn = "high"
    skipped: list[Skipped] = Field(default_factory=list)  # what the scan did not read (System.skipped)

    def failed(self, fail_on: str | None = None) -> bool:
        """True when a finding is at or above ``fail_on`` (the report's own threshold by default)."""
        level = fail_on or self.fail_on
        if level == "never":
            return False
        limit = Severity(level)
        return any(f.severity.at_least(limit) for f in self.findings)

    def unfiltered(self) -> Report:
        """This report with every finding the review kept, the baseline's too, and no ``min_severity``:
        what ``--write-baseline`` records."""
        every = sorted([*self.findings, *self.baselined], key=_sort_key)
        return self.model_copy(
            update={
                "findings": every,
                "summary": _counts(every),
                "baselined": [],
                "baseline": None,
                "min_severity": None,
            }
        )

    def shown(self) -> list[Finding]:
        """The findings reports show: those at or above ``min_severity`` (all when it is unset)."""
        limit = self.min_severity
        return [f for f in self.findings if limit is None or f.severity.at_least(limit)]

    def worst_by_component(self) -> dict[str, Severity]:
        out: dict[str, Severity] = {}
        for f in self.findings:
            if f.component and (f.component not in out or f.severity.rank < out[f.component].rank):
                out[f.component] = f.severity
        return out


def _counts(findings: list[Finding]) -> dict[str, int]:
    """Findings per severity, every severity present."""
    summary = {s.value: 0 for s in Severity}
    for f in findings:
        summary[f.severity.value] += 1
    return summary


def _sort_key(f: Finding) -> tuple[int, str, int, str, str]:
    return (f.severity.rank, f.file or "~", f.line or 0, f.rule, f.component or "")


class _Suppressions:
    """Reads suppression comments from the user's files, once per file."""

    def __init__(self, system: System) -> None:
        self.root = Path(system.root)
        self._lines: dict[str, list[str]] = {}
        self._ann: dict[str, set[str]] = {}
        for c in system.components:
            codes = _annotation_codes(c.annotations)
            if codes:
                self._ann[c.name] = codes
        self._obj_ann: dict[tuple[str, int | None], set[str]] = {}
        for o in system.objects:
            codes = _annotation_codes(o.annotations)
            if codes:
                self._obj_ann[(o.source.file, o.source.line)] = codes

    def lines(self, file: str) -> list[str]:
        if file not in self._lines:
            p = Path(file) if Path(file).is_absolute() else self.root / file
            try:
                self._lines[file] = p.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._lines[file] = []
        return self._lines[file]

    def inline(self, f: Finding) -> bool:
        if not f.file or not f.line:
            return False
        lines = self.lines(f.file)
        candidates = []
        if 0 < f.line <= len(lines):
            candidates.append(lines[f.line - 1])
        if 1 < f.line <= len(lines) + 1 and lines[f.line - 2].lstrip().startswith("#"):
            candidates.append(lines[f.line - 2])
        for text in candidates:
            for m in _INLINE.finditer(text):
                codes = m.group("codes")
                if codes is None or _matches(f.rule, _split_codes(codes)):
                    return True
        return False

    def annotation(self, f: Finding) -> bool:
        codes = set(self._ann.get(f.component or "", set())) | self._obj_ann.get(
            (f.file or "", f.line), set()
        )
        return "*" in codes or _matches(f.rule, codes)


def _split_codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.split(",") if c.strip()]


def _annotation_codes(annotations: dict[str, str]) -> set[str]:
    value = annotations.get(ANNOTATION)
    if value is None:
        return set()
    codes = set(_split_codes(value))
    return {"*"} if codes & {"*", "ALL"} else codes


def selected_rules(config: ReviewConfig) -> list[type[Rule]]:
    """The rule classes a config runs, in code order."""
    out = []
    for code in sorted(REGISTRY):
        if config.select and not _matches(code, config.select):
            continue
        if _matches(code, config.ignore):
            continue
        out.append(REGISTRY[code])
    return out


def review(
    system: System,
    config: ReviewConfig | None = None,
    baseline: Baseline | None = None,
    *,
    one_secret_one_finding: bool = True,
) -> Report:
    """Review ``system``: run the selected rules, drop suppressed findings, sort worst first, keep one
    finding per secret value (unless ``one_secret_one_finding`` is false: a fixer wants every place), and
    set aside what ``baseline`` already holds."""
    with paused_gc():  # the scanned model is a large heap: full collector passes over it cost more than rules
        return _review(system, config, baseline, one_secret_one_finding)


def one_per_secret(findings: list[Finding]) -> list[Finding]:
    """Findings with the same ``fingerprint`` (the same secret value) collapse into the first of them in
    ``findings``' order, whose ``evidence`` gains one ``file:line`` entry per other place."""
    first: dict[str, int] = {}
    out: list[Finding] = []
    for f in findings:
        if f.fingerprint is None or f.fingerprint not in first:
            if f.fingerprint is not None:
                first[f.fingerprint] = len(out)
            out.append(f)
            continue
        kept = out[first[f.fingerprint]]
        where = f"{f.file or '?'}" + (f":{f.line}" if f.line else "")
        also = f"{where} the same value ({f.rule} on `{f.component or '-'}`)"
        out[first[f.fingerprint]] = kept.model_copy(update={"evidence": [*kept.evidence, also]})
    return out


def _review(
    system: System, config: ReviewConfig | None, baseline: Baseline | None, one_per_secret_value: bool
) -> Report:
    cfg = config or ReviewConfig()
    ctx = Context(system, thresholds={k: v for k, v in cfg.thresholds.items() if v is not None})
    sup = _Suppressions(system)
    kept: list[Finding] = []
    dropped: list[Finding] = []
    errors: list[str] = []
    seen: set[tuple[str, str | None, str | None, int | None, str]] = set()
    rules = selected_rules(cfg)
    for cls in rules:
        try:
            found = list(cls().check(ctx))
        except Exception as exc:  # one broken rule must not hide every other finding
            errors.append(f"{cls.code}: {type(exc).__name__}: {exc}")
            continue
        for f in found:
            key = (f.rule, f.component, f.file, f.line, f.message)
            if key in seen:
                continue
            seen.add(key)
            if f.rule in cfg.severity:
                f = f.model_copy(update={"severity": cfg.severity[f.rule]})
            path_ignored = f.file is not None and any(
                fnmatch.fnmatchcase(f.file, glob) and _matches(f.rule, codes)
                for glob, codes in cfg.per_path_ignores.items()
            )
            if path_ignored or sup.annotation(f) or sup.inline(f):
                dropped.append(f)
            else:
                kept.append(f)
    kept.sort(key=_sort_key)
    if one_per_secret_value:
        kept = one_per_secret(kept)
    known: list[Finding] = []
    if baseline is not None:
        kept, known = baseline.split(kept)
    return Report(
        findings=kept,
        summary=_counts(kept),
        rules_run=[r.code for r in rules],
        suppressed=sorted(dropped, key=_sort_key),
        baselined=known,
        baseline=baseline.file if baseline is not None else None,
        min_severity=cfg.min_severity,
        errors=errors,
        entrypoints=ctx.entrypoints,
        entrypoints_inferred=ctx.entrypoints_inferred,
        fail_on=cfg.fail_on,
        skipped=list(system.skipped),
    )
