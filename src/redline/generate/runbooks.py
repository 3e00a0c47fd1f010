"""Runbooks in Markdown: one per alert, an incident-response runbook, and a disaster-recovery runbook per
datastore and queue, written from the model with the names the files use.

An alert's runbook says what fired and what it means for users; how to confirm it (``kubectl`` or
``docker compose`` commands with the real namespace, workload and service names, and the PromQL of the
real selectors); what to do, drawn from the model (scale the forecast's bottleneck to the replicas the
forecast plans; fail a replicated datastore over, or say it is a single point of failure and what
recovery takes); whom to escalate to; and the review findings that raise the risk, by rule code and
file:line.

A disaster-recovery runbook states the targets (RTO and RPO, default 5 minutes each) and what the setup
in the files can actually meet: replicas and clustering, volume types, and backups found or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from redline.fix.build import single_writer
from redline.forecast.result import Forecast
from redline.generate.alert import Alert, AlertKind
from redline.generate.naming import slug
from redline.generate.scaling import consumers, planned_replicas
from redline.generate.sli import Sli
from redline.generate.targets import Target, target_of
from redline.model import Component, Kind, System
from redline.model.entrypoints import resolve
from redline.review.context import Context
from redline.review.rule import Finding

__all__ = ["DEFAULT_RPO_S", "DEFAULT_RTO_S", "RunbookInputs", "runbooks"]

#: Recovery targets when none is given: recovery under 5 minutes, at most 5 minutes of data lost.
DEFAULT_RTO_S = 300.0
DEFAULT_RPO_S = 300.0
#: Findings listed per runbook before the rest are counted.
MAX_FINDINGS = 12
#: Seconds Kubernetes waits before evicting the pods of an unreachable node (the default toleration).
EVICTION_S = 300

_BACKUP_WORDS = ("backup", "dump", "snapshot", "pg_basebackup", "wal-g", "pgbackrest", "velero", "restic")
_BACKUP_KINDS = frozenset({"VolumeSnapshot", "Schedule", "Backup", "ScheduledBackup"})
_RESTORE = {
    "postgres": ("pg_dump -U postgres -Fc DB > DB.dump", "pg_restore -U postgres -d DB --clean < DB.dump"),
    "mysql": ("mysqldump -u root -p --single-transaction DB > DB.sql", "mysql -u root -p DB < DB.sql"),
    "mariadb": ("mariadb-dump -u root -p --single-transaction DB > DB.sql", "mariadb -u root -p DB < DB.sql"),
    "mongodb": ("mongodump --archive > db.archive", "mongorestore --archive < db.archive"),
    "redis": ("redis-cli --rdb /tmp/dump.rdb", "copy dump.rdb into the data directory, then start redis"),
    "rabbitmq": (
        "rabbitmqctl export_definitions /tmp/definitions.json",
        "rabbitmqctl import_definitions /tmp/definitions.json",
    ),
}
_MEANING = {
    AlertKind.SLO_FAST_BURN: (
        "Users of {ep} are failing the objective ({objective}) fast enough to spend the month's error "
        "budget in days. Users notice now."
    ),
    AlertKind.SLO_SLOW_BURN: (
        "Users of {ep} fail the objective ({objective}) at a steady rate that spends the month's budget "
        "before the month ends. Not an emergency yet; it becomes one if left."
    ),
    AlertKind.ERROR_RATE: "More than 1% of requests to {ep} fail: users see errors.",
    AlertKind.LATENCY: (
        "One request in twenty to {ep} takes longer than 1 s: users see slow pages and time-outs."
    ),
    AlertKind.CAPACITY: (
        "Traffic to {ep} is close to what it can carry: past the saturation load queues grow without bound "
        "and every request slows down and then times out."
    ),
    AlertKind.CPU: (
        "{component} is short of CPU: its requests wait for a core, and every entry point that needs it "
        "({eps}) slows down."
    ),
    AlertKind.MEMORY: (
        "{component} is close to its memory limit: next comes an OOM kill, the requests it holds fail, and a "
        "restart loop if its working set stays above the limit. Entry points that need it: {eps}."
    ),
    AlertKind.QUEUE_DEPTH: (
        "Work waits in {component}: whatever its consumers do happens late, and the broker's memory and disk "
        "fill. Entry points that publish to it: {eps}."
    ),
    AlertKind.CONNECTIONS: (
        "{component} is close to its connection limit: at the limit new connections are refused and its "
        "callers fail. Entry points that need it: {eps}."
    ),
}


@dataclass
class RunbookInputs:
    """What the runbooks are written from."""

    system: System
    ctx: Context
    alerts: list[Alert]
    slis: dict[str, Sli | str]
    forecast: Forecast | None
    forecast_error: str | None
    findings: list[Finding]
    dashboards: list[str]
    hpa: dict[str, tuple[int, int]] = field(default_factory=dict)
    rto_s: float = DEFAULT_RTO_S
    rpo_s: float = DEFAULT_RPO_S


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("redline.generate", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


# ----------------------------------------------------------------------------------------- helpers


def _planned(inputs: RunbookInputs) -> dict[str, tuple[int, int, str]]:
    """Component -> (current, planned replicas, why), as the scaling policies size them."""
    return planned_replicas(inputs.forecast)


def _involved(inputs: RunbookInputs, alert: Alert) -> list[str]:
    """The components an alert's story involves: an entry point's whole path, or a component and what it
    calls directly."""
    if alert.entrypoint is not None:
        return [alert.component, *sorted(inputs.ctx.reachable_from(alert.component))]
    return [alert.component, *inputs.ctx.dependencies(alert.component)]


def _findings(inputs: RunbookInputs, names: list[str]) -> tuple[list[str], int]:
    wanted = set(names)
    hits = [f for f in inputs.findings if f.component in wanted]
    lines = [
        f"**{f.rule}** ({f.severity.value}) {f.component} at {f.file or '?'}:{f.line or '?'}: {f.message}"
        for f in hits[:MAX_FINDINGS]
    ]
    return lines, max(0, len(hits) - MAX_FINDINGS)


def _eps(inputs: RunbookInputs, name: str) -> str:
    """The entry points whose requests need ``name``: ``web (enters at gateway)``."""
    comps = set(inputs.ctx.entrypoints_depending_on(name))
    eps = [
        f"{e.name} (enters at {e.component})"
        for e in resolve(inputs.system).entrypoints
        if e.component in comps
    ]
    return ", ".join(eps) if eps else "none known"


def failover(c: Component) -> tuple[bool, str]:
    """Whether ``c`` can fail over, and what to do (or what recovery takes when it cannot)."""
    replicas = c.replicas or 1
    if c.read_replicas:
        return True, (
            f"{c.name} has {c.read_replicas} read replica(s): promote one to primary with the engine's "
            "tooling "
            "(or the operator that manages it), then point writers at it."
        )
    if replicas >= 2 and not single_writer(c):
        return True, (
            f"{c.name} runs {replicas} replicas of a clustered engine ({c.engine}): the cluster keeps "
            "serving "
            "without the failed member; replace it and let it rejoin."
        )
    if replicas >= 2:
        return False, (
            f"{c.name} runs {replicas} replicas, but {c.engine or 'this engine'} replicas are a cluster "
            "only if "
            "replication is set up (an operator, Patroni, Sentinel): nothing in the files shows it. Treat it "
            "as a single point of failure until that is confirmed."
        )
    persistent = [v for v in c.volumes if v.type in ("persistentVolumeClaim", "named")]
    data = (
        "its data lives on a persistent volume and survives a restart"
        if persistent
        else "it has no persistent volume, so a restart starts it empty"
    )
    return False, (
        f"{c.name} is a single point of failure (1 replica): there is no failover. Recovery is a restart "
        f"on the same or another node; {data}."
    )


def _mitigations(
    inputs: RunbookInputs, alert: Alert, targets: dict[str, Target]
) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    planned = _planned(inputs)
    names = _involved(inputs, alert)
    t = targets.get(alert.component)
    user_facing = (AlertKind.SLO_FAST_BURN, AlertKind.SLO_SLOW_BURN, AlertKind.ERROR_RATE, AlertKind.LATENCY)
    if alert.kind in user_facing and t is not None and t.rollback():
        out.append(
            {"text": f"If it started with a deploy, roll {alert.component} back.", "command": t.rollback()}
        )
    if alert.kind is AlertKind.CONNECTIONS:
        out.extend(_connection_steps(inputs, alert.component))
    elif alert.kind is AlertKind.MEMORY and t is not None:
        out.append(
            {
                "text": f"Restart {alert.component} replica by replica to release memory (buys time; "
                "find the leak or raise the limit).",
                "command": t.restart(),
            }
        )
    elif alert.kind is AlertKind.QUEUE_DEPTH:
        for name in consumers(inputs.ctx, alert.component):
            ct = targets.get(name)
            current = (ct.component.replicas or 1) if ct else 1
            if ct is not None:
                out.append(
                    {
                        "text": f"Add consumers: scale {name} (now {current}).",
                        "command": ct.scale(current * 2),
                    }
                )
    target_rps = f"{inputs.forecast.growth.target_rps:,.0f} rps" if inputs.forecast else ""
    for name in _bottleneck_first(inputs, alert, names):
        if name not in planned or name not in targets:
            continue
        current, want, why = planned[name]
        comp = targets[name].component
        plan = (
            f"the forecast plans {want} replicas of {name} (now {current}) for the target load of "
            f"{target_rps} ({why})"
        )
        if comp.is_stateful:
            out.append(
                {
                    "text": f"{plan[0].upper()}{plan[1:]}; {name} is a {comp.kind.value} that holds state: "
                    "more replicas are copies, not capacity. Give it a larger instance or read replicas "
                    "instead.",
                    "command": None,
                }
            )
            continue
        hpa = inputs.hpa.get(name)
        extra = f"; the generated HPA allows {hpa[0]}..{hpa[1]}" if hpa else ""
        if comp.platform == "compose" and any(p.published for k in comp.containers for p in k.ports):
            extra += "; it publishes a host port, which only one replica can hold: drop it or proxy first"
        out.append({"text": f"Scale {name} out: {plan}{extra}.", "command": targets[name].scale(want)})
    if inputs.forecast is None and t is not None and alert.kind in (AlertKind.CPU, AlertKind.CAPACITY):
        now = t.component.replicas or 1
        out.append(
            {
                "text": f"Add replicas to {alert.component} (now {now}); no forecast sizes it "
                f"({inputs.forecast_error}).",
                "command": t.scale(now + 1),
            }
        )
    for name in names:
        store = inputs.system.component(name)
        if store is not None and store.kind is Kind.DATASTORE:
            _, text = failover(store)
            out.append({"text": text, "command": None})
    return out


def _bottleneck_first(inputs: RunbookInputs, alert: Alert, names: list[str]) -> list[str]:
    """``names`` with the forecast's bottleneck for the alert's entry point first."""
    entry = None
    if inputs.forecast is not None and alert.entrypoint is not None:
        entry = next((e for e in inputs.forecast.entrypoints if e.name == alert.entrypoint), None)
    neck = entry.bottleneck if entry else None
    return sorted(names, key=lambda n: (n != neck, names.index(n)))


def _connection_steps(inputs: RunbookInputs, name: str) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for e in inputs.system.calls_to(name):
        caller = inputs.system.component(e.from_)
        if caller is None:
            continue
        pools = [p for p in caller.pools if name in p.to or p.name == e.pool]
        size = " + ".join(f"pool {p.name} of {p.size}" for p in pools if p.size) or "pool size not stated"
        retries = f", retries {e.retries}" if e.retries else ""
        out.append(
            {
                "text": f"{caller.name} ({caller.replicas or 1} replica(s), {size}{retries}) holds "
                f"connections to {name}: each replica opens its own pool, so scaling callers out adds "
                "connections; lower pool sizes or put a pooler (PgBouncer, ProxySQL) in front before scaling "
                "them.",
                "command": None,
            }
        )
    return out


def _confirm(alert: Alert, targets: dict[str, Target], inputs: RunbookInputs) -> list[dict[str, str]]:
    names = [alert.component]
    if alert.entrypoint is not None and inputs.forecast is not None:
        entry = next((e for e in inputs.forecast.entrypoints if e.name == alert.entrypoint), None)
        if entry is not None and entry.bottleneck and entry.bottleneck not in names:
            names.append(entry.bottleneck)
    out: list[dict[str, str]] = []
    for name in names:
        t = targets.get(name)
        if t is None:
            continue
        out.append({"title": f"{name}: replicas and state", "command": t.pods()})
        out.append({"title": f"{name}: CPU and memory now", "command": t.top()})
        out.append({"title": f"{name}: recent logs", "command": t.logs()})
        if t.events():
            out.append(
                {"title": f"{name}: events (OOMKilled, probes, scheduling)", "command": t.events() or ""}
            )
    return out


# ----------------------------------------------------------------------------------------- runbooks


def runbooks(inputs: RunbookInputs) -> dict[str, str]:
    """Every runbook file (relative to --out) and its text."""
    env = _env()
    targets = {c.name: t for c in inputs.system.components if (t := target_of(c)) is not None}
    files: dict[str, str] = {}
    for alert in inputs.alerts:
        files[alert.runbook] = env.get_template("alert.md.j2").render(
            **_alert_context(inputs, alert, targets)
        )
    stores = [
        c
        for c in sorted(inputs.system.components, key=lambda x: x.name)
        if c.kind in (Kind.DATASTORE, Kind.QUEUE) and c.platform in ("kubernetes", "compose")
    ]
    for c in stores:
        files[f"runbooks/dr-{slug(c.name)}.md"] = env.get_template("dr.md.j2").render(
            **_dr_context(inputs, c, targets)
        )
    files["runbooks/incident-response.md"] = env.get_template("incident.md.j2").render(
        **_incident_context(inputs, targets, stores)
    )
    files["runbooks/README.md"] = env.get_template("index.md.j2").render(
        system=inputs.system.name or "system",
        alerts=[
            {
                "name": a.name,
                "severity": a.severity,
                "subject": a.subject,
                "file": a.runbook.removeprefix("runbooks/"),
            }
            for a in inputs.alerts
        ],
        stores=[f"dr-{slug(c.name)}.md" for c in stores],
    )
    return files


def _alert_context(inputs: RunbookInputs, alert: Alert, targets: dict[str, Target]) -> dict[str, Any]:
    names = _involved(inputs, alert)
    findings, more = _findings(inputs, names)
    objective = alert.objective.describe() if alert.objective else ""
    meaning = _MEANING[alert.kind].format(
        ep=alert.entrypoint or alert.subject,
        objective=objective,
        component=alert.component,
        eps=_eps(inputs, alert.component),
    )
    page = alert.severity == "page"
    return {
        "alert": alert,
        "severity": alert.severity,
        "priority": alert.priority.value,
        "meaning": meaning,
        "confirm": _confirm(alert, targets, inputs),
        "queries": [{"title": t, "promql": q} for t, q in alert.queries],
        "mitigations": _mitigations(inputs, alert, targets),
        "page": page,
        "findings": findings,
        "more_findings": more,
        "dashboards": [
            f"../{d}"
            for d in inputs.dashboards
            if d.endswith(("overview.json", f"-{slug(alert.entrypoint or '')}.json"))
        ],
        "stores": [
            f"dr-{slug(n)}.md"
            for n in names
            if (c := inputs.system.component(n)) is not None
            and c.kind in (Kind.DATASTORE, Kind.QUEUE)
            and c.name in targets
        ],
    }


def _backups(inputs: RunbookInputs, c: Component) -> list[str]:
    """Backup jobs or objects found in the files for ``c``, as ``what (file:line)``."""
    found: list[str] = []
    for other in inputs.system.components:
        if other is c or not (other.is_batch or "backup" in other.name.lower()):
            continue
        text = " ".join(
            [
                other.name,
                other.image or "",
                *(w for k in other.containers for w in [k.image or "", *k.command]),
            ]
        ).lower()
        reaches = any(e.to == c.name for e in inputs.system.calls_from(other.name))
        if reaches and any(w in text for w in _BACKUP_WORDS):
            schedule = f", schedule {other.cron.schedule}" if other.cron and other.cron.schedule else ""
            found.append(f"{other.workload or 'service'} {other.name}{schedule} ({other.source})")
    for o in inputs.system.objects:
        if o.kind in _BACKUP_KINDS and o.namespace == (c.namespace or "default"):
            found.append(f"{o.kind} {o.name} ({o.source})")
    return found


def _dr_context(inputs: RunbookInputs, c: Component, targets: dict[str, Target]) -> dict[str, Any]:
    t = targets.get(c.name)
    replicas = c.replicas or 1
    volumes = [
        f"{v.name}: {v.type}"
        + (f" (claim {v.claim})" if v.claim else "")
        + (f", mounted at {v.mount_path}" if v.mount_path else "")
        + (f", {', '.join(v.access_modes)}" if v.access_modes else "")
        for v in c.volumes
    ]
    persistent = any(v.type in ("persistentVolumeClaim", "named") for v in c.volumes)
    if c.platform == "kubernetes" and c.workload == "StatefulSet" and not c.volumes:
        persistent = False
    backups = _backups(inputs, c)
    can_fail_over, failover_text = failover(c)
    kube = t is not None and t.kubernetes
    rows = _scenarios(c, kube, persistent, backups, can_fail_over, inputs.rto_s, inputs.rpo_s)
    dump, restore = _RESTORE.get(c.engine or "", ("", ""))
    exec_prefix = ""
    if t is not None:
        exec_prefix = t.shell("exec", "-i", t.ref, "--") if kube else t.shell("exec", "-T", t.ref)
    return {
        "c": c,
        "rto": _duration(inputs.rto_s),
        "rpo": _duration(inputs.rpo_s),
        "replicas": replicas,
        "engine": c.engine or "unknown",
        "clustered": not single_writer(c) if c.kind is Kind.DATASTORE else None,
        "volumes": volumes,
        "persistent": persistent,
        "backups": backups,
        "failover": failover_text,
        "rows": rows,
        "rto_met": all(r["rto_ok"] for r in rows),
        "rpo_met": all(r["rpo_ok"] for r in rows),
        "status": t.pods() if t else None,
        "dump": f"{exec_prefix} {dump}" if dump and exec_prefix else None,
        "restore": f"{exec_prefix} {restore}" if restore and exec_prefix else None,
        "restart": t.restart() if t else None,
        "findings": _findings(inputs, [c.name])[0],
    }


def _scenarios(
    c: Component, kube: bool, persistent: bool, backups: list[str], clustered: bool, rto: float, rpo: float
) -> list[dict[str, Any]]:
    """What each failure costs with the setup the files describe: (scenario, recovery, data lost)."""
    rows: list[dict[str, Any]] = []
    lost = (
        "nothing (the volume survives)"
        if persistent
        else "everything since it started (no persistent volume)"
    )
    restart_s = 60.0
    rows.append(
        {
            "scenario": "the process crashes",
            "recovery": "the platform restarts it: about a minute",
            "data": lost,
            "rto_ok": restart_s <= rto,
            "rpo_ok": persistent,
        }
    )
    if clustered:
        node = "the other replicas keep serving; seconds to fail over"
        rows.append(
            {
                "scenario": "its node or host is lost",
                "recovery": node,
                "data": "nothing acknowledged by the cluster",
                "rto_ok": True,
                "rpo_ok": True,
            }
        )
    elif kube:
        node = (
            f"at least {_duration(EVICTION_S)}: Kubernetes waits {EVICTION_S} s (the default unreachable "
            "toleration) before evicting the pod, then the volume must detach and attach elsewhere"
        )
        rows.append(
            {
                "scenario": "its node is lost",
                "recovery": node,
                "data": lost,
                "rto_ok": rto > EVICTION_S,
                "rpo_ok": persistent,
            }
        )
    else:
        rows.append(
            {
                "scenario": "its host is lost",
                "recovery": "until the host (or a new one, restored from backup) is back: unbounded",
                "data": lost,
                "rto_ok": False,
                "rpo_ok": persistent,
            }
        )
    if backups:
        data = "everything since the last backup (its interval is the RPO)"
        rows.append(
            {
                "scenario": "its volume is lost or corrupted",
                "recovery": "restore from the backup: measure it, it is not in the files",
                "data": data,
                "rto_ok": False,
                "rpo_ok": False,
            }
        )
    else:
        rows.append(
            {
                "scenario": "its volume is lost or corrupted",
                "recovery": "no backup found in the files: no recovery",
                "data": "everything",
                "rto_ok": False,
                "rpo_ok": False,
            }
        )
    return rows


def _incident_context(
    inputs: RunbookInputs, targets: dict[str, Target], stores: list[Component]
) -> dict[str, Any]:
    eps = []
    for ep, sli in inputs.slis.items():
        entry = (
            next((e for e in inputs.forecast.entrypoints if e.name == ep), None) if inputs.forecast else None
        )
        budget = (
            next((a.budget_minutes_month for a in inputs.forecast.availability if a.entrypoint == ep), None)
            if inputs.forecast
            else None
        )
        comp = next((e.component for e in resolve(inputs.system).entrypoints if e.name == ep), None)
        eps.append(
            {
                "name": ep,
                "component": comp,
                "metrics": isinstance(sli, Sli),
                "why": sli if isinstance(sli, str) else sli.origin,
                "saturation": entry.saturation_rps if entry else None,
                "bottleneck": entry.bottleneck if entry else None,
                "budget_minutes": budget,
            }
        )
    spofs = [f for f in inputs.findings if f.rule == "AV002"]
    slo = inputs.system.slo
    return {
        "system": inputs.system.name or "system",
        "entrypoints": eps,
        "slo": slo,
        "alerts": inputs.alerts,
        "dashboards": [f"../{d}" for d in inputs.dashboards],
        "status": [
            targets[n].pods() for n in sorted(targets) if targets[n].component.kind is not Kind.EXTERNAL
        ][:12],
        "changes": _planned(inputs),
        "targets": targets,
        "spofs": [f"**{f.rule}** {f.component} at {f.file}:{f.line}: {f.message}" for f in spofs],
        "stores": [f"dr-{slug(c.name)}.md" for c in stores],
        "forecast_error": inputs.forecast_error,
    }
