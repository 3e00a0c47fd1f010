"""``redline.yaml``: what infrastructure files cannot say.

Components no infra file defines, calls with timeouts, retries and circuit breakers, capacity
(workers, service time), traffic, SLOs and costs. Values here override inferred ones, and the override is
recorded in ``Component.provenance`` so ``redline scan`` can say which source won.

The file is validated by a pydantic schema (published by ``redline schema``), with unit strings parsed by
:mod:`redline.model.units`; every validation error names the file and line.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from redline.model import (
    SLO,
    Autoscaling,
    Component,
    Cost,
    Edge,
    Entrypoint,
    Evidence,
    Growth,
    Kind,
    Placement,
    Pool,
    Provenance,
    Source,
    System,
    Unresolved,
)
from redline.model.units import UnitError, parse_duration, parse_percent, parse_rate
from redline.sources.diagnostics import Collector
from redline.sources.yamlio import LineDict, LineList

NATIVE_NAMES = ("redline.yaml", "redline.yml", ".redline.yaml", ".redline.yml")


def _unit(parse: Any) -> Any:
    def run(value: Any) -> Any:
        if value is None:
            return None
        try:
            return parse(value)
        except UnitError as exc:
            raise ValueError(str(exc)) from None

    return BeforeValidator(run)


def _growth(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower().endswith("x"):
        value = value.strip()[:-1]
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a growth factor such as 10 or 10x, got {value!r}") from None


Duration = Annotated[
    float,
    _unit(parse_duration),
    Field(gt=0),
    WithJsonSchema(
        {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string", "examples": ["12ms", "2s"]}]}
    ),
]
Fraction = Annotated[
    float,
    _unit(parse_percent),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 100},
                {"type": "string", "examples": ["99.9%"]},
            ]
        }
    ),
]
Rate = Annotated[
    float,
    _unit(parse_rate),
    Field(ge=0),
    WithJsonSchema(
        {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "examples": ["300", "18000/min"]}]}
    ),
]
GrowthFactor = Annotated[
    float,
    BeforeValidator(_growth),
    Field(gt=0),
    WithJsonSchema(
        {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string", "examples": ["10x"]}]}
    ),
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CallSpec(_Spec):
    """A call from this component to another, per request this component serves."""

    to: str = Field(min_length=1)
    count: float | None = Field(default=None, gt=0, description="calls per request (fractions allowed)")
    timeout: Duration | None = None
    retries: int | None = Field(default=None, ge=0, le=100)
    backoff: bool | None = None
    jitter: bool | None = None
    circuit_breaker: bool | None = None
    parallel: bool | None = Field(
        default=None, description="issued in parallel with the other parallel calls"
    )
    pool: str | None = Field(default=None, description="the connection pool (see `pools`) the call uses")
    failure_rate: Fraction | None = Field(
        default=None, description="share of attempts that fail and are retried"
    )
    protocol: str | None = None


class PoolSpec(_Spec):
    name: str
    size: int | None = Field(default=None, ge=1)
    to: list[str] = Field(default_factory=list)


class CostSpec(_Spec):
    replica_hour: float | None = Field(default=None, ge=0)
    currency: str = "USD"


class AutoscalingSpec(_Spec):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=1)
    target_cpu: Fraction | None = None


class ComponentSpec(_Spec):
    """One component: everything optional, so a file may state only what it knows."""

    kind: Kind | None = None
    engine: str | None = None
    replicas: int | None = Field(default=None, ge=0)
    workers: int | None = Field(default=None, ge=1, description="requests one replica serves concurrently")
    service_time: Duration | None = Field(
        default=None, description="mean time a request holds a worker, excluding downstream calls"
    )
    service_time_scv: float | None = Field(
        default=None, ge=0, description="squared coefficient of variation of service time"
    )
    async_: bool | None = Field(
        default=None, alias="async", description="workers are not held while downstream calls run"
    )
    cache_hit_ratio: Fraction | None = None
    read_ratio: Fraction | None = Field(
        default=None, description="share of a datastore's requests that are reads"
    )
    read_replicas: int | None = Field(
        default=None, ge=0, description="replicas serving reads only (datastores)"
    )
    availability: Fraction | None = None
    zones: int | None = Field(default=None, ge=1)
    cost: CostSpec | None = None
    autoscaling: AutoscalingSpec | None = None
    pools: list[PoolSpec] = Field(default_factory=list)
    calls: list[CallSpec] = Field(default_factory=list)


class EntrypointSpec(_Spec):
    name: str
    component: str
    rps: Rate | None = None


class LatencySpec(_Spec):
    p50: Duration | None = None
    p90: Duration | None = None
    p95: Duration | None = None
    p99: Duration | None = None
    p999: Duration | None = None


class SloSpec(_Spec):
    availability: Fraction | None = None
    latency: LatencySpec | None = None


class GrowthSpec(_Spec):
    factor: GrowthFactor | None = None


class NativeFile(_Spec):
    """The schema of redline.yaml."""

    name: str | None = None
    slo: SloSpec | None = None
    entrypoints: list[EntrypointSpec] = Field(default_factory=list)
    growth: GrowthSpec | None = None
    defaults: dict[str, Any] = Field(
        default_factory=dict, description="defaults for engines (availability per kind, cost, ...)"
    )
    components: dict[str, ComponentSpec | None] = Field(default_factory=dict)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of redline.yaml, for editors (``redline schema``)."""
    schema = NativeFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "redline.yaml"
    return schema


def _line_at(data: Any, loc: tuple[int | str, ...]) -> int | None:
    """The line of the deepest node on ``loc`` that has one."""
    line = getattr(data, "line", None)
    node = data
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part] if part < len(node.item_lines) else line
            node = node[part]
        else:
            break
    return line


def parse(data: Any, rel: str, out: Collector) -> NativeFile | None:
    """Validate a redline.yaml document. Errors go to ``out`` as skipped entries with file:line."""
    if not isinstance(data, dict):
        out.skip(rel, "redline.yaml must be a mapping at the top level", line=1)
        return None
    try:
        return NativeFile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc if p not in ("function-before", "function-after"))
            msg = err["msg"].removeprefix("Value error, ")
            out.skip(rel, f"redline.yaml: {where}: {msg}", line=_line_at(data, loc))
        return None


def apply(system: System, spec: NativeFile, data: LineDict, rel: str, out: Collector) -> None:
    """Overlay a validated redline.yaml onto the scanned system."""

    def src(*path: int | str) -> Source:
        return Source(file=rel, line=_line_at(data, path))

    if spec.name:
        system.name = spec.name
    if spec.slo:
        latency = {
            k: v
            for k, v in (spec.slo.latency.model_dump() if spec.slo.latency else {}).items()
            if v is not None
        }
        system.slo = SLO(availability=spec.slo.availability, latency_s=latency, source=src("slo"))
    if spec.growth and spec.growth.factor is not None:
        system.growth = Growth(factor=spec.growth.factor, source=src("growth"))
    system.defaults.update(spec.defaults)

    by_name = {c.name: c for c in system.components}
    resolved: dict[str, list[Component]] = {}
    for name, cspec in spec.components.items():
        cspec = cspec or ComponentSpec()
        matches = _match(system, name)
        if not matches:
            comp = Component(
                name=name,
                kind=cspec.kind or Kind.SERVICE,
                kind_reason="stated in redline.yaml"
                if cspec.kind
                else "default (not stated in redline.yaml)",
                engine=cspec.engine,
                platform="redline",
                source=src("components", name),
            )
            system.components.append(comp)
            by_name[name] = comp
            matches = [comp]
        elif len(matches) > 1:
            out.warn(
                rel,
                src("components", name).line,
                f"component {name!r} matches {len(matches)} components "
                f"({', '.join(c.name for c in matches)}); applied to all",
            )
        resolved[name] = matches
        for comp in matches:
            _apply_component(comp, cspec, src, name)

    for name, cspec in spec.components.items():
        for i, call in enumerate((cspec or ComponentSpec()).calls):
            targets = _match(system, call.to)
            where = src("components", name, "calls", i)
            for comp in resolved[name]:
                if not targets:
                    system.unresolved.append(
                        Unresolved(
                            **{
                                "from": comp.name,
                                "host": call.to,
                                "reason": f"redline.yaml: call to {call.to!r}, a component defined nowhere",
                                "source": where,
                            }
                        )
                    )
                    out.warn(
                        rel, where.line, f"components.{name}.calls[{i}]: {call.to!r} is not a known component"
                    )
                    continue
                target = _closest(comp, targets)
                _apply_call(system, comp, target, call, where)

    for i, ep in enumerate(spec.entrypoints):
        matches = _match(system, ep.component)
        where = src("entrypoints", i)
        if len(matches) != 1:
            problem = (
                "no component"
                if not matches
                else f"{len(matches)} components ({', '.join(c.name for c in matches)})"
            )
            out.skip(
                rel, f"redline.yaml: entrypoints[{i}]: {ep.component!r} names {problem}", line=where.line
            )
            continue
        system.entrypoints.append(
            Entrypoint(name=ep.name, component=matches[0].name, rps=ep.rps, source=where)
        )


def _match(system: System, name: str) -> list[Component]:
    exact = [c for c in system.components if c.name == name]
    if exact:
        return exact
    return [c for c in system.components if c.name.rsplit("/", 1)[-1] == name or name in c.aliases]


def _closest(comp: Component, targets: list[Component]) -> Component:
    """Among same-named targets, the one in the caller's own group."""
    same = [t for t in targets if t.group == comp.group and t.platform == comp.platform]
    return (same or targets)[0]


_FIELDS = {
    "kind": "kind",
    "engine": "engine",
    "replicas": "replicas",
    "workers": "workers",
    "service_time": "service_time_s",
    "service_time_scv": "service_time_scv",
    "async_": "async_",
    "cache_hit_ratio": "cache_hit_ratio",
    "read_ratio": "read_ratio",
    "read_replicas": "read_replicas",
    "availability": "availability",
}


def _apply_component(comp: Component, cspec: ComponentSpec, src: Any, name: str) -> None:
    stated = cspec.model_dump(exclude_unset=True)
    for key, attr in _FIELDS.items():
        if key not in stated or stated[key] is None:
            continue
        value = getattr(cspec, key)
        old = getattr(comp, attr)
        yaml_key = "async" if key == "async_" else key
        where = src("components", name, yaml_key)
        overrode = None
        if old is not None and old != value and comp.platform != "redline":
            overrode = f"{comp.platform} {comp.source} said {old.value if isinstance(old, Kind) else old}"
        setattr(comp, attr, value)
        comp.provenance[attr] = Provenance(source=where, origin="redline.yaml", overrode=overrode)
        if key == "kind":
            comp.kind_reason = "stated in redline.yaml"
    if cspec.cost is not None:
        comp.cost = Cost(
            replica_hour=cspec.cost.replica_hour,
            currency=cspec.cost.currency,
            source=src("components", name, "cost"),
        )
    if cspec.zones is not None:
        placement = comp.placement or Placement()
        placement.zones = cspec.zones
        comp.placement = placement
        comp.provenance["zones"] = Provenance(source=src("components", name, "zones"), origin="redline.yaml")
    if cspec.autoscaling is not None:
        a = cspec.autoscaling
        old_auto = comp.autoscaling
        comp.autoscaling = Autoscaling(
            name=old_auto.name if old_auto else None,
            min_replicas=a.min if a.min is not None else (old_auto.min_replicas if old_auto else None),
            max_replicas=a.max if a.max is not None else (old_auto.max_replicas if old_auto else None),
            target_cpu_utilization=a.target_cpu
            if a.target_cpu is not None
            else (old_auto.target_cpu_utilization if old_auto else None),
            metrics=old_auto.metrics if old_auto else [],
            source=src("components", name, "autoscaling"),
        )
        comp.provenance["autoscaling"] = Provenance(
            source=src("components", name, "autoscaling"),
            origin="redline.yaml",
            overrode=f"HPA {old_auto.source}" if old_auto and old_auto.source else None,
        )
    for i, p in enumerate(cspec.pools):
        comp.pools.append(Pool(name=p.name, size=p.size, to=p.to, source=src("components", name, "pools", i)))


def _apply_call(system: System, comp: Component, target: Component, call: CallSpec, where: Source) -> None:
    edge = next((e for e in system.edges if e.from_ == comp.name and e.to == target.name), None)
    if edge is None:
        edge = Edge(**{"from": comp.name, "to": target.name})
        system.edges.append(edge)
    edge.evidence.insert(
        0, Evidence(reason=f"redline.yaml calls {call.to}", kind="declared", confidence=1.0, source=where)
    )
    edge.confidence = 1.0
    edge.startup_only = False
    edge.source = where
    for field in (
        "protocol",
        "count",
        "timeout",
        "retries",
        "backoff",
        "jitter",
        "circuit_breaker",
        "parallel",
        "pool",
        "failure_rate",
    ):
        value = getattr(call, field)
        if value is not None:
            setattr(edge, "timeout_s" if field == "timeout" else field, value)
