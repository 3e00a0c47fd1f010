"""Every MCP tool as a plain, typed function, with its gates; the server (:mod:`.server`) only wires them.

Gates, fixed when the server starts (:class:`ServerOptions`):

* every ``path`` (and ``generate``'s ``out``) must lie inside the server's root (``--root``, default the
  folder it was started in); a path is given relative to it;
* read-only by default: ``fix`` returns diffs and writes only with ``write: true`` on a server started
  with ``--allow-write``; ``generate`` writes (into the folder the client names) only on such a server;
* ``verify`` and ``load`` send requests only on a server started with ``--allow-load``, only to loopback
  addresses (127.0.0.1, ::1, localhost), and each run is bounded: a ``load`` run, and each of ``verify``'s
  runs (at most :data:`MAX_AT` loads, plus 8 search steps when asked, for at most :data:`MAX_TARGETS`
  entry points), lasts at most :data:`MAX_LOAD_S` seconds; ``load`` sends at most :data:`MAX_RATE` per
  second.

A refused or impossible call raises :class:`ToolInputError` (exit code 2 in the history) with a message
that says what to do; results are masked (:func:`redline.model.secrets.masked`) before they leave.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from redline.generate.result import GenerateResult
from redline.history.recorder import Recorder
from redline.mcp import graph
from redline.mcp.result import (
    BlastRadius,
    ComponentView,
    DependentsResult,
    EntrypointView,
    FindingView,
    FixView,
    ForecastView,
    LoadView,
    Page,
    PathsResult,
    ReviewResult,
    RuleView,
    ScanResult,
    SkippedView,
)
from redline.model import Component, System
from redline.review.rule import Finding, Severity
from redline.verify.result import VerifyResult

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_LOAD_S",
    "MAX_RATE",
    "ServerOptions",
    "ToolInputError",
    "Toolbox",
    "page",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: Longest load run (``load``), and longest run at one level (``verify``: duration + warm-up), in seconds.
MAX_LOAD_S = 60.0
#: Highest arrival rate ``load`` may be asked for, per second.
MAX_RATE = 20_000.0
#: Entry points one ``verify`` call may load, and loads (fractions of saturation) per entry point.
MAX_TARGETS = 3
MAX_AT = 5
#: Fixes listed as rejected in a ``fix`` result.
MAX_REJECTED = 50
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})

_T = TypeVar("_T")


class ToolInputError(ValueError):
    """A call the server refuses or cannot answer; the message says what to do."""

    exit_code = 2


@dataclass(frozen=True)
class ServerOptions:
    """What the server may do, fixed when it starts."""

    root: Path
    allow_write: bool = False
    allow_load: bool = False
    record: bool = True  # each tool call appends a run to the history (docs/history.md)


def page(items: Sequence[_T], offset: int, limit: int) -> tuple[list[_T], Page]:
    """One page of ``items`` and where it sits."""
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        raise ToolInputError(f"offset must be 0 or more and limit between 1 and {MAX_LIMIT}")
    return list(items[offset : offset + limit]), Page.of(offset, limit, len(items))


class Toolbox:
    """The tools of one server: each method is one tool, ``rec`` the history record of the call."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.root = options.root.resolve()

    # ------------------------------------------------------------------------------------------ paths

    def resolve(self, path: str, *, must_exist: bool = True) -> Path:
        """``path`` (relative to the root, or absolute inside it) as an absolute path inside the root."""
        given = Path(path).expanduser()
        full = (given if given.is_absolute() else self.root / given).resolve()
        if not full.is_relative_to(self.root):
            raise ToolInputError(f"{path}: outside the server's root {self.root}; give a path inside it")
        if must_exist and not full.exists():
            raise ToolInputError(f"{path}: no such file or folder under the server's root")
        return full

    def target(self, path: str) -> str | None:
        """The absolute path a call is about, for the history (``None`` when it is not usable)."""
        try:
            return str(self.resolve(path, must_exist=False))
        except ToolInputError:
            return None

    def relative(self, full: Path) -> str:
        return full.relative_to(self.root).as_posix() or "."

    def system(self, path: str, rec: Recorder) -> tuple[Path, System]:
        from redline.sources.scan import ScanError, scan

        full = self.resolve(path)
        try:
            system = scan(full, repo_root=self.root)
        except ScanError as exc:
            raise ToolInputError(str(exc)) from None
        if not system.components and not system.objects:
            raise ToolInputError(
                f"{path}: nothing could be read (no Compose, Kubernetes or redline.yaml files)"
            )
        rec.note_system(system)
        return full, system

    # ------------------------------------------------------------------------------------------ read-only

    def scan(self, path: str, offset: int, limit: int, rec: Recorder) -> ScanResult:
        full, system = self.system(path, rec)
        comps, where = page(sorted(system.components, key=lambda c: c.name), offset, limit)
        return ScanResult(
            system=system.name,
            path=self.relative(full),
            files_read=len(system.files),
            entrypoints=[
                EntrypointView(
                    name=e.name, component=e.component, rps=e.rps, inferred=e.inferred, reason=e.reason
                )
                for e in system.entrypoints
            ],
            components=[_component(system, c) for c in comps],
            edges_total=len(system.edges),
            unresolved=len(system.unresolved),
            skipped=_skipped(system),
            page=where,
        )

    def review(
        self,
        path: str,
        select: list[str],
        ignore: list[str],
        min_severity: Severity | None,
        component: str | None,
        offset: int,
        limit: int,
        rec: Recorder,
    ) -> ReviewResult:
        from redline.review.engine import ConfigError, load_config, review

        full = self.resolve(path)
        try:
            cfg = load_config(full).merged(select=select, ignore=ignore)
        except (ConfigError, ValueError) as exc:
            raise ToolInputError(" ".join(str(exc).split())) from None
        _, system = self.system(path, rec)
        report = review(system, cfg)
        rec.note(report)
        only = _answer(lambda: graph.find(system, component).name) if component else None
        kept = [
            f
            for f in report.findings
            if (min_severity is None or f.severity.at_least(min_severity))
            and (only is None or f.component == only)
        ]
        shown, where = page(kept, offset, limit)
        return ReviewResult(
            path=self.relative(full),
            summary={s.value: sum(1 for f in kept if f.severity is s) for s in Severity},
            findings=[_finding(f) for f in shown],
            rules_run=len(report.rules_run),
            entrypoints=report.entrypoints,
            errors=report.errors,
            skipped=_skipped(system),
            page=where,
        )

    def forecast(
        self,
        path: str,
        growth: float | None,
        rps: float | None,
        entrypoints: dict[str, float] | None,
        offset: int,
        limit: int,
        rec: Recorder,
    ) -> ForecastView:
        from redline.forecast import ForecastInputError, forecast

        full, system = self.system(path, rec)
        if growth is not None and rps is not None:
            raise ToolInputError("growth and rps are alternatives: give one")
        try:
            fc = forecast(system, rps=rps, growth=growth, entrypoints=entrypoints or None)
        except ForecastInputError as exc:
            raise ToolInputError("cannot forecast this system: " + "; ".join(exc.problems)) from None
        rec.note(fc)
        comps, where = page(fc.components, offset, limit)
        return ForecastView(
            path=self.relative(full),
            system=fc.system,
            entrypoints=fc.entrypoints,
            components=comps,
            pools=fc.pools,
            availability=fc.availability,
            growth=fc.growth,
            cost=fc.cost,
            assumptions=fc.assumptions,
            warnings=fc.warnings,
            breached=fc.breached,
            breach_reasons=fc.breach_reasons,
            skipped=_skipped(system),
            page=where,
        )

    def explain_rule(self, code: str) -> RuleView:
        from redline.review.docs import parse_doc
        from redline.review.rule import REGISTRY

        key = code.strip().upper()
        cls = REGISTRY.get(key) or next((r for r in REGISTRY.values() if r.name == code.strip()), None)
        if cls is None:
            raise ToolInputError(f"no rule {code!r}: codes look like AV001 (the review's findings name them)")
        doc = parse_doc(cls)
        return RuleView(
            code=doc.code,
            name=doc.name,
            category=doc.category.value,
            severity=doc.severity.value,
            fix_safety=doc.fix_safety.value,
            summary=doc.summary,
            sections=doc.sections,
        )

    def dependents(self, path: str, component: str, rec: Recorder) -> DependentsResult:
        _, system = self.system(path, rec)
        return _answer(lambda: graph.dependents(system, component))

    def blast_radius(self, path: str, component: str, rec: Recorder) -> BlastRadius:
        _, system = self.system(path, rec)
        return _answer(lambda: graph.blast_radius(system, component))

    def paths(self, path: str, entry: str, component: str, limit: int, rec: Recorder) -> PathsResult:
        _, system = self.system(path, rec)
        if not 1 <= limit <= MAX_LIMIT:
            raise ToolInputError(f"limit must lie between 1 and {MAX_LIMIT}")
        return _answer(lambda: graph.call_paths(system, entry, component, limit))

    # ------------------------------------------------------------------------------------------ gated

    def fix(
        self, path: str, select: list[str], unsafe: bool, write: bool, offset: int, limit: int, rec: Recorder
    ) -> FixView:
        from redline.fix.engine import FixError, fix
        from redline.fix.result import Outcome

        if write and not self.options.allow_write:
            raise ToolInputError(
                "this server is read-only: fix writes files only on a server started with `redline mcp "
                "--allow-write`; call fix without write for the diffs"
            )
        full, system = self.system(path, rec)
        try:
            result = fix(full, select=select, unsafe=unsafe, diff=not write, root=self.root, system=system)
        except FixError as exc:
            raise ToolInputError(str(exc)) from None
        rec.note(result)
        files, where = page(result.files, offset, limit)
        return FixView(
            path=self.relative(full),
            written=not result.diff_only,
            totals=result.totals,
            findings_before=result.findings_before,
            findings_after=result.findings_after,
            reviews=result.reviews,
            files=files,
            rejected=[r for r in result.fixes if r.outcome is Outcome.REJECTED][:MAX_REJECTED],
            page=where,
        )

    def generate(self, path: str, out: str, only: list[str], force: bool, rec: Recorder) -> GenerateResult:
        from redline.generate import GenerateInputError, generate
        from redline.generate.engine import ALL, GenerateOptions
        from redline.generate.result import Artifact

        if not self.options.allow_write:
            raise ToolInputError(
                "this server is read-only: generate writes files only on a server started with "
                "`redline mcp --allow-write`"
            )
        target = self.resolve(out, must_exist=False)
        if target == self.root:
            raise ToolInputError("out: name a folder for the generated files, not the server's root itself")
        _, system = self.system(path, rec)
        try:
            kinds = tuple(Artifact(a) for a in only) or ALL
        except ValueError:
            raise ToolInputError(f"only: each one of {', '.join(a.value for a in Artifact)}") from None
        try:
            result = generate(system, target, GenerateOptions(only=kinds, force=force))
        except GenerateInputError as exc:
            raise ToolInputError("; ".join(exc.problems)) from None
        rec.note(result)
        return result.model_copy(update={"out": self.relative(target)})

    def verify(
        self,
        path: str,
        targets: dict[str, str],
        at: Sequence[float],
        duration_s: float,
        warmup_s: float,
        search: bool,
        rec: Recorder,
    ) -> VerifyResult:
        from redline.verify import VerifyError, verify

        self._may_load(targets.values())
        if not 1 <= len(targets) <= MAX_TARGETS or not 1 <= len(at) <= MAX_AT:
            raise ToolInputError(f"give 1 to {MAX_TARGETS} targets and 1 to {MAX_AT} loads (at) per call")
        if duration_s + warmup_s > MAX_LOAD_S:
            raise ToolInputError(f"duration_s + warmup_s must be at most {MAX_LOAD_S:g} s per run")
        _, system = self.system(path, rec)
        try:
            result = verify(
                system, dict(targets), at=tuple(at), duration=duration_s, warmup=warmup_s, search=search
            )
        except VerifyError as exc:
            raise ToolInputError(str(exc)) from None
        rec.note(result)
        return result

    def load(self, url: str, rate: float, duration_s: float, method: str, rec: Recorder) -> LoadView:
        from redline.load import ConfigError, LoadConfig, run

        self._may_load([url])
        if not (math.isfinite(rate) and 0 < rate <= MAX_RATE):
            raise ToolInputError(f"rate must lie in (0, {MAX_RATE:g}] requests per second")
        if not (math.isfinite(duration_s) and 0 < duration_s <= MAX_LOAD_S):
            raise ToolInputError(f"duration_s must lie in (0, {MAX_LOAD_S:g}] seconds")
        cap = math.ceil(rate * duration_s * 1.5) + 10
        config = LoadConfig(
            url=url, method=method, rate=rate, duration=duration_s, max_duration=duration_s, max_requests=cap
        )
        try:
            result = run(config)
        except ConfigError as exc:
            raise ToolInputError(str(exc)) from None
        rec.note(result)
        d = result.data
        return LoadView(
            target=str(d["target"]),
            model=str(d["model"]),
            requests=int(d["requests"]),
            responses=int(d["responses"]),
            errors=int(d["errors"]),
            error_rate=float(d["error_rate"]),
            rps=float(d["rps"]),
            elapsed_s=float(d["elapsed_s"]),
            latency_ms={
                k: v for k, v in d["latency_ms"].items() if k in ("p50", "p90", "p95", "p99", "p999", "max")
            },
            exit_code=result.exit_code,
            messages=list(result.messages),
        )

    def _may_load(self, urls: Iterable[str]) -> None:
        if not self.options.allow_load:
            raise ToolInputError(
                "this server sends no load: verify and load run only on a server started with "
                "`redline mcp --allow-load`"
            )
        for url in urls:
            if not is_loopback(url):
                raise ToolInputError(
                    f"{url}: load goes only to loopback addresses (127.0.0.1, ::1, localhost)"
                )

    # ------------------------------------------------------------------------------------------ resources

    def model_json(self, path: str) -> str:
        from redline.report import scan_json

        _, system = self.system(path, Recorder())
        return scan_json.render(system)

    def review_markdown(self, path: str) -> str:
        from redline.report import review_markdown
        from redline.review.engine import load_config, review

        full, system = self.system(path, Recorder())
        return review_markdown.render(review(system, load_config(full)), system)


def is_loopback(url: str) -> bool:
    """Whether ``url`` is http(s) to a loopback host (an IP in 127.0.0.0/8 or ::1, or ``localhost``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _answer(question: Callable[[], _T]) -> _T:
    """The answer to a graph question; an unknown name becomes the call's error."""
    try:
        return question()
    except graph.QueryError as exc:
        raise ToolInputError(str(exc)) from None


def _skipped(system: System) -> list[SkippedView]:
    from redline.report import skipped

    return [SkippedView(**d) for d in skipped.to_json(system.skipped)]


def _component(system: System, c: Component) -> ComponentView:
    replicas = c.autoscaling.min_replicas if c.autoscaling and c.autoscaling.min_replicas else c.replicas
    return ComponentView(
        name=c.name,
        kind=c.kind.value,
        engine=c.engine,
        platform=c.platform,
        workload=c.workload,
        replicas=replicas,
        defined_at=str(c.source),
        calls=[graph.call_edge(e) for e in sorted(system.calls_from(c.name), key=lambda e: e.to)],
    )


def _finding(f: Finding) -> FindingView:
    where = None if not f.file else f"{f.file}:{f.line}" if f.line else f.file
    return FindingView(
        rule=f.rule,
        name=f.name,
        category=f.category.value,
        severity=f.severity.value,
        component=f.component,
        where=where,
        message=f.message,
        why=f.why,
        fix=f.fix.title,
        fix_safety=f.fix.safety.value,
        tradeoff=f.tradeoff,
        evidence=f.evidence,
    )
