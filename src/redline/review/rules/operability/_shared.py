"""Helpers shared by the operability rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

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


#: The engine's own readiness command, for the healthcheck snippet in fixes.
_HEALTH_TESTS = {
    "postgres": '["CMD-SHELL", "pg_isready -U postgres"]',
    "mysql": '["CMD", "mysqladmin", "ping", "-h", "localhost"]',
    "mariadb": '["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]',
    "mongodb": '["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand(\'ping\')"]',
    "redis": '["CMD", "redis-cli", "ping"]',
    "valkey": '["CMD", "valkey-cli", "ping"]',
    "rabbitmq": '["CMD", "rabbitmq-diagnostics", "-q", "ping"]',
    "memcached": '["CMD-SHELL", "echo stats | nc localhost 11211"]',
}


_GENERIC_TEST = '["CMD", "curl", "-fsS", "http://localhost:8080/health"]'


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
