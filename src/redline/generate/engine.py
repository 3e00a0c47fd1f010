"""Orchestration of ``redline generate``: read the model, forecast and review it, build every artifact
in memory, write them (never over existing files unless forced), and check them with the real tools.

:func:`render` builds the files and the result without touching the disk (the same input gives the
same bytes: stable order, no timestamps); :func:`generate` checks ``out``, writes, and runs the checks.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from redline.forecast.result import Forecast
from redline.generate import prometheus, scaling
from redline.generate.alert import Alert
from redline.generate.checks import run_checks
from redline.generate.grafana import dashboards
from redline.generate.result import (
    Artifact,
    FileWritten,
    GeneratedAlert,
    GenerateResult,
    SkippedArtifact,
)
from redline.generate.runbooks import DEFAULT_RPO_S, DEFAULT_RTO_S, RunbookInputs, runbooks
from redline.generate.sli import Sli, objectives, resolve_sli
from redline.generate.slo import build_slo
from redline.generate.targets import Target, target_of
from redline.model import System
from redline.model.entrypoints import is_tooling, resolve
from redline.model.secrets import mask_text
from redline.review.context import Context

__all__ = ["ALL", "GenerateInputError", "GenerateOptions", "check_out", "generate", "render"]

ALL: tuple[Artifact, ...] = tuple(Artifact)
#: Existing files listed when ``--out`` already holds some, before the rest are counted.
LISTED = 5


class GenerateInputError(ValueError):
    """Input ``generate`` cannot work with (an unusable ``--out``, files that would be overwritten)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class GenerateOptions:
    """What to generate and how. ``rps``: the load the forecast assumes when no entry point states one
    (as ``redline forecast --rps``); ``growth``: the target as a multiple of it (else redline.yaml's
    ``growth.factor``, else today's load); ``runbook_base``: prefix of every ``runbook_url`` (default:
    relative to ``--out``); ``prometheus_url``: the address KEDA queries; ``rto_s``/``rpo_s``: recovery
    targets."""

    only: tuple[Artifact, ...] = ALL
    force: bool = False
    rps: float | None = None
    growth: float | None = None
    runbook_base: str = ""
    prometheus_url: str | None = None
    rto_s: float = DEFAULT_RTO_S
    rpo_s: float = DEFAULT_RPO_S
    check: bool = True


def check_out(out: Path, only: Iterable[Artifact] = ALL, force: bool = False) -> None:
    """Refuse, before any work, an ``out`` that cannot be written or that already holds files this run
    would write into (unless ``force``)."""
    if out.exists() and not out.is_dir():
        raise GenerateInputError([f"--out {out}: is a file, not a folder"])
    folder = out if out.exists() else out.parent
    if not folder.is_dir():
        raise GenerateInputError([f"--out {out}: the folder {out.parent} does not exist"])
    if not os.access(folder, os.W_OK):
        raise GenerateInputError([f"--out {out}: {folder} is not writable"])
    if force or not out.exists():
        return
    existing = sorted(
        p.relative_to(out).as_posix()
        for a in only
        if (out / a.folder).is_dir()
        for p in (out / a.folder).rglob("*")
        if p.is_file()
    )
    if existing:
        shown = ", ".join(existing[:LISTED]) + (
            f" and {len(existing) - LISTED} more" if len(existing) > LISTED else ""
        )
        raise GenerateInputError(
            [
                f"--out {out} already holds generated files ({shown}): pass --force to overwrite them, "
                "or choose another folder"
            ]
        )


def _forecast(system: System, rps: float | None, growth: float | None) -> tuple[Forecast | None, str | None]:
    from redline.forecast import ForecastInputError, forecast

    stated = any(e.rps is not None and not e.inferred for e in system.entrypoints)
    eps = resolve(system).entrypoints
    try:
        if rps is not None and growth is not None and not stated and eps:
            # --rps is today's load, split evenly, and --growth the target over it
            rates = {e.name: rps / len(eps) for e in eps}
            return forecast(system, growth=growth, entrypoints=rates), None
        return forecast(system, rps=rps, growth=growth if rps is None else None), None
    except ForecastInputError as exc:
        return None, "; ".join(exc.problems)


def _unique(alerts: list[Alert]) -> list[Alert]:
    """Alert names and runbook files made unique (a numeric suffix), in order."""
    names: set[str] = set()
    books: set[str] = set()
    out = []
    for a in alerts:
        name, book, n = a.name, a.runbook, 1
        while name in names or book in books:
            n += 1
            name, book = f"{a.name}{n}", a.runbook.removesuffix(".md") + f"-{n}.md"
        names.add(name)
        books.add(book)
        out.append(
            a if (name, book) == (a.name, a.runbook) else dataclasses.replace(a, name=name, runbook=book)
        )
    return out


def _targets(system: System, result: GenerateResult) -> list[Target]:
    targets = []
    for c in sorted(system.components, key=lambda x: x.name):
        t = target_of(c)
        if t is None:
            if c.platform in ("kubernetes", "compose"):
                why = f"a {c.workload or 'component'}: no long-running pods or containers to measure"
                result.skipped.append(
                    SkippedArtifact(
                        artifact=Artifact.ALERTS, subject=c.name, what="saturation alerts", reason=why
                    )
                )
            continue
        if c.is_batch or is_tooling(c):
            why = (
                "a batch job: it runs to completion"
                if c.is_batch
                else "tooling: it drives or watches the system"
            )
            result.skipped.append(
                SkippedArtifact(
                    artifact=Artifact.ALERTS, subject=c.name, what="saturation alerts", reason=why
                )
            )
            continue
        targets.append(t)
    return targets


def render(
    system: System, options: GenerateOptions | None = None, out: str = "."
) -> tuple[dict[str, str], GenerateResult]:
    """Every file (path relative to ``out`` -> text) and the result, without writing anything."""
    from redline.review.engine import review

    opts = options or GenerateOptions()
    result = GenerateResult(system=system.name, out=out, only=list(opts.only))
    ctx = Context(system)
    eps = resolve(system).entrypoints
    goals = objectives(system.slo)
    fc, fc_error = _forecast(system, opts.rps, opts.growth)
    if fc_error:
        result.notes.append(f"no forecast: {fc_error}")
    name = system.name or "system"
    slis: dict[str, Sli | str] = {ep.name: resolve_sli(system, ep) for ep in eps}
    plan = prometheus.AlertPlan()
    if not eps:
        plan.skip(
            "*",
            "entry-point alerts and SLO alerts",
            "no entry point stated in redline.yaml and none inferred",
        )
    if not goals:
        plan.skip("*", "SLO alerts", "redline.yaml states no SLO (slo.availability or slo.latency)")
    for ep_name, sli in slis.items():
        if isinstance(sli, str):
            plan.skip(ep_name, "SLO and entry-point alerts", sli)
            continue
        for goal in goals:
            built = build_slo(sli, goal, opts.runbook_base)
            if isinstance(built, str):
                plan.skip(ep_name, f"SLO alerts ({goal.key})", built)
            else:
                plan.slo_sets.append(built)
                result.notes.extend(n for n in built.notes if n not in result.notes)
        prometheus.entrypoint_alerts(plan, sli, fc)
    targets = _targets(system, result)
    planned = {name: want for name, (_, want, _) in scaling.planned_replicas(fc).items()}
    for t in targets:
        prometheus.component_alerts(plan, ctx, t, planned)
    _dedupe(plan)
    alerts = plan.all_alerts()
    scale = scaling.plan_scaling(system, ctx, fc, fc_error, opts.prometheus_url)
    files: dict[str, str] = {}
    if Artifact.ALERTS in opts.only:
        files.update(prometheus.rule_files(plan, name, opts.runbook_base))
        result.skipped.extend(plan.skipped)
        if Artifact.RUNBOOKS not in opts.only and alerts and not opts.runbook_base:
            result.notes.append(
                "runbook_url annotations point at runbooks/ files this run did not write (--only)"
            )
    if Artifact.SCALING in opts.only:
        files.update(scale.rendered())
        result.skipped.extend(scale.skipped)
    paths = {ep.name: [ep.component, *sorted(ctx.reachable_from(ep.component))] for ep in eps}
    boards = dashboards(name, slis, plan.slo_sets, goals, targets, paths, alerts, fc)
    if Artifact.DASHBOARDS in opts.only:
        files.update(boards)
    if Artifact.RUNBOOKS in opts.only:
        inputs = RunbookInputs(
            system=system,
            ctx=ctx,
            alerts=alerts,
            slis=slis,
            forecast=fc,
            forecast_error=fc_error,
            findings=review(system).findings,
            dashboards=sorted(boards) if Artifact.DASHBOARDS in opts.only else [],
            hpa={k: (v, scale.hpa_max[k]) for k, v in scale.hpa_min.items()},
            rto_s=opts.rto_s,
            rpo_s=opts.rpo_s,
        )
        files.update({p: mask_text(text) for p, text in runbooks(inputs).items()})
    if Artifact.ALERTS in opts.only or Artifact.RUNBOOKS in opts.only:
        result.alerts = [
            GeneratedAlert(
                name=a.name,
                subject=a.subject,
                severity=a.severity,
                priority=a.priority.value,
                runbook=a.runbook,
            )
            for a in alerts
        ]
    result.skipped = _merged(result.skipped)
    order = {a.folder: i for i, a in enumerate(ALL)}
    files = dict(sorted(files.items(), key=lambda kv: (order.get(kv[0].split("/")[0], 9), kv[0])))
    result.files = [
        FileWritten(path=p, artifact=_artifact(p), what=_what(p, text)) for p, text in files.items()
    ]
    return files, result


def _merged(skipped: list[SkippedArtifact]) -> list[SkippedArtifact]:
    """One entry per (artifact, what, reason), its subjects joined in order: 20 components without a
    memory limit read as one line."""
    groups: dict[tuple[Artifact, str, str], list[str]] = {}
    for s in skipped:
        groups.setdefault((s.artifact, s.what, s.reason), []).append(s.subject)
    return [
        SkippedArtifact(artifact=a, subject=", ".join(dict.fromkeys(subjects)), what=what, reason=reason)
        for (a, what, reason), subjects in groups.items()
    ]


def _dedupe(plan: prometheus.AlertPlan) -> None:
    unique = _unique(plan.all_alerts())
    i = 0
    for s in plan.slo_sets:
        for b in s.alerts:
            b.alert = unique[i]
            i += 1
    plan.alerts = unique[i:]


def _artifact(path: str) -> Artifact:
    folder = path.split("/")[0]
    return next(a for a in ALL if a.folder == folder)


def _what(path: str, text: str) -> str:
    if path.endswith("slo-rules.yaml") or path.endswith("alerts.yaml"):
        return f"{text.count('- record:')} recording rules, {text.count('- alert:')} alerts"
    if "/tests/" in path:
        return f"{text.count('- interval:')} promtool test groups"
    if path.endswith("sloth.yaml"):
        return f"sloth spec, {text.count('- name:')} SLOs"
    if path.startswith("kubernetes/"):
        return next(
            (line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("kind:")),
            "object",
        )
    if path.startswith("grafana/"):
        return f"dashboard, {text.count(chr(34) + 'gridPos' + chr(34))} panels"
    return "runbook"


def generate(system: System, out: Path, options: GenerateOptions | None = None) -> GenerateResult:
    """Generate every selected artifact for ``system`` into ``out`` and check it with the real tools.

    Raises :class:`GenerateInputError` when ``out`` is unusable or holds files (without ``force``).
    Nothing is written when nothing drawn from the model could be generated: the result says why.
    """
    opts = options or GenerateOptions()
    check_out(out, opts.only, opts.force)
    files, result = render(system, opts, str(out))
    if not result.generated:
        result.files = []
        return result
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    if opts.check:
        prefix = f"{out}{os.sep}"
        result.checks = [
            c.model_copy(update={"detail": c.detail.replace(prefix, "")}) for c in run_checks(out, files)
        ]
    return result
