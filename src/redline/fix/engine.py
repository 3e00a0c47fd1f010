"""``redline fix``: write the typed fixes of a review into the user's own files, each one validated first.

The run, in order:

1. scan and review the path (or take the caller's scan of it);
2. collect the fixes of the selected rules: ``advice`` is reported and never applied, ``unsafe`` fixes are
   applied only when asked; a fix whose file belongs to a Helm chart (a folder holding ``Chart.yaml``)
   or lies outside the repository root becomes advice (those files are rendered or owned elsewhere);
   a fix whose edits overlap an earlier fix's on the same path is rejected, not merged;
3. in a temporary copy of the scanned tree, apply the fixes and check every changed file: it parses, its
   changed Kubernetes objects validate against the Kubernetes API schema and a Compose file against the
   Compose Specification's schema (only problems the edit introduced count); a fix that fails is rejected
   alone (the file is rebuilt without it, fix by fix when several share the file);
4. re-scan and re-review the copy: the components must be the same and no file newly unread, each fixed
   finding must be gone and no new finding may appear. When the batch fails, the fixes the failure
   points at (the finding that stayed, the only suspect of a new finding: the fixes of its component
   and of its rule in its file) are rejected and the rest re-tried; when nothing points at one fix, the
   suspects of every failure are split at once (by a rule already seen causing the same finding, else by
   halving the rules, else the suspects) and each part settled on its own, so one bad fix costs only
   itself and failures on different components are bisected side by side (:meth:`_Run._settle`). At
   most :data:`MAX_REVIEWS` re-reviews run; fixes not verified by then are rejected (``review-cap``);
5. try once more each fix rejected only for the findings it made appear, together with the fixes of
   those findings when they may be applied (:meth:`_Run._together`): a cascade (runAsNonRoot wakes the
   allowPrivilegeEscalation rule) is then fixed whole, and the review after the run has neither finding;
6. write the accepted changes into the real files (each written to a temporary file beside it, then
   renamed over it, after every temporary file was written), or, with ``diff``, only return the diffs.

New objects (a PodDisruptionBudget, a NetworkPolicy) go into a new file beside the workload's file (and
into the ``resources`` of the kustomization that lists that file), or are appended to the workload's own
file (``new_objects=NewObjects.APPEND``).
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import hashlib
import os
import re
import shutil
import stat
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from redline.fix import validate as schema
from redline.fix.apply import EditError, SourceText, YamlFile
from redline.fix.edits import DocRef, Edit, Fix, Op, Safety, path_text
from redline.fix.result import (
    FileChange,
    FindingRef,
    FixRecord,
    FixResult,
    Outcome,
    Reason,
    RuleCounts,
    Totals,
)
from redline.model import System
from redline.model.secrets import STARS, mask_text, mask_tree
from redline.review.engine import Report, ReviewConfig, review
from redline.review.rule import REGISTRY, Finding
from redline.sources import kustomize
from redline.sources.diagnostics import Collector
from redline.sources.discover import PRUNE_DIRS
from redline.sources.scan import ScanError, find_repo_root, scan
from redline.sources.yamlio import YamlError, load_documents

#: Re-reviews one run may spend verifying fixes (each is a scan and a review of the copy). A batch that
#: passes costs one; each failure that points at its fixes costs one more; bisection costs two per level.
MAX_REVIEWS = 40
#: Files copied into the temporary tree (hard links where the file system allows them).
MAX_COPY_FILES = 100_000

Progress = Callable[[str, int, int], None]


class NewObjects(StrEnum):
    """Where a new object goes: a new file beside the workload's file, or appended to that file."""

    BESIDE = "beside"
    APPEND = "append"


class FixError(Exception):
    """A run that cannot be made: the path cannot be scanned, an option is wrong, the schemas are not
    installed, or a file cannot be written. The message says what to do."""


# ------------------------------------------------------------------------------------------ public API


def fix(
    path: str | Path,
    *,
    select: Sequence[str] = (),
    unsafe: bool = False,
    diff: bool = False,
    new_objects: NewObjects = NewObjects.BESIDE,
    root: str | Path | None = None,
    config: ReviewConfig | None = None,
    kubernetes_version: str = schema.DEFAULT_KUBERNETES_VERSION,
    overlay: str | Path | None = None,
    helm_values: Sequence[str | Path] = (),
    helm_set: Sequence[str] = (),
    system: System | None = None,
    progress: Progress | None = None,
    max_reviews: int = MAX_REVIEWS,
) -> FixResult:
    """Apply the fixes of the findings of ``path`` (rules ``select``, codes or prefixes; all when empty).

    ``unsafe`` applies unsafe fixes too; ``diff`` writes nothing and returns the diffs. ``root`` is the
    repository root (default: the nearest folder above ``path`` holding ``.git``, else ``path``): files
    outside it are never edited. ``config`` is the review configuration (rules run, ignores, thresholds).
    ``system`` is a scan of ``path`` made with the same ``root``, ``overlay`` and Helm options, when the
    caller has one. ``progress(stage, done, total)`` is called as the run goes. Raises :class:`FixError`.
    """
    codes = _codes(select)
    scanned = Path(path).resolve()
    settings = _ScanSettings(
        overlay=Path(overlay).resolve() if overlay is not None else None,
        helm_values=tuple(Path(v).resolve() for v in helm_values),
        helm_set=tuple(helm_set),
    )
    if system is None:
        system = _scan(scanned, root, settings)
    cfg = config or ReviewConfig()
    if progress is not None:
        progress("review", 0, 1)
    before = review(system, cfg, one_secret_one_finding=False)  # every place of a secret gets its fix
    run = _Run(
        system=system,
        before=before,
        config=cfg,
        scanned=scanned,
        repo_root=_repo_root(scanned, root),
        settings=settings,
        options=_Options(codes, unsafe, diff, new_objects, kubernetes_version, max(1, max_reviews)),
        progress=progress,
    )
    return run.go()


def _codes(select: Sequence[str]) -> list[str]:
    try:
        return ReviewConfig(select=[c for c in select if c.strip()]).select
    except ValidationError as exc:
        msg = str(exc.errors()[0].get("msg", "invalid rule code")).removeprefix("Value error, ")
        raise FixError(f"--select: {msg}") from None


def _scan(scanned: Path, root: str | Path | None, settings: _ScanSettings) -> System:
    try:
        return scan(
            scanned,
            repo_root=root,
            overlay=settings.overlay,
            helm_values=settings.helm_values,
            helm_set=settings.helm_set,
        )
    except ScanError as exc:
        raise FixError(str(exc)) from exc


def _repo_root(scanned: Path, root: str | Path | None) -> Path:
    if root is not None:
        return Path(root).resolve()
    start = scanned if scanned.is_dir() else scanned.parent
    return find_repo_root(start) or start


@dataclass(frozen=True)
class _ScanSettings:
    overlay: Path | None = None
    helm_values: tuple[Path, ...] = ()
    helm_set: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Options:
    codes: list[str]
    unsafe: bool
    diff: bool
    new_objects: NewObjects
    kubernetes_version: str
    max_reviews: int


# ------------------------------------------------------------------------------------------ candidates


@dataclass
class _Slot:
    """One finding of a selected rule, and what becomes of its fix."""

    finding: Finding
    outcome: Outcome | None = None
    reason: Reason | None = None
    detail: str | None = None
    files: list[str] = field(default_factory=list)

    def settle(self, outcome: Outcome, reason: Reason | None = None, detail: str | None = None) -> None:
        self.outcome, self.reason, self.detail = outcome, reason, detail


@dataclass
class _Candidate:
    """A fix to try: its edits grouped by file, and the documents it appends to files."""

    id: int  # index of its slot
    finding: Finding
    edits: dict[str, list[Edit]] = field(default_factory=dict)
    appends: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (file, document)
    joint: bool = False  # tried again with the fixes of the findings it caused (see _Run._together)

    @property
    def key(self) -> tuple[int, bool]:
        """Its identity in caches: a joint fix differs from the fix alone, under the same slot."""
        return (self.id, self.joint)

    @property
    def files(self) -> list[str]:
        return sorted({*self.edits, *(f for f, _ in self.appends)})


def _exact(f: Finding) -> tuple[str, str | None, str | None, str]:
    """A finding's identity across two reviews (lines move when an edit adds lines above them)."""
    return (f.rule, f.component, f.file, f.message)


def _loose(f: Finding) -> tuple[str, str | None, str | None]:
    return (f.rule, f.component, f.file)


def _selected(code: str, codes: list[str]) -> bool:
    return not codes or any(code.startswith(c) for c in codes)


def _fixable(f: Finding, codes: list[str]) -> bool:
    return _selected(f.rule, codes) and f.fix.applicable


# ------------------------------------------------------------------------------------------ the files


class _Originals:
    """The user's files as they were read, decoded once each (None: no such file)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._cache: dict[str, SourceText | None] = {}

    def get(self, rel: str) -> SourceText | None:
        if rel not in self._cache:
            p = self.base / rel
            try:
                self._cache[rel] = SourceText.decode(p.read_bytes()) if p.is_file() else None
            except (OSError, UnicodeDecodeError) as exc:
                raise EditError(f"{rel}: cannot be read as UTF-8 text ({exc})") from exc
        return self._cache[rel]

    def text(self, rel: str) -> str:
        src = self.get(rel)
        return src.text if src is not None else ""


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` (hard links where possible: files in the copy are only ever replaced by
    renaming a new file over them, never written in place). Special files and PRUNE_DIRS are left out."""
    count = 0

    def ignore(_folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n in PRUNE_DIRS]

    def link_or_copy(s: str, d: str) -> None:
        nonlocal count
        count += 1
        if count > MAX_COPY_FILES:
            raise FixError(f"{src} holds more than {MAX_COPY_FILES} files: too many to copy for validation")
        if not stat.S_ISREG(os.lstat(s).st_mode):
            return
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)

    try:
        shutil.copytree(src, dst, symlinks=True, ignore=ignore, copy_function=link_or_copy)
    except shutil.Error as exc:
        raise FixError(f"cannot copy {src} to validate the fixes: {exc.args[0][0][2]}") from exc
    except OSError as exc:
        raise FixError(f"cannot copy {src} to validate the fixes: {exc.strerror or exc}") from exc


def _write_atomic(target: Path, data: bytes, mode: int | None) -> Path:
    """Write ``data`` to a temporary file beside ``target``; return it (renamed over ``target`` later)."""
    tmp = target.with_name(f".{target.name}.redline-fix.tmp")
    tmp.write_bytes(data)
    if mode is not None:
        os.chmod(tmp, stat.S_IMODE(mode))
    return tmp


class _HelmRenders:
    """Helm charts rendered once per run: a fix never edits a chart (its files are refused), so each
    re-scan of the copy would render every chart again to the same output, in a child process, at about
    a second a chart. Renders are kept by the content of the chart as prepared, its values files and
    ``--set`` values; what a render reported (a warning, a skip) is reported again on each re-scan."""

    def __init__(self) -> None:
        self._done: dict[tuple[Any, ...], tuple[Any, list[Any], list[Any]]] = {}
        self._render: Callable[..., Any] | None = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        from redline.sources import helm

        self._render, helm.render = helm.render, self._call
        try:
            yield
        finally:
            helm.render = self._render

    def _call(
        self,
        chart: Path,
        rel: str,
        values: tuple[Path, ...],
        sets: tuple[str, ...],
        engine: str,
        out: Collector,
        subcharts: Mapping[str, str] | None = None,
    ) -> Any:
        assert self._render is not None
        key = (
            _digest(chart),
            rel,
            tuple(_digest(v) for v in values),
            sets,
            engine,
            tuple(sorted((subcharts or {}).items())),
        )
        if key not in self._done:
            skips, warns = len(out.skipped), len(out.warnings)
            result = self._render(chart, rel, values, sets, engine, out, subcharts)
            self._done[key] = (copy.deepcopy(result), out.skipped[skips:], out.warnings[warns:])
            return result
        result, skipped, warnings = self._done[key]
        out.skipped += [s.model_copy() for s in skipped]
        out.warnings += [w.model_copy() for w in warnings]
        return copy.deepcopy(result)


def _digest(path: Path) -> str:
    """A digest of a file, or of every file under a folder (names and contents)."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        h.update(p.relative_to(path).as_posix().encode() if path.is_dir() else b"")
        h.update(b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


class _Workspace:
    """A temporary copy of the scanned tree, where fixes are applied, re-scanned and re-reviewed."""

    def __init__(self, base: Path, scanned: Path, settings: _ScanSettings, originals: _Originals) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="redline-fix-")
        self.tree = Path(self._dir.name) / "tree"
        _copy_tree(base, self.tree)
        self.base = base
        if not scanned.is_relative_to(base):
            self.close()
            raise FixError(f"{scanned} is not inside the scanned root {base}: pass the scan of this path")
        self.target = self.tree / scanned.relative_to(base)
        self.settings = settings
        self.originals = originals
        self.shown: dict[str, str] = {}  # files of the copy that differ from the original, and their text
        self.helm = _HelmRenders()

    def close(self) -> None:
        self._dir.cleanup()

    def _in_copy(self, p: Path | None) -> Path | None:
        if p is not None and p.is_relative_to(self.base):
            return self.tree / p.relative_to(self.base)
        return p

    def show(self, texts: dict[str, str]) -> None:
        """Make the copy hold ``texts`` (relative path -> text) and the original text everywhere else."""
        for rel in set(self.shown) - set(texts):
            src = self.originals.get(rel)
            p = self.tree / rel
            if src is None:
                p.unlink(missing_ok=True)
            else:
                os.replace(_write_atomic(p, src.encode(src.text), None), p)
        for rel, text in texts.items():
            if self.shown.get(rel) == text:
                continue
            p = self.tree / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            src = self.originals.get(rel) or SourceText(text="")
            os.replace(_write_atomic(p, src.encode(text), None), p)
        self.shown = dict(texts)

    def review(self, config: ReviewConfig) -> tuple[System, Report]:
        overlay = self._in_copy(self.settings.overlay)
        values = [v for v in (self._in_copy(p) for p in self.settings.helm_values) if v is not None]
        with self.helm.installed():
            system = scan(
                self.target,
                repo_root=self.tree,
                overlay=overlay,
                helm_values=values,
                helm_set=self.settings.helm_set,
            )
        return system, review(system, config, one_secret_one_finding=False)


# ------------------------------------------------------------------------------------------ building


@dataclass
class _Built:
    """The files a set of fixes changes, and the fixes that failed on the way."""

    texts: dict[str, str] = field(default_factory=dict)
    holders: dict[str, list[int]] = field(default_factory=dict)  # file -> ids of fixes that edit it
    failed: dict[int, tuple[Reason, str]] = field(default_factory=dict)


class _Builder:
    """Applies fixes to the original texts in memory and checks every changed file."""

    def __init__(self, originals: _Originals, platforms: dict[str, str], version: str) -> None:
        self.originals = originals
        self.platforms = platforms  # file -> "kubernetes" or "compose"
        self.version = version
        self._before: dict[str, list[Any]] = {}
        self._problems_before: dict[str, dict[int, set[schema.SchemaProblem]]] = {}
        self._memo: dict[
            tuple[str, tuple[tuple[int, bool], ...]], tuple[str | None, dict[int, tuple[Reason, str]]]
        ] = {}
        self._trees: dict[str, dict[int, Any]] = {}  # parsed original documents, copied for each build

    def build(self, cands: list[_Candidate]) -> _Built:
        """The files ``cands`` change, file by file; a fix that fails on one file is dropped from all
        of them and the files it touched are built again. Each file's result is kept per list of fixes
        applied to it, so a later trial rebuilds only the files whose fixes differ."""
        failed: dict[int, tuple[Reason, str]] = {}
        while True:
            per_file: dict[str, list[_Candidate]] = defaultdict(list)
            for c in cands:
                if c.id not in failed:
                    for rel in c.files:
                        per_file[rel].append(c)
            built = _Built(failed=failed)
            bad: dict[int, tuple[Reason, str]] = {}
            for rel, holders in per_file.items():
                key = (rel, tuple(c.key for c in holders))
                if key not in self._memo:
                    self._memo[key] = self._file(rel, holders)
                text, errors = self._memo[key]
                bad.update(errors)
                if text is not None:
                    built.texts[rel] = text
                    built.holders[rel] = [c.id for c in holders]
            if not bad:
                return built
            failed.update(bad)

    def _file(self, rel: str, holders: list[_Candidate]) -> tuple[str | None, dict[int, tuple[Reason, str]]]:
        """The text of ``rel`` with the fixes of ``holders`` applied (None when it does not change), or
        the fixes that fail on it: the first edit that cannot be made, or those the checks blame."""
        try:
            yf = self._parse(rel)
        except EditError as exc:  # the file cannot be read as text: no fix on it can be made
            return None, {c.id: (Reason.EDIT_ERROR, str(exc)) for c in holders}
        for c in holders:
            try:
                self._apply(c, {rel: yf}, only=rel)
            except EditError as exc:
                return None, {c.id: (Reason.EDIT_ERROR, str(exc))}
        text = yf.render()
        if text == self.originals.text(rel) and self.originals.get(rel) is not None:
            return None, {}
        found = self.problems(rel, text)
        if found:  # blamed fix by fix; a failure no single fix explains costs the last fix on the file
            return None, self._blame(rel, holders) or {holders[-1].id: found[0]}
        return text, {}

    def _parse(self, rel: str) -> YamlFile:
        return YamlFile.parse(self.originals.text(rel), self._trees.setdefault(rel, {}))

    def _apply(self, c: _Candidate, files: dict[str, YamlFile], only: str | None = None) -> None:
        for rel, edits in c.edits.items():
            if only is None or rel == only:
                yf = files.get(rel) or files.setdefault(rel, self._parse(rel))
                for e in edits:
                    yf.apply(e)
        for rel, doc in c.appends:
            if only is None or rel == only:
                yf = files.get(rel) or files.setdefault(rel, self._parse(rel))
                yf.append(doc)

    def _blame(self, rel: str, holders: list[_Candidate]) -> dict[int, tuple[Reason, str]]:
        """Which of the fixes on ``rel`` make it fail its checks: applied one at a time, each checked."""
        good = self.originals.text(rel)
        out: dict[int, tuple[Reason, str]] = {}
        for c in holders:
            files = {rel: YamlFile.parse(good)}
            try:
                self._apply(c, files, only=rel)
            except EditError as exc:
                out[c.id] = (Reason.EDIT_ERROR, str(exc))
                continue
            text = files[rel].render()
            found = self.problems(rel, text)
            if found:
                out[c.id] = found[0]
            else:
                good = text
        return out

    # ---------------------------------------------------------------------------------- checks

    def _docs_before(self, rel: str) -> list[Any]:
        if rel not in self._before:
            try:
                self._before[rel] = list(load_documents(self.originals.text(rel)))
            except YamlError:
                self._before[rel] = []
        return self._before[rel]

    def problems(self, rel: str, text: str) -> list[tuple[Reason, str]]:
        """What is wrong with ``text`` as the new content of ``rel`` that was not wrong before."""
        try:
            after = list(load_documents(text))
        except YamlError as exc:
            at = f"{rel}:{exc.line}" if exc.line else rel
            return [(Reason.PARSE_ERROR, f"{at}: the edited file does not parse: {exc.message}")]
        compose = self.platforms.get(rel) == "compose"
        known = self._problems_before.setdefault(rel, {})
        found = schema.introduced(
            self._docs_before(rel), after, compose=compose, version=self.version, known=known
        )
        what = "Compose Specification" if compose else f"Kubernetes {self.version}"
        return [(Reason.SCHEMA_ERROR, f"{rel}: {p} ({what} schema)") for p in found]


# ------------------------------------------------------------------------------------------ judging


@dataclass(frozen=True)
class _Failure:
    """What failed in a re-review, in words, and the fixes that may have caused it."""

    reason: Reason
    detail: str
    suspects: frozenset[int]
    rule: str | None = None  # the rule of a new finding
    finding: Finding | None = None  # the new finding


@dataclass
class _Verdict:
    """What a re-review of a set of fixes says."""

    ok: bool
    blamed: dict[int, tuple[Reason, str]] = field(default_factory=dict)  # a finding that stayed
    failures: list[_Failure] = field(default_factory=list)  # everything else that went wrong
    report: Report | None = None


def _judge(before: tuple[System, Report], after: tuple[System, Report], cands: list[_Candidate]) -> _Verdict:
    sys0, rep0 = before
    sys1, rep1 = after
    by_file: dict[str, set[int]] = defaultdict(set)
    by_component: dict[str | None, set[int]] = defaultdict(set)
    for c in cands:
        for rel in c.files:
            by_file[rel].add(c.id)
        by_component[c.finding.component].add(c.id)
    failures = _changed_components(sys0, sys1, by_file)
    exact1 = {_exact(f) for f in rep1.findings}
    blamed: dict[int, tuple[Reason, str]] = {}
    for c in cands:
        if _exact(c.finding) in exact1:
            f = c.finding
            blamed[c.id] = (Reason.NOT_GONE, f"the re-review still reports {f.rule} on {f.component}")
    failures += _new_findings(rep0, rep1, cands, by_file, by_component)
    return _Verdict(ok=not failures and not blamed, blamed=blamed, failures=failures, report=rep1)


def _changed_components(sys0: System, sys1: System, by_file: dict[str, set[int]]) -> list[_Failure]:
    out: list[_Failure] = []
    names0 = {c.name: c for c in sys0.components}
    names1 = {c.name: c for c in sys1.components}
    gone, added = sorted(set(names0) - set(names1)), sorted(set(names1) - set(names0))
    if gone or added:
        files = {names0[n].source.file for n in gone} | {names1[n].source.file for n in added}
        suspects = set().union(*(by_file.get(f, set()) for f in files))
        parts = ([f"no longer reads {', '.join(gone)}"] if gone else []) + (
            [f"now reads {', '.join(added)}"] if added else []
        )
        out.append(
            _Failure(Reason.COMPONENTS_CHANGED, "the re-scan " + " and ".join(parts), frozenset(suspects))
        )
    skipped0 = {(s.file, s.kind) for s in sys0.skipped if s.kind.gates}
    for s in sys1.skipped:
        if s.kind.gates and (s.file, s.kind) not in skipped0:
            detail = f"the re-scan does not read {s.file}: {s.reason}"
            out.append(_Failure(Reason.COMPONENTS_CHANGED, detail, frozenset(by_file.get(s.file, set()))))
    return out


def _new_findings(
    rep0: Report,
    rep1: Report,
    cands: list[_Candidate],
    by_file: dict[str, set[int]],
    by_component: dict[str | None, set[int]],
) -> list[_Failure]:
    """Findings after that were not there before: by (rule, component, file), more than were before
    less those the fixes removed; a finding whose message alone changed is not new."""
    loose0 = Counter(_loose(f) for f in rep0.findings)
    expected_gone = Counter(_loose(c.finding) for c in cands)
    exact0 = {_exact(f) for f in rep0.findings}
    surplus = Counter(_loose(f) for f in rep1.findings)
    for key, n in loose0.items():
        surplus[key] -= n - expected_gone.get(key, 0)
    out: list[_Failure] = []
    for f in sorted(rep1.findings, key=lambda f: _exact(f) in exact0):  # those unseen before first
        key = _loose(f)
        if surplus[key] <= 0:
            continue
        surplus[key] -= 1
        at = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "-")
        detail = f"new finding {f.rule} at {at}: {f.message}"
        # the fixes of its component, and the fixes for the same rule in its file (a finding that came
        # back changed, or split in several); none of these: the fixes of its file, else every fix
        same = {c.id for c in cands if c.finding.rule == f.rule and c.finding.file == f.file}
        suspects = same | by_component.get(f.component, set()) or by_file.get(f.file or "", set())
        out.append(_Failure(Reason.NEW_FINDING, detail, frozenset(suspects), f.rule, f))
    return out


# ------------------------------------------------------------------------------------------ the run


@dataclass
class _Run:
    system: System
    before: Report
    config: ReviewConfig
    scanned: Path
    repo_root: Path
    settings: _ScanSettings
    options: _Options
    progress: Progress | None
    slots: list[_Slot] = field(default_factory=list)
    reviews: int = 0
    learned: set[tuple[str, str]] = field(default_factory=set)  # (fix rule, rule of the new finding)
    caused: dict[int, list[Finding]] = field(default_factory=dict)  # fix -> the new findings it caused
    companions: dict[int, list[Finding]] = field(default_factory=dict)  # fix -> findings fixed with it
    _passed: dict[frozenset[tuple[int, bool]], tuple[Report, _Built]] = field(default_factory=dict)

    def go(self) -> FixResult:
        base = Path(self.system.root).resolve()
        originals = _Originals(base)
        self.slots = [_Slot(f) for f in self.before.findings if _selected(f.rule, self.options.codes)]
        cands = self._candidates(base, originals)
        platforms: dict[str, str] = {
            rel: e.doc.platform for c in cands for rel, es in c.edits.items() for e in es
        }
        version = self._version(cands, platforms)
        builder = _Builder(originals, platforms, version)
        final_report, built = self.before, _Built()
        if cands:
            ws = _Workspace(base, self.scanned, self.settings, originals)
            try:
                accepted = self._settle(ws, builder, [], cands)
                again = self._together(base, accepted)
                accepted += self._settle(ws, builder, accepted, again)
                final_report, built = self._final(ws, builder, accepted)
            finally:
                ws.close()
        files = self._changes(originals, built)
        if not self.options.diff and files:
            _write(base, originals, built.texts)
        return self._result(base, version, files, final_report)

    # ---------------------------------------------------------------------------------- collecting

    def _version(self, cands: list[_Candidate], platforms: dict[str, str]) -> str:
        k8s = [c for c in cands if any(platforms.get(f, "kubernetes") == "kubernetes" for f in c.files)]
        try:
            return schema.kubernetes_version(self.options.kubernetes_version)
        except schema.ValidatorMissing as exc:
            if k8s:
                raise FixError(str(exc)) from exc
            return self.options.kubernetes_version
        except schema.UnsupportedVersion as exc:
            raise FixError(str(exc)) from exc

    def _candidates(self, base: Path, originals: _Originals) -> list[_Candidate]:
        out: list[_Candidate] = []
        taken: list[tuple[_Candidate, Edit]] = []
        for i, slot in enumerate(self.slots):
            fx = slot.finding.fix
            if not fx.applicable:
                slot.settle(Outcome.ADVICE, Reason.ADVICE_ONLY, fx.advice)
                continue
            if fx.safety is Safety.UNSAFE and not self.options.unsafe:
                slot.settle(Outcome.SKIPPED_UNSAFE, None, "unsafe: pass --unsafe-fixes to apply it")
                continue
            cand = self._plan(i, slot, base, originals)
            if cand is None:
                continue
            clash = _conflict(cand, taken, out, self.slots)
            if clash is not None:
                slot.settle(Outcome.REJECTED, Reason.CONFLICT, clash)
                continue
            taken += [(cand, e) for es in cand.edits.values() for e in es]
            out.append(cand)
        return out

    def _plan(
        self, i: int, slot: _Slot, base: Path, originals: _Originals, fx: Fix | None = None
    ) -> _Candidate | None:
        fx = fx or slot.finding.fix
        cand = _Candidate(id=i, finding=slot.finding)
        for e in fx.edits:
            cand.edits.setdefault(e.doc.file, []).append(e)
        for n in fx.creates:
            if n.beside.platform != "kubernetes":
                why = f"{n.describe()}: only a Kubernetes workload can have objects beside it"
                slot.settle(Outcome.REJECTED, Reason.EDIT_ERROR, why)
                return None
            if self.options.new_objects is NewObjects.APPEND:
                cand.appends.append((n.beside.file, n.document))
                continue
            target = (PurePosixPath(n.beside.file).parent / n.file_name).as_posix()
            cand.appends.append((target, n.document))
            listing = _listing_kustomization(base, n.beside.file)
            if listing is not None and not (base / target).exists():
                kust, entry = listing(target)
                ref = DocRef(file=kust, platform="kubernetes")
                add = Edit(doc=ref, op=Op.ADD, path=("resources",), value=entry)
                cand.edits.setdefault(kust, []).append(add)
        slot.files = cand.files
        refusal = self._refusal(base, cand.files, fx, originals)
        if refusal is not None:
            outcome, reason, detail = refusal
            slot.settle(outcome, reason, detail)
            return None
        return cand

    def _refusal(
        self, base: Path, files: list[str], fx: Fix, originals: _Originals
    ) -> tuple[Outcome, Reason, str] | None:
        root = self.repo_root.resolve()
        for rel in files:
            p = base / rel
            if not p.resolve().is_relative_to(root):
                return (
                    Outcome.ADVICE,
                    Reason.OUTSIDE_ROOT,
                    (
                        f"{rel} lies outside the repository root: never edited; make the change "
                        "where the file is maintained"
                    ),
                )
            chart = _chart_of(p, base)
            if chart is not None:
                return (
                    Outcome.ADVICE,
                    Reason.HELM_TEMPLATE,
                    (
                        f"{rel} belongs to the Helm chart {chart}: templates are rendered, not "
                        "edited; set the chart's values (or change the template) instead"
                    ),
                )
        for rel in {e.doc.file for e in fx.edits}:
            try:
                missing = originals.get(rel) is None
            except EditError as exc:
                return Outcome.REJECTED, Reason.EDIT_ERROR, str(exc)
            if missing:
                return Outcome.REJECTED, Reason.EDIT_ERROR, f"{rel}: no such file"
        return None

    # ---------------------------------------------------------------------------------- verifying

    def _trial(self, ws: _Workspace, builder: _Builder, cands: list[_Candidate]) -> tuple[_Verdict, _Built]:
        built = builder.build(cands)  # in settling order: what passed before is applied first, as then
        for cid, (reason, detail) in built.failed.items():
            self.slots[cid].settle(Outcome.REJECTED, reason, detail)
        live = [c for c in cands if c.id not in built.failed]
        key = frozenset(c.key for c in live)
        if key in self._passed:
            return _Verdict(ok=True, report=self._passed[key][0]), built
        try:
            ws.show(built.texts)
        except OSError as exc:
            raise FixError(f"cannot write the temporary copy: {exc.strerror or exc}") from exc
        self.reviews += 1
        if self.progress is not None:
            self.progress("verify", self.reviews, self.options.max_reviews)
        verdict = _judge((self.system, self.before), ws.review(self.config), live)
        if verdict.ok and verdict.report is not None:
            self._passed[key] = (verdict.report, built)
        return verdict, built

    def _settle(
        self, ws: _Workspace, builder: _Builder, base: list[_Candidate], cands: list[_Candidate]
    ) -> list[_Candidate]:
        """The fixes of ``cands`` that pass every check on top of ``base`` (which passed).

        A failure that points at one fix rejects it. The failures no rejected fix is a suspect of are
        split at once: of every such failure's suspects some are held back (:func:`_held`), so failures
        on different components are bisected side by side; the rest is settled first, then the held
        fixes on top of what passed. Nothing is accepted without a re-review that passed."""
        if not cands:
            return []
        if self.reviews >= self.options.max_reviews:
            cap = f"not verified: the cap of {self.options.max_reviews} re-reviews was reached first"
            for c in cands:
                self.slots[c.id].settle(Outcome.REJECTED, Reason.REVIEW_CAP, cap)
            return []
        verdict, built = self._trial(ws, builder, base + cands)
        cands = [c for c in cands if c.id not in built.failed]
        if verdict.ok:
            return cands
        ids = [c.id for c in cands]
        rules = {c.id: c.finding.rule for c in cands}
        blamed = _blame(verdict, ids, rules, self.learned, self.caused)
        for cid, (reason, detail) in blamed.items():
            self.slots[cid].settle(Outcome.REJECTED, reason, detail)
        cands = [c for c in cands if c.id not in blamed]
        open_ = [f for f in verdict.failures if not f.suspects & blamed.keys()]
        if not cands or (blamed and not open_):  # what is left may pass now: try it whole
            return self._settle(ws, builder, base, cands)
        held = _held(_Verdict(ok=False, failures=open_), cands, self.learned)
        first = [c for c in cands if c.id not in held]
        a = self._settle(ws, builder, base, first)
        return a + self._settle(ws, builder, base + a, [c for c in cands if c.id in held])

    def _together(self, base: Path, accepted: list[_Candidate]) -> list[_Candidate]:
        """A fix rejected only because it makes other findings appear (SE007's runAsNonRoot makes SE008
        fire; an extra replica makes a PodDisruptionBudget due), tried once more together with the fixes
        of those findings, when each of them is allowed (not advice; unsafe only with --unsafe-fixes).
        What then passes leaves the system with its own finding gone and no new one."""
        out: list[_Candidate] = []
        taken = [(c, e) for c in accepted for es in c.edits.values() for e in es]
        for cid, found in sorted(self.caused.items()):
            slot = self.slots[cid]
            fixes = [slot.finding.fix, *(f.fix for f in found)]
            if slot.reason is not Reason.NEW_FINDING or not all(self._allowed(fx) for fx in fixes[1:]):
                continue
            safety = Safety.UNSAFE if any(fx.safety is Safety.UNSAFE for fx in fixes) else Safety.SAFE
            joint = Fix(
                safety=safety,
                title=slot.finding.fix.title,
                edits=[e for fx in fixes for e in fx.edits],
                creates=[n for fx in fixes for n in fx.creates],
            )
            probe = _Slot(slot.finding)  # planned aside: a refusal keeps the first rejection
            cand = self._plan(cid, probe, base, _Originals(base), joint)
            if cand is None or _conflict(cand, taken, accepted + out, self.slots) is not None:
                continue
            cand.joint = True
            slot.outcome, slot.files, self.companions[cid] = None, probe.files, found
            out.append(cand)
        return out

    def _allowed(self, fx: Fix) -> bool:
        return fx.applicable and (fx.safety is Safety.SAFE or self.options.unsafe)

    def _final(self, ws: _Workspace, builder: _Builder, accepted: list[_Candidate]) -> tuple[Report, _Built]:
        """The review and the files of the accepted fixes, from the re-review that passed with exactly
        them (settled again, should a fix have been rejected since); every other candidate without an
        outcome is rejected as not verified."""
        for _ in range(3):
            accepted = [c for c in accepted if self.slots[c.id].outcome is None]
            key = frozenset(c.key for c in accepted)
            if not accepted or key in self._passed:
                break
            accepted = self._settle(ws, builder, [], accepted)
        key = frozenset(c.key for c in accepted)
        report, built = (
            self._passed.get(key, (self.before, _Built())) if accepted else (self.before, _Built())
        )
        done = Outcome.WOULD_APPLY if self.options.diff else Outcome.APPLIED
        for c in accepted if key in self._passed else []:
            with_ = self.companions.get(c.id)
            detail = (
                "together with the fix of " + ", ".join(f"{f.rule} ({f.fix.title})" for f in with_) + ", "
                "for what this fix alone would make the review report"
                if with_
                else None
            )
            self.slots[c.id].settle(done, None, detail)
        for slot in self.slots:
            if slot.outcome is None:
                slot.settle(Outcome.REJECTED, Reason.REVIEW_CAP, "not verified: no re-review passed with it")
        return report, built

    # ---------------------------------------------------------------------------------- results

    def _changes(self, originals: _Originals, built: _Built) -> list[FileChange]:
        out = []
        for rel in sorted(built.texts):
            src = originals.get(rel)
            out.append(
                FileChange(
                    file=rel,
                    created=src is None,
                    diff=unified_diff(rel, src.text if src is not None else None, built.texts[rel]),
                    fixes=[i for i in built.holders.get(rel, []) if self.slots[i].outcome in _DONE],
                )
            )
        return out

    def _result(self, base: Path, version: str, files: list[FileChange], after: Report) -> FixResult:
        records = [
            FixRecord(
                finding=FindingRef.of(s.finding),
                safety=s.finding.fix.safety,
                title=s.finding.fix.title,
                outcome=s.outcome or Outcome.REJECTED,
                reason=s.reason,
                detail=mask_text(s.detail) if s.detail else None,
                files=s.files,
            )
            for s in self.slots
        ]
        totals = Totals(
            applied=sum(r.outcome is Outcome.APPLIED for r in records),
            would_apply=sum(r.outcome is Outcome.WOULD_APPLY for r in records),
            skipped_unsafe=sum(r.outcome is Outcome.SKIPPED_UNSAFE for r in records),
            advice=sum(r.outcome is Outcome.ADVICE for r in records),
            rejected=sum(r.outcome is Outcome.REJECTED for r in records),
        )
        on_disk = self.before if self.options.diff or not files else after
        return FixResult(
            root=str(base),
            diff_only=self.options.diff,
            unsafe=self.options.unsafe,
            new_objects=self.options.new_objects.value,
            kubernetes_version=version,
            fixes=records,
            files=files,
            totals=totals,
            rules=_per_rule(self.before, after, records),
            findings_before=len(self.before.findings),
            findings_after=len(after.findings),
            remaining=sum(_fixable(f, self.options.codes) for f in on_disk.findings),
            reviews=self.reviews,
            max_reviews=self.options.max_reviews,
            skipped=list(self.system.skipped),
        )


_DONE = (Outcome.APPLIED, Outcome.WOULD_APPLY)


def _blame(
    verdict: _Verdict,
    ids: list[int],
    rule: dict[int, str],
    learned: set[tuple[str, str]],
    caused: dict[int, list[Finding]],
) -> dict[int, tuple[Reason, str]]:
    """The fixes among ``ids`` a failed re-review points at: a finding that stayed, or the one suspect of
    a failure (a lone fix is the suspect of every failure). What is learnt on the way goes into
    ``learned`` (rule of the fix, rule of the new finding it caused) and ``caused`` (fix -> the new
    findings it caused)."""
    out = {cid: why for cid, why in verdict.blamed.items() if cid in ids}
    for f in verdict.failures:
        mine = [cid for cid in ids if cid in f.suspects] or ids
        if len(mine) == 1:
            out.setdefault(mine[0], (f.reason, f.detail))
            if f.rule is not None and f.finding is not None:
                learned.add((rule[mine[0]], f.rule))
                caused.setdefault(mine[0], []).append(f.finding)
    return out


def _held(verdict: _Verdict, cands: list[_Candidate], learned: set[tuple[str, str]]) -> set[int]:
    """The fixes held back for the next round. Of every failure's suspects: those of a rule already seen
    to cause a new finding of the failure's rule on another component (one rule's fix tends to fail the
    same way everywhere); else those of the upper half of the rules they belong to; else the second
    half of each. Never all of ``cands`` nor none of them."""
    ids = [c.id for c in cands]
    rule = {c.id: c.finding.rule for c in cands}
    groups = [([cid for cid in ids if cid in f.suspects] or ids, f.rule) for f in verdict.failures]
    held = {cid for g, r in groups for cid in g if (rule[cid], r) in learned and len(g) > 1}
    if not held or len(held) == len(ids):
        rules = sorted({rule[cid] for g, _ in groups for cid in g})
        upper = set(rules[len(rules) // 2 :]) if len(rules) > 1 else set()
        held = {
            cid
            for g, _ in groups
            for cid in (g if upper else g[len(g) // 2 :])
            if not upper or rule[cid] in upper
        }
    if not held or len(held) == len(ids):
        held = set(ids[len(ids) // 2 :])
    return held


def _per_rule(before: Report, after: Report, records: list[FixRecord]) -> dict[str, RuleCounts]:
    """Per rule: its fix's safety, its findings before and after, and what became of its fixes."""
    out: dict[str, RuleCounts] = {}

    def row(code: str) -> RuleCounts:
        if code not in out:
            cls = REGISTRY.get(code)
            out[code] = RuleCounts(safety=cls.fix_safety if cls is not None else Safety.ADVICE)
        return out[code]

    for f in before.findings:
        row(f.rule).before += 1
    for f in after.findings:
        row(f.rule).after += 1
    for r in records:
        counts = row(r.finding.rule)
        if r.outcome in _DONE:
            counts.applied += 1
        elif r.outcome is Outcome.SKIPPED_UNSAFE:
            counts.skipped_unsafe += 1
        elif r.outcome is Outcome.ADVICE:
            counts.advice += 1
        else:
            counts.rejected += 1
    return dict(sorted(out.items()))


# ------------------------------------------------------------------------------------------ helpers


def _overlaps(a: Edit, b: Edit) -> bool:
    """Two edits of one document that cannot both be applied as written: one path is a prefix of the
    other, unless they are the same edit or two additions to the same list."""
    if a.doc != b.doc:
        return False
    n = min(len(a.path), len(b.path))
    if a.path[:n] != b.path[:n]:
        return False
    if a == b:
        return False
    return not (a.op is Op.ADD and b.op is Op.ADD and a.path == b.path)


def _conflict(
    cand: _Candidate, taken: list[tuple[_Candidate, Edit]], earlier: list[_Candidate], slots: list[_Slot]
) -> str | None:
    """Why ``cand`` cannot join the fixes taken before it (an overlapping edit, or a different object of
    the same kind and name written to the same file), or None."""
    for es in cand.edits.values():
        for e in es:
            for other, o in taken:
                if _overlaps(e, o):
                    f = slots[other.id].finding
                    return (
                        f"its edit at {path_text(e.path)} in {e.doc} overlaps the fix of {f.rule} on "
                        f"{f.component} ({path_text(o.path)}): rejected, not merged"
                    )
    for rel, doc in cand.appends:
        for other in earlier:
            for orel, odoc in other.appends:
                if rel == orel and _same_object(doc, odoc) and doc != odoc:
                    f = slots[other.id].finding
                    return (
                        f"it writes a different {doc.get('kind')} of the same name to {rel} as the fix of "
                        f"{f.rule} on {f.component}: rejected, not merged"
                    )
    return None


def _same_object(a: dict[str, Any], b: dict[str, Any]) -> bool:
    name_a = (a.get("metadata") or {}).get("name")
    return a.get("kind") == b.get("kind") and name_a == (b.get("metadata") or {}).get("name")


def _chart_of(p: Path, base: Path) -> str | None:
    """The Helm chart folder ``p`` lies in (one holding Chart.yaml, at or below ``base``), or None."""
    folder = p.parent
    while True:
        if (folder / "Chart.yaml").is_file():
            return folder.relative_to(base).as_posix() if folder.is_relative_to(base) else str(folder)
        if folder == base or folder == folder.parent or not folder.is_relative_to(base):
            return None
        folder = folder.parent


def _listing_kustomization(base: Path, rel: str) -> Callable[[str], tuple[str, str]] | None:
    """When a kustomization in the file's folder (or one above it) lists ``rel`` in its resources: a
    function giving, for a new file, that kustomization and the entry to add to its resources."""
    p = base / rel
    folder = p.parent
    while folder.is_relative_to(base):
        for name in kustomize.KUSTOMIZATION_NAMES:
            k = folder / name
            if k.is_file() and _lists(k, p):
                kfolder = folder

                def entry(target: str, kfolder: Path = kfolder, k: Path = k) -> tuple[str, str]:
                    new = (base / target).relative_to(kfolder).as_posix()
                    return k.relative_to(base).as_posix(), new

                return entry
        if folder == base:
            break
        folder = folder.parent
    return None


def _lists(kust: Path, file: Path) -> bool:
    try:
        docs = list(load_documents(kust.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, YamlError):
        return False
    doc = docs[0] if docs else None
    items = doc.get("resources") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return False
    return any(isinstance(i, str) and (kust.parent / i).resolve() == file.resolve() for i in items)


def _write(base: Path, originals: _Originals, texts: dict[str, str]) -> None:
    """Write every changed file: all to temporary files beside them first, then each renamed over its
    file, so a failure while writing leaves every file as it was."""
    staged: list[tuple[Path, Path]] = []
    for rel, text in texts.items():
        target = (base / rel).resolve()
        src = originals.get(rel)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = target.stat().st_mode if src is not None else None
            staged.append((_write_atomic(target, (src or SourceText(text="")).encode(text), mode), target))
        except OSError as exc:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise FixError(f"cannot write {rel}: {exc.strerror or exc}; no file was changed") from exc
    for i, (tmp, target) in enumerate(staged):
        try:
            os.replace(tmp, target)
        except OSError as exc:  # a rename in the same folder: only a vanished folder or a race gets here
            for rest, _ in staged[i:]:
                rest.unlink(missing_ok=True)
            written = ", ".join(str(t.relative_to(base)) for _, t in staged[:i]) or "none"
            raise FixError(
                f"cannot replace {target}: {exc.strerror or exc}; written before it: {written}"
            ) from exc


_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def unified_diff(rel: str, old: str | None, new: str) -> str:
    """The unified diff of ``rel`` (``old`` None: a new file), secrets masked line by line: a value under
    a credential's name, an env var named like one, ConfigMap and Secret data (as :func:`mask_tree` finds
    them in the YAML), then every secret shape :func:`mask_text` knows."""
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{rel}" if old is not None else "/dev/null",
        tofile=f"b/{rel}",
    )
    secrets = (_secret_lines(old or ""), _secret_lines(new))
    out: list[str] = []
    at = [0, 0]  # the next line number in the old and the new text
    for raw in lines:
        ln = raw if raw.endswith("\n") else raw + "\n"
        m = _HUNK.match(ln)
        if m is not None:
            at = [int(m.group(1)), int(m.group(2))]
        elif ln[:1] in (" ", "-", "+") and not ln.startswith(("--- ", "+++ ")):
            side = 1 if ln[0] == "+" else 0
            for value, shown in secrets[side].get(at[side], []):
                ln = ln.replace(value, shown)
            if ln[0] == " ":
                at = [at[0] + 1, at[1] + 1]
            else:
                at[side] += 1
        out.append(ln)
    return mask_text("".join(out))


def _secret_lines(text: str) -> dict[int, list[tuple[str, str]]]:
    """Line -> the secret values written on it, and their masks."""
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    with contextlib.suppress(YamlError):
        for doc in load_documents(text):
            _collect(doc, mask_tree(doc), None, out)
    return out


def _collect(plain: Any, shown: Any, line: int | None, out: dict[int, list[tuple[str, str]]]) -> None:
    if isinstance(plain, dict) and isinstance(shown, dict):
        lines = getattr(plain, "key_lines", {})
        for k, v in plain.items():
            _collect(v, shown.get(k), lines.get(k, line), out)
    elif isinstance(plain, list) and isinstance(shown, list):
        lines = getattr(plain, "item_lines", [])
        for i, (a, b) in enumerate(zip(plain, shown, strict=False)):
            _collect(a, b, lines[i] if i < len(lines) else line, out)
    elif isinstance(plain, str) and isinstance(shown, str) and plain != shown and line is not None:
        parts = [p for p in plain.splitlines() if p.strip()]
        out[line].append((plain, shown) if len(parts) <= 1 else (parts[0], STARS))
        for i, part in enumerate(parts[1:] if len(parts) > 1 else [], start=1):
            out[line + i].append((part, STARS))  # a block scalar: one line of the value per line


__all__ = ["MAX_REVIEWS", "FixError", "NewObjects", "fix", "unified_diff"]
