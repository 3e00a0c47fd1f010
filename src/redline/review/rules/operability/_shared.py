"""Helpers shared by the operability rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from redline.model import Component, Container, Probe
from redline.review.context import Context
from redline.review.rules._util import (
    is_long_running,
    where,
)

# Kubernetes probe defaults, applied when comparing probes (the model keeps unstated fields as None).
_PROBE_DEFAULTS = {"period_s": 10.0, "timeout_s": 1.0, "failure_threshold": 3}


def _k8s_services(ctx: Context) -> Iterator[Component]:
    """Long-running Kubernetes workloads."""
    for c in ctx.system.components:
        if c.platform == "kubernetes" and is_long_running(c) and c.containers:
            yield c


def _selected_by_service(ctx: Context, c: Component) -> list[str]:
    """Names of the Kubernetes Services that route to ``c``."""
    return [o.name for o in ctx.objects_selecting(c.name, "Service")]


def _receives_traffic(ctx: Context, c: Component) -> bool:
    """A Service routes to it, or the graph says something calls it or it is exposed."""
    return bool(_selected_by_service(ctx, c)) or ctx.has_traffic(c)


def _describe(p: Probe) -> str:
    if p.type == "http":
        return f"http :{p.port}{p.path or '/'}"
    if p.type == "exec":
        return "exec `" + " ".join(p.command or []) + "`"
    return f"{p.type} :{p.port}"


def _names(containers: list[Container]) -> str:
    return ", ".join(f"`{k.name}`" for k in containers)


def _probe_key(p: Probe) -> tuple[object, ...]:
    """What a probe checks and how strictly, with Kubernetes defaults filled in."""
    return (
        p.type,
        str(p.port) if p.port is not None else None,
        (p.path or "/") if p.type == "http" else None,
        tuple(p.command or ()),
        p.period_s if p.period_s is not None else _PROBE_DEFAULTS["period_s"],
        p.timeout_s if p.timeout_s is not None else _PROBE_DEFAULTS["timeout_s"],
        p.failure_threshold if p.failure_threshold is not None else _PROBE_DEFAULTS["failure_threshold"],
    )


def _has_resources(k: Container) -> bool:
    r = k.resources
    return r is not None and any(
        v is not None for v in (r.cpu_request, r.cpu_limit, r.memory_request, r.memory_limit)
    )


def _image_name(image: str) -> str:
    """The image's repository without registry, tag or digest: ``ghcr.io/a/b:1@sha256:..`` -> ``a/b``."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)
    if ":" in last[-1]:
        ref = ref.rsplit(":", 1)[0]
    parts = ref.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    return "/".join(parts)


def _grace(c: Component) -> float | None:
    return c.termination_grace_s


def _compose_services(ctx: Context) -> Iterator[Component]:
    for c in ctx.system.components:
        if c.platform == "compose" and is_long_running(c):
            yield c


def _startup_dependents(ctx: Context, name: str) -> list[str]:
    """Compose services that ``depends_on`` (or link to) ``name``."""
    return sorted({e.from_ for e in ctx.system.calls_to(name) if _is_depends_on(e)})


def _is_depends_on(e: object) -> bool:
    evidence = getattr(e, "evidence", [])
    return any(ev.kind in ("depends_on", "links") for ev in evidence)


#: Names of Compose services that run once and exit: a restart policy would re-run them forever.
_ONE_SHOT = re.compile(
    r"(^|[-_/])(setup|init|migrat\w*|seed\w*|prestart|bootstrap|importer|loader|provision\w*)([-_]|$)"
)


def _swarm_groups(ctx: Context) -> set[str | None]:
    """Compose projects written for ``docker stack deploy``, where an unset restart policy means ``any``.

    Recognised by a Swarm-only restart condition (``any``) on some service, or a file named for Swarm.
    """
    out: set[str | None] = set()
    for c in ctx.system.components:
        if c.platform != "compose":
            continue
        name = c.source.file.rsplit("/", 1)[-1].lower()
        if (c.restart_policy or "").lower() == "any" or "swarm" in name or "stack" in name:
            out.add(c.group)
    return out


def _run_to_completion(ctx: Context) -> set[str]:
    """Compose services others wait for with ``condition: service_completed_successfully``: one-shots."""
    return {
        e.to
        for e in ctx.system.edges
        for ev in e.evidence
        if ev.kind == "depends_on" and "service_completed_successfully" in ev.reason
    }


def _cronjobs(ctx: Context) -> Iterator[Component]:
    for c in ctx.system.components:
        if c.workload == "CronJob":
            yield c


def _cron_where(c: Component) -> tuple[str | None, int | None]:
    return where(c.cron.source if c.cron else None, c.source)


# ------------------------------------------------------------------------------------------------ fixes

#: How a probe's handler is spelled in a Kubernetes container, by the model's probe type.
_HANDLER = {"http": "httpGet", "tcp": "tcpSocket", "grpc": "grpc", "exec": "exec"}


def _main_container(c: Component, containers: list[Container]) -> Container:
    """The container a fix addresses: the one running the component's own image (a database's engine, not
    its exporter sidecar), else the first that declares a port, else the first."""
    for k in containers:
        if c.image and k.image == c.image:
            return k
    return next((k for k in containers if k.ports), containers[0])


def _without_http_paths(c: Component, k: Container) -> tuple[Component, Container]:
    """``c`` and ``k`` with no probe or healthcheck to borrow an HTTP path from.

    A liveness probe must check the process itself; the path of a readiness probe usually checks its
    dependencies too, and reusing it for liveness restarts every pod when one dependency is slow."""
    return (
        c.model_copy(update={"healthcheck": None}),
        k.model_copy(update={"readiness": None, "startup": None, "liveness": None}),
    )


# ------------------------------------------------------------------------------------------- schedules

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_CALENDAR_DAYS = 4 * 365 + 1  # four years hold every weekday of every date, and one 29 February


def _cron_value(text: str, names: dict[str, int]) -> int | None:
    if text.isdigit():
        return int(text)
    return names.get(text)


def _cron_field(text: str, lo: int, hi: int, names: dict[str, int]) -> set[int] | None:
    """The values one cron field allows (``*/5``, ``1-5``, ``mon,wed``), or None when it cannot be read."""
    out: set[int] = set()
    for part in text.lower().split(","):
        step = 1
        if "/" in part:
            part, by = part.split("/", 1)
            if not by.isdigit() or int(by) == 0:
                return None
            step = int(by)
        if part == "*":
            first, last = lo, hi
        else:
            a, _, b = part.partition("-")
            low, high = _cron_value(a, names), _cron_value(b, names) if b else None
            if low is None or (b and high is None):
                return None
            first = low
            last = high if high is not None else hi if step > 1 else low
        if not lo <= first <= last <= hi:
            return None
        out.update(range(first, last + 1, step))
    return out


def _cron_interval_s(schedule: str | None) -> int | None:
    """The shortest time between two runs of a CronJob schedule, in seconds; None when it cannot be read.

    Standard five-field cron with names, ranges, lists and steps, the ``@daily``-style macros and a
    ``CRON_TZ=`` prefix. When both day-of-month and day-of-week are restricted, a day matching either runs
    (as cron does)."""
    words = (schedule or "").split()
    if words and words[0].upper().startswith(("CRON_TZ=", "TZ=")):
        words = words[1:]
    if len(words) == 1 and words[0].lower() in _MACROS:
        words = _MACROS[words[0].lower()].split()
    if len(words) != 5:
        return None
    minutes = _cron_field(words[0], 0, 59, {})
    hours = _cron_field(words[1], 0, 23, {})
    mdays = _cron_field(words[2], 1, 31, {})
    months = _cron_field(words[3], 1, 12, _MONTHS)
    wdays = _cron_field(words[4], 0, 7, _DAYS)
    if not (minutes and hours and mdays and months and wdays):
        return None
    wdays = {d % 7 for d in wdays}
    either = not words[2].startswith("*") and not words[4].startswith("*")
    times = sorted(h * 60 + m for h in hours for m in minutes)
    start = date(2023, 1, 1)
    days = []
    for n in range(_CALENDAR_DAYS):
        d = start + timedelta(days=n)
        if d.month not in months:
            continue
        by_date, by_weekday = d.day in mdays, (d.weekday() + 1) % 7 in wdays
        if (by_date or by_weekday) if either else (by_date and by_weekday):
            days.append(n)
    if not days or (len(days) == 1 and len(times) == 1):
        return None
    gaps = [b - a for a, b in pairwise(times)]
    gaps += [(b - a) * 1440 + times[0] - times[-1] for a, b in pairwise(days)]
    return min(gaps) * 60


def _probe_text(probe: dict[str, Any]) -> str:
    """``exec pg_isready -q``, ``tcpSocket :5432``, ``httpGet :8080/ready``: a proposed probe, in a title."""
    if "exec" in probe:
        return "exec `" + " ".join(probe["exec"]["command"]) + "`"
    if "httpGet" in probe:
        return f"httpGet :{probe['httpGet']['port']}{probe['httpGet']['path']}"
    key = next(iter(probe))
    return f"{key} :{probe[key]['port']}"
