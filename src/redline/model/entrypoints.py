"""Where traffic enters a system: stated in redline.yaml, else inferred from what the files expose.

One function every engine shares (review's ``Context``, forecast) and ``scan`` runs once, so the three
commands agree and ``scan`` can show why each entry point was chosen. It reads only the model.

Inference, when redline.yaml states no entry point (the first tier that yields a candidate wins):

1. **Routes and external Services**: a component exposed by an Ingress, a LoadBalancer or a NodePort
   Service.
2. **Published ports** (Compose ``ports:``). Compose files often publish every service's port for
   debugging: when a published gateway or front end (kind ``gateway``, or a name such as ``frontend``,
   ``ui``, ``web``, ``edge-router``) is among them, the other published services are taken as debugging
   ports and left out.
3. **Nothing exposed**: graph roots (no caller, at least one callee) that something can reach — a
   Kubernetes Service selects them, or they are redline.yaml components — preferring front ends; when no
   call is known at all, front ends with a Service, chosen by name, and the reason says so.

In every tier a candidate is a service or gateway that is not a batch job, not tooling (:func:`is_tooling`:
load generators, dashboards, sidecars, placement and discovery services, admin and log UIs) and not
marked ``entrypoint: false``, that no component other than tooling calls (the door is the caller; a load
generator calling the front end does not take the role from it). ``entrypoint: true`` in redline.yaml
makes a component an entry point whatever its exposure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import IntEnum

from redline.model.source import Source
from redline.model.system import Component, Diagnostic, Entrypoint, Kind, System

#: Names or images of components that drive or watch the system rather than serve it. Every alternative
#: is a literal between delimiters, so matching is linear on any input.
_TOOLING = re.compile(
    r"(?:^|[-_/.])(?:load-?gen(?:erator)?|loadtest|load-test|locust|k6|jmeter|gatling|vegeta|wrk2?|"
    r"e2e|tests?|test-client|smoke|playwright|cypress|selenium|puppeteer|"
    r"jaeger|jaeger-agent|zipkin|tracing|tracing-server|prometheus|grafana|kibana|alertmanager|"
    r"node-exporter|cadvisor|heapster|metrics-server|kube-state-metrics|"
    r"adminer|pgadmin|phpmyadmin|mongo-express|redis-commander|kafka-ui|kafdrop|akhq|"
    r"admin-server|admin-ui|admin-console|spring-boot-admin|"
    r"mailhog|mailcatcher|mailpit|portainer|otel-collector|opentelemetry-collector|"
    r"elasticsearch-exporter|fluentd|fluent-bit|logstash|filebeat|dozzle|loki|graylog|log-ui|logs-ui|"
    r"weavescope|scope|dashboard|hystrix-dashboard|turbine|uptime-kuma|"
    r"sidecar|daprd|placement|dapr-placement|dapr-sentry|consul|eureka|discovery|discovery-server)"
    r"(?:[-_/.:]|$)",
    re.IGNORECASE,
)

#: Names of components that usually are the front door: a gateway, a proxy, a web front end.
_FRONT = re.compile(
    r"(?:^|[-_/.])(?:front-?end|frontend|ui|web|www|webapp|web-app|portal|storefront|gateway|"
    r"api-gateway|edge|edge-router|proxy|nginx|router)(?:[-_/.:]|$)",
    re.IGNORECASE,
)

#: Debugging ports named in a reason before the rest are counted.
_NAMED = 5
#: Prefix of the :func:`_callers` keys that hold a component's tooling callers.
_TOOLING_KEY = "\0tooling\0"


class Tier(IntEnum):
    """How an entry point was found; a lower value is stronger evidence."""

    STATED = 0  # redline.yaml entrypoints:
    MARKED = 1  # redline.yaml components.NAME.entrypoint: true
    ROUTE = 2  # Ingress, LoadBalancer or NodePort Service
    PUBLISHED = 3  # Compose published port
    ROOT = 4  # nothing exposed: a graph root that something can reach
    NAME = 5  # nothing exposed, no call known: a front end by its name
    NONE = 6


def is_tooling(c: Component) -> bool:
    """A load generator, test client, dashboard, sidecar, discovery service or admin/log UI: it drives or
    watches the system and does not serve it. ``tooling:`` in redline.yaml decides when stated."""
    if c.tooling is not None:
        return c.tooling
    if _TOOLING.search(c.name):
        return True
    image = c.image or next((k.image for k in c.containers if k.image and not k.init), None)
    if image:
        repo = image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
        return bool(_TOOLING.search(repo))
    return False


def is_front(c: Component) -> bool:
    """A gateway, or a service named like a front end (``frontend``, ``ui``, ``web``, ``edge-router``)."""
    return c.kind is Kind.GATEWAY or bool(_FRONT.search(c.name))


class Inference:
    """The entry points of one system and how they were found (:attr:`tier`)."""

    def __init__(self, entrypoints: list[Entrypoint], tier: Tier) -> None:
        self.entrypoints = entrypoints
        self.tier = tier

    @property
    def inferred(self) -> bool:
        return self.tier is not Tier.STATED


def resolve(system: System) -> Inference:
    """The system's entry points: the stated ones when redline.yaml states any, else those ``scan``
    inferred (:func:`infer`; ``scan`` keeps them in ``System.entrypoints`` with ``inferred`` set)."""
    stated = [e for e in system.entrypoints if not e.inferred and system.component(e.component) is not None]
    if stated:
        return Inference([_stated(e) for e in stated], Tier.STATED)
    return infer(system)  # what scan stored, computed again with its tier (the system may have changed)


def infer(system: System) -> Inference:
    """Entry points inferred from what the files expose (the module docstring gives the tiers)."""
    callers = _callers(system)
    candidates = [c for c in system.components if _candidate(c) and not callers.get(c.name)]
    marked = [c for c in system.components if c.entrypoint is True and not c.is_batch]
    if marked:
        return _result(Tier.MARKED, [(c, _marked_reason(c)) for c in marked])
    services = _services(system)
    # An Ingress routing to a LoadBalancer or NodePort Service does not take that door's role: both open.
    ingresses = {c.name for c in system.components if c.workload == "Ingress"}
    behind_ingress = [c for c in system.components if _candidate(c) and _only(callers.get(c.name), ingresses)]
    routed = [(c, r) for c in [*candidates, *behind_ingress] if (r := _exposure(c, services, route=True))]
    if routed:
        return _result(Tier.ROUTE, [(c, r + _tooling_note(c, callers)) for c, r in routed])
    published = [(c, r) for c in candidates if (r := _exposure(c, services, route=False))]
    if published:
        return _result(Tier.PUBLISHED, _prefer_front(published, callers, "published services"))
    reachable = [c for c in candidates if _reachable(c, services)]
    roots = [(c, _root_reason(c, system)) for c in reachable if system.calls_from(c.name)]
    if roots:
        return _result(Tier.ROOT, _prefer_front(roots, callers, "roots"))
    if not any(e for e in system.edges if not e.startup_only):
        named = [(c, _name_reason(c, services)) for c in reachable if is_front(c)]
        if named:
            return _result(Tier.NAME, named)
    return Inference([], Tier.NONE)


def with_inferred(system: System) -> None:
    """Store the inferred entry points in ``system.entrypoints`` (none stated) and warn when the call
    graph is empty. ``scan`` calls this once, after redline.yaml is applied."""
    if not any(not e.inferred for e in system.entrypoints):
        system.entrypoints = infer(system).entrypoints
    message = empty_graph_message(system)
    if message is not None:
        system.warnings.append(Diagnostic(file=".", line=None, message=message))


def empty_graph_message(system: System) -> str | None:
    """``N components, 0 runtime calls: ...`` when at least two components are known and no runtime call
    between them is: every path, blast radius and load share is then unknown, and that must be said."""
    services = [c for c in system.components if c.platform != "external"]
    if len(services) < 2 or any(not e.startup_only for e in system.edges):
        return None
    startup = sum(1 for e in system.edges if e.startup_only)
    order = f" ({startup} startup-order only)" if startup else ""
    return (
        f"{len(services)} components, 0 runtime calls{order}: redline read no address of one component in "
        "another's env, command, routes or redline.yaml, so callers, paths and load shares are unknown; "
        "add calls in redline.yaml (components.NAME.calls: [{to: OTHER}], `redline init` writes a starter) "
        "or point scan at the files that hold the addresses"
    )


def with_rates(system: System, rates: dict[str, float]) -> list[Entrypoint]:
    """Entry points for ``forecast --entrypoint NAME=RPS``: each NAME is an entry point's name (stated or
    inferred) or a component's; the result replaces the system's entry points. Raises ``KeyError``
    naming what matches neither."""
    known = {e.name: e for e in resolve(system).entrypoints}
    out: list[Entrypoint] = []
    for name, rps in rates.items():
        ep = known.get(name)
        if ep is not None:
            out.append(ep.model_copy(update={"rps": rps}))
            continue
        comp = system.component(name)
        if comp is None:
            raise KeyError(name)
        out.append(Entrypoint(name=name, component=comp.name, rps=rps, reason="--entrypoint"))
    return out


# ------------------------------------------------------------------ helpers


def _callers(system: System) -> dict[str, list[str]]:
    """Component -> the components that call it, startup-only edges included; tooling callers are kept
    under the key ``(tooling) NAME`` (they do not take the entry-point role, but the reason names them)."""
    tooling = {c.name for c in system.components if is_tooling(c)}
    out: dict[str, list[str]] = {}
    for e in system.edges:
        if e.from_ != e.to:
            key = f"{_TOOLING_KEY}{e.to}" if e.from_ in tooling else e.to
            out.setdefault(key, []).append(e.from_)
    return out


def _candidate(c: Component) -> bool:
    return (
        c.kind in (Kind.SERVICE, Kind.GATEWAY)
        and not c.is_batch
        and c.entrypoint is not False
        and not is_tooling(c)
    )


def _only(names: list[str] | None, allowed: set[str]) -> bool:
    """Whether ``names`` is not empty and every one of them is in ``allowed``."""
    return bool(names) and set(names or ()) <= allowed


def _services(system: System) -> dict[str, list[tuple[str, Source]]]:
    """Component -> the Services selecting it: (type, source)."""
    out: dict[str, list[tuple[str, Source]]] = {}
    for o in system.objects:
        if o.kind == "Service":
            stype = str(o.spec.get("type") or "ClusterIP")
            for name in o.selects:
                out.setdefault(name, []).append((f"{stype} Service {o.name}", o.source))
    return out


def _exposure(c: Component, services: dict[str, list[tuple[str, Source]]], *, route: bool) -> str:
    """What exposes ``c`` outside the cluster or host, with file:line; ``""`` when nothing does."""
    if route:
        marks = [
            x
            for x in c.exposure
            if x.lower().startswith(("ingress", "loadbalancer", "nodeport"))
            and not _TOOLING.search(x.rsplit(" ", 1)[-1])  # a test harness's Service is not a door
        ]
        where = {label: src for label, src in services.get(c.name, [])}
        return ", ".join(f"{m} ({where.get(m, c.source)})" for m in marks)
    ports = [p for k in c.containers for p in k.ports if p.published is not None]
    marks = [x for x in c.exposure if x.lower().startswith(("published port", "hostport", "host port"))]
    if not marks:
        return ""
    src = next((p.source for p in ports if p.source is not None), c.source)
    return ", ".join(marks) + f" ({src})"


def _reachable(c: Component, services: dict[str, list[tuple[str, Source]]]) -> bool:
    """Something can send ``c`` a request: a Service selects it, or it is described only in redline.yaml.
    A Compose service with no published port and a workload no Service selects are not doors."""
    return bool(services.get(c.name)) or c.platform == "redline"


def _prefer_front(
    found: list[tuple[Component, str]], callers: dict[str, list[str]], what: str
) -> list[tuple[Component, str]]:
    """The front ends among ``found`` when there are some (the rest named as left out), else all."""
    fronts = [(c, r) for c, r in found if is_front(c)]
    rest = [c.name for c, _ in found if not is_front(c)]
    if not fronts or not rest:
        return [(c, r + _tooling_note(c, callers)) for c, r in found]
    shown = ", ".join(rest[:_NAMED]) + (f" and {len(rest) - _NAMED} more" if len(rest) > _NAMED else "")
    note = f"; a gateway or front end, so the other {what} ({shown}) are taken as debugging ports"
    return [(c, r + note + _tooling_note(c, callers)) for c, r in fronts]


def _tooling_note(c: Component, callers: dict[str, list[str]]) -> str:
    tools = sorted(set(callers.get(f"{_TOOLING_KEY}{c.name}", [])))
    return f"; called only by tooling ({', '.join(tools)})" if tools else ""


def _stated(e: Entrypoint) -> Entrypoint:
    if e.reason is not None:
        return e
    where = f" at {e.source}" if e.source else ""
    return e.model_copy(update={"reason": f"entry point `{e.name}` stated{where}"})


def _marked_reason(c: Component) -> str:
    prov = c.provenance.get("entrypoint")
    return f"entrypoint: true in redline.yaml ({prov.source if prov else c.source})"


def _root_reason(c: Component, system: System) -> str:
    callees = sorted({e.to for e in system.calls_from(c.name)})
    return f"nothing is exposed; no caller, calls {', '.join(callees[:_NAMED])}" + (
        f" and {len(callees) - _NAMED} more" if len(callees) > _NAMED else ""
    )


def _name_reason(c: Component, services: dict[str, list[tuple[str, Source]]]) -> str:
    via = ", ".join(f"{label} ({src})" for label, src in services.get(c.name, [])) or "redline.yaml"
    return f"nothing is exposed and no call is known: a front end by its name, reached through {via}"


def _result(tier: Tier, chosen: Iterable[tuple[Component, str]]) -> Inference:
    eps = [
        Entrypoint(name=c.name, component=c.name, source=c.source, inferred=True, reason=reason)
        for c, reason in sorted(chosen, key=lambda pair: pair[0].name)
    ]
    return Inference(eps, tier)
