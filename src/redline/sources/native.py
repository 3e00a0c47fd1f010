"""``redline.yaml``: what infrastructure files cannot say.

Components no infra file defines, calls with timeouts, retries and circuit breakers, capacity
(workers, service time), traffic, SLOs and costs. Values here override inferred ones, and the override is
recorded in ``Component.provenance`` so ``redline scan`` can say which source won.

The file is validated by a pydantic schema (published by ``redline schema``), with unit strings parsed by
:mod:`redline.model.units`. A value that fails costs only itself: :func:`parse` records it as a
``rejected`` skip (file, line, where, what was expected, what was found, a did-you-mean for a misspelt
key), removes it (or the smallest enclosing item that cannot stand without it, such as a call without
``to``) and validates the rest again, a bounded number of times.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from redline.generate.selectors import MAX_SELECTOR, SelectorError
from redline.generate.selectors import parse as parse_selector
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
    MetricsPreset,
    Placement,
    Pool,
    Provenance,
    SkipKind,
    SLIMetrics,
    Source,
    System,
    Unresolved,
)
from redline.model.units import (
    UnitError,
    parse_duration,
    parse_factor,
    parse_percent,
    parse_rate,
    show,
)
from redline.sources.diagnostics import Collector
from redline.sources.yamlio import LineDict, LineList, tag_of

NATIVE_NAMES = ("redline.yaml", "redline.yml", ".redline.yaml", ".redline.yml")

# Upper bounds redline reads (docs/redline-yaml.md); a value past one is a rejected field. They keep every
# engine's work bounded (forecast sums over zones and replicas, multiplies counts and retries) and are at
# or below the bounds the forecast engine itself enforces (redline/forecast/limits.py).
MAX_REPLICAS = 100_000
MAX_WORKERS = 1_000_000
MAX_ZONES = 64
MAX_POOL_SIZE = 100_000
MAX_CALL_COUNT = 1_000
MAX_RETRIES = 100
MAX_RPS = 10_000_000.0
MAX_DURATION_S = 86_400.0
MAX_GROWTH = 1_000_000.0  # as `redline forecast --growth`
MAX_PRICE = 1_000_000.0  # per replica-hour, any currency
MAX_SCV = 100.0
#: Validation rounds before a file that keeps failing is given up on (each round drops at least one value,
#: and one round is enough unless dropping a value uncovers another error).
MAX_ROUNDS = 8
#: Rejected values reported one by one per file; the rest are counted in one last entry.
MAX_REPORTED = 200


def _checked(
    parse: Callable[[Any], float], low: float, high: float, *, low_open: bool, high_open: bool, expected: str
) -> BeforeValidator:
    """A validator that parses with ``parse`` (a :mod:`~redline.model.units` parser) and refuses a result
    outside ``low``..``high`` (open ends excluded) with the units module's message shape."""

    def run(value: Any) -> Any:
        if value is None:
            return None
        try:
            number = parse(value)
            if (
                number < low
                or (low_open and number == low)
                or number > high
                or (high_open and number == high)
            ):
                raise UnitError("out of range", value, expected)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        return number

    return BeforeValidator(run)


def _not_bool(value: Any) -> Any:
    """Refuse ``true``/``false`` where a number is expected (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: expected a number, got {show(value)}")
    return value


def _share_schema(low: str, high: str) -> dict[str, Any]:
    """JSON Schema of a share: a fraction within ``low``/``high`` (JSON Schema keywords) or a percentage."""
    return {
        "anyOf": [
            {"type": "number", low: 0, high: 1},
            {"type": "string", "pattern": "^\\s*[0-9.]+\\s*%\\s*$", "examples": ["99.9%"]},
        ]
    }


_DURATION_SCHEMA: dict[str, Any] = {"type": "string", "examples": ["12ms", "2s", "1m30s"]}


def _duration(value: Any) -> float:
    return parse_duration(value, default_unit=None, allow_zero=False)


#: A duration with its unit (``12ms``, ``2s``, ``1m30s``): a bare number is refused as ambiguous.
Duration = Annotated[
    float,
    _checked(
        _duration,
        0,
        MAX_DURATION_S,
        low_open=True,
        high_open=False,
        expected="a duration above 0 and at most 24h",
    ),
    WithJsonSchema(_DURATION_SCHEMA),
]
#: A share of something: ``25%`` or ``0.25``, 0 to 100 % (a bare number above 1 is refused).
Share = Annotated[
    float,
    _checked(parse_percent, 0, 1, low_open=False, high_open=False, expected="a share from 0% to 100%"),
    WithJsonSchema(_share_schema("minimum", "maximum")),
]
#: An availability: above 0 % and below 100 % (``99.9%`` or ``0.999``).
Availability = Annotated[
    float,
    _checked(
        parse_percent,
        0,
        1,
        low_open=True,
        high_open=True,
        expected="an availability above 0% and below 100%, such as 99.9%",
    ),
    WithJsonSchema(_share_schema("exclusiveMinimum", "exclusiveMaximum")),
]
#: A failure rate: 0 % up to (not including) 100 %; at 100 % every retry fails and none ends.
FailureRate = Annotated[
    float,
    _checked(
        parse_percent, 0, 1, low_open=False, high_open=True, expected="a failure rate from 0% to below 100%"
    ),
    WithJsonSchema(_share_schema("minimum", "exclusiveMaximum")),
]
#: A CPU utilization target: above 0 % up to 100 %.
Target = Annotated[
    float,
    _checked(
        parse_percent, 0, 1, low_open=True, high_open=False, expected="a target above 0% and up to 100%"
    ),
    WithJsonSchema(_share_schema("exclusiveMinimum", "maximum")),
]


def _overhead(value: Any) -> float:
    return parse_duration(value, default_unit=None, allow_zero=True)


#: A duration that may be 0 (``0ms``, ``0.4ms``): what a call costs outside the callee.
Overhead = Annotated[
    float,
    _checked(
        _overhead, 0, MAX_DURATION_S, low_open=False, high_open=False, expected="a duration from 0 to 24h"
    ),
    WithJsonSchema(_DURATION_SCHEMA),
]
Rate = Annotated[
    float,
    _checked(
        parse_rate, 0, MAX_RPS, low_open=False, high_open=False, expected=f"a rate from 0 to {MAX_RPS:.0f}/s"
    ),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_RPS},
                {"type": "string", "examples": ["300", "300/s", "18000/min"]},
            ]
        }
    ),
]
GrowthFactor = Annotated[
    float,
    _checked(
        parse_factor,
        0,
        MAX_GROWTH,
        low_open=True,
        high_open=False,
        expected=f"a growth factor above 0 and at most {MAX_GROWTH:.0f}",
    ),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_GROWTH},
                {"type": "string", "examples": ["10x"]},
            ]
        }
    ),
]
Whole = Annotated[int, BeforeValidator(_not_bool)]
Replicas = Annotated[int, BeforeValidator(_not_bool), Field(ge=0, le=MAX_REPLICAS)]
Workers = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=MAX_WORKERS)]
Number = Annotated[float, BeforeValidator(_not_bool)]


def _kind_key(value: Any) -> Any:
    if value != "default" and value not in {k.value for k in Kind}:
        kinds = ", ".join(k.value for k in Kind)
        raise ValueError(f"not a kind: expected default or one of {kinds}, got {show(value)}")
    return value


def _per_kind(value: Any) -> Any:
    """A default given once (``workers: 8``) applies to every kind: ``{default: 8}``."""
    return value if isinstance(value, dict) else {"default": value}


KindKey = Annotated[str, BeforeValidator(_kind_key)]


def _per_kind_schema(scalar: dict[str, Any]) -> WithJsonSchema:
    kinds = ["default", *(k.value for k in Kind)]
    per_kind = {"type": "object", "propertyNames": {"enum": kinds}, "additionalProperties": scalar}
    return WithJsonSchema({"anyOf": [scalar, per_kind]})


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    #: What one of these is, for messages ("unknown key: expected a key of a call, ...").
    what: ClassVar[str] = "redline.yaml"


class CallSpec(_Spec):
    """A call from this component to another, per request this component serves."""

    what: ClassVar[str] = "a call"

    to: str = Field(min_length=1)
    count: Number | None = Field(
        default=None, gt=0, le=MAX_CALL_COUNT, description="calls per request (fractions allowed)"
    )
    timeout: Duration | None = None
    retries: Whole | None = Field(default=None, ge=0, le=MAX_RETRIES)
    backoff: bool | None = None
    jitter: bool | None = None
    circuit_breaker: bool | None = None
    parallel: bool | None = Field(
        default=None, description="issued in parallel with the other parallel calls"
    )
    pool: str | None = Field(default=None, description="the connection pool (see `pools`) the call uses")
    failure_rate: FailureRate | None = Field(
        default=None, description="share of attempts that fail and are retried"
    )
    overhead: Overhead | None = Field(
        default=None,
        description="time per call outside the callee (network, protocol), both ways; the caller holds it",
    )
    protocol: str | None = None


class PoolSpec(_Spec):
    what: ClassVar[str] = "a pool"

    name: str = Field(min_length=1)
    size: Whole | None = Field(default=None, ge=1, le=MAX_POOL_SIZE)
    to: list[str] = Field(default_factory=list)


class CostSpec(_Spec):
    what: ClassVar[str] = "a cost"

    replica_hour: Number | None = Field(
        default=None, ge=0, le=MAX_PRICE, description="price of one replica for an hour"
    )
    currency: str = "USD"


class AutoscalingSpec(_Spec):
    what: ClassVar[str] = "an autoscaling"

    min: Replicas | None = None
    max: Whole | None = Field(default=None, ge=1, le=MAX_REPLICAS)
    target_cpu: Target | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingSpec:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min above max: expected min <= max, got min {self.min} and max {self.max}")
        return self


class ComponentSpec(_Spec):
    """One component: everything optional, so a file may state only what it knows."""

    what: ClassVar[str] = "a component"

    kind: Kind | None = None
    engine: str | None = None
    replicas: Replicas | None = None
    workers: Workers | None = Field(default=None, description="requests one replica serves concurrently")
    service_time: Duration | None = Field(
        default=None, description="mean time a request holds a worker, excluding downstream calls"
    )
    service_time_scv: Number | None = Field(
        default=None, ge=0, le=MAX_SCV, description="squared coefficient of variation of service time"
    )
    async_: bool | None = Field(
        default=None, alias="async", description="workers are not held while downstream calls run"
    )
    cache_hit_ratio: Share | None = None
    read_ratio: Share | None = Field(
        default=None, description="share of a datastore's requests that are reads"
    )
    read_replicas: Replicas | None = Field(
        default=None, description="replicas serving reads only (datastores)"
    )
    availability: Availability | None = None
    zones: Whole | None = Field(default=None, ge=1, le=MAX_ZONES)
    cost: CostSpec | None = None
    autoscaling: AutoscalingSpec | None = None
    pools: list[PoolSpec] = Field(default_factory=list)
    calls: list[CallSpec] = Field(default_factory=list)
    ignore_calls: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="callees whose inferred calls from this component are wrong: the edges are dropped",
    )
    entrypoint: bool | None = Field(
        default=None,
        description="false: never an inferred entry point; true: always one (when none is stated)",
    )
    tooling: bool | None = Field(
        default=None,
        description="drives or watches the system (load generator, dashboard, admin UI), does not serve it",
    )


class EntrypointSpec(_Spec):
    what: ClassVar[str] = "an entry point"

    name: str = Field(min_length=1)
    component: str = Field(min_length=1)
    rps: Rate | None = None


class LatencySpec(_Spec):
    what: ClassVar[str] = "a latency objective (p50, p90, p95, p99, p999)"

    p50: Duration | None = None
    p90: Duration | None = None
    p95: Duration | None = None
    p99: Duration | None = None
    p999: Duration | None = None


def _selector(value: Any) -> Any:
    """A PromQL series selector (redline/generate/selectors.py): refused here, with its line, if not one."""
    if value is None or not isinstance(value, str):
        return value
    try:
        parse_selector(value)
    except SelectorError as exc:
        raise ValueError(f"not a series selector: {exc}") from None
    return value


#: A PromQL series selector, such as ``http_requests_total{job="$service"}``.
SeriesSelector = Annotated[
    str,
    BeforeValidator(_selector),
    Field(min_length=1, max_length=MAX_SELECTOR),
]


def _preset_or_spec(value: Any) -> Any:
    """``metrics: ingress-nginx`` is ``metrics: {preset: ingress-nginx}``."""
    return {"preset": value} if isinstance(value, str) else value


class SliMetricsSpec(_Spec):
    """Where an entry point's SLIs are measured: a preset, selectors that override it, or both."""

    what: ClassVar[str] = "SLI metrics (preset, requests, errors, latency, latency_unit)"

    preset: MetricsPreset | None = Field(default=None, description="an exporter's metrics (docs/generate.md)")
    requests: SeriesSelector | None = Field(default=None, description="counter of all requests")
    errors: SeriesSelector | None = Field(default=None, description="counter of failed requests")
    latency: SeriesSelector | None = Field(
        default=None, description="a latency histogram's _bucket series (without le)"
    )
    latency_unit: Literal["s", "ms"] | None = Field(
        default=None, description="unit of the histogram's le bounds (default s; the istio preset: ms)"
    )


PerEntrypointMetrics = Annotated[
    SliMetricsSpec, BeforeValidator(_preset_or_spec, json_schema_input_type=MetricsPreset | SliMetricsSpec)
]


class MetricsSpec(SliMetricsSpec):
    what: ClassVar[str] = "SLI metrics (preset, requests, errors, latency, latency_unit, entrypoints)"

    entrypoints: dict[str, PerEntrypointMetrics] = Field(
        default_factory=dict, description="per entry point, by name: wins over the values above"
    )


class SloSpec(_Spec):
    what: ClassVar[str] = "an SLO"

    availability: Availability | None = None
    latency: LatencySpec | None = None
    metrics: (
        Annotated[
            MetricsSpec, BeforeValidator(_preset_or_spec, json_schema_input_type=MetricsPreset | MetricsSpec)
        ]
        | None
    ) = Field(default=None, description="where the SLIs are measured, for `redline generate`")


class GrowthSpec(_Spec):
    what: ClassVar[str] = "a growth"

    factor: GrowthFactor | None = None


class DefaultsSpec(_Spec):
    """Defaults engines apply to components that do not state a value: one value for every kind, or a
    mapping from kind (or ``default``) to a value."""

    what: ClassVar[str] = "defaults (availability, workers, service_time, call_overhead, cost)"

    availability: (
        Annotated[
            dict[KindKey, Availability],
            BeforeValidator(_per_kind),
            _per_kind_schema(_share_schema("exclusiveMinimum", "exclusiveMaximum")),
        ]
        | None
    ) = None
    workers: (
        Annotated[
            dict[KindKey, Workers],
            BeforeValidator(_per_kind),
            _per_kind_schema({"type": "integer", "minimum": 1, "maximum": MAX_WORKERS}),
        ]
        | None
    ) = None
    service_time: (
        Annotated[dict[KindKey, Duration], BeforeValidator(_per_kind), _per_kind_schema(_DURATION_SCHEMA)]
        | None
    ) = None
    call_overhead: Overhead | None = Field(
        default=None, description="overhead of every call that states none (default 0: not modeled)"
    )
    cost: CostSpec | None = None


class NativeFile(_Spec):
    """The schema of redline.yaml."""

    name: str | None = None
    slo: SloSpec | None = None
    entrypoints: list[EntrypointSpec] = Field(default_factory=list)
    growth: GrowthSpec | None = None
    defaults: DefaultsSpec | None = Field(
        default=None, description="defaults for engines (availability, workers, service_time per kind; cost)"
    )
    components: dict[str, ComponentSpec | None] = Field(default_factory=dict)

    #: The document as validated, less what was rejected (lines and original list positions kept).
    _data: Any = PrivateAttr(default=None)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of redline.yaml, for editors (``redline schema``)."""
    schema = NativeFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "redline.yaml"
    return schema


# Validation that costs a bad value only itself.

_PROBLEM = {
    "less_than_equal": "too large",
    "less_than": "too large",
    "greater_than": "too small",
    "greater_than_equal": "too small",
    "int_type": "not a whole number",
    "int_parsing": "not a whole number",
    "int_from_float": "not a whole number",
    "float_type": "not a number",
    "float_parsing": "not a number",
    "finite_number": "not a finite number",
    "bool_type": "not true or false",
    "bool_parsing": "not true or false",
    "string_type": "not a string",
    "string_too_short": "empty",
    "dict_type": "not a mapping",
    "model_type": "not a mapping",
    "model_attributes_type": "not a mapping",
    "list_type": "not a list",
    "enum": "not a known value",
    "recursion_loop": "refers to itself",
}


class _Items(LineList):
    """A list being validated: remembers each item's position in the file, so that once an earlier item
    is dropped, messages still say ``calls.2`` for the file's third call."""

    __slots__ = ("orig",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.orig: list[int] = []


def _copy(node: Any, memo: dict[int, Any]) -> Any:
    """A copy of the document's containers (values shared), with lines; aliased nodes stay shared."""
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, dict):
        mapping = LineDict()
        memo[id(node)] = mapping
        if isinstance(node, LineDict):
            mapping.line, mapping.key_lines = node.line, dict(node.key_lines)
        for key, value in node.items():
            mapping[key] = _copy(value, memo)
        return mapping
    if isinstance(node, list):
        items = _Items()
        memo[id(node)] = items
        items.line = getattr(node, "line", None)
        items.item_lines = list(getattr(node, "item_lines", []))
        items.orig = list(range(len(node)))
        items.extend(_copy(value, memo) for value in node)
        return items
    return node


def _child(node: Any, part: Any) -> tuple[bool, Any]:
    """``node[part]`` when it exists (``part`` as pydantic wrote it: a key, an index, or a key's text)."""
    if isinstance(node, dict):
        if isinstance(part, str | int) and part in node:
            return True, node[part]
        for key in node:  # a key pydantic could only write as text (a tagged key, a float)
            if str(key) == str(part):
                return True, node[key]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def _key(node: Any, part: Any) -> Any:
    """The key or index of ``node`` that ``part`` names (see :func:`_child`)."""
    if isinstance(node, dict) and not (isinstance(part, str | int) and part in node):
        return next(key for key in node if str(key) == str(part))
    return part


def _existing(work: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The longest prefix of ``loc`` present in the document, as keys and indexes of the document."""
    path: list[Any] = []
    node = work
    for part in loc:
        found, child = _child(node, part)
        if not found:
            break
        path.append(_key(node, part))
        node = child
    return tuple(path)


def _where(work: Any, path: tuple[Any, ...]) -> str:
    """``components.api.calls.2``: ``path`` with list positions as the file has them."""
    parts: list[str] = []
    node = work
    for part in path:
        parts.append(str(node.orig[part]) if isinstance(node, _Items) else str(part))
        node = node[part]
    return ".".join(parts)


def _line(work: Any, path: tuple[Any, ...]) -> int | None:
    """The line of the deepest node on ``path`` that has one."""
    line = getattr(work, "line", None)
    node = work
    for part in path:
        found, child = _child(node, part)
        if not found:
            break
        if isinstance(node, LineDict):
            line = node.key_lines.get(_key(node, part), line)
        elif isinstance(node, LineList) and part < len(node.item_lines):
            line = node.item_lines[part]
        node = child
    return line


def _found(value: Any) -> str:
    tag = tag_of(value)
    return f"{show(value)} (tagged {tag})" if tag else show(value)


def _spec_at(path: tuple[Any, ...]) -> type[_Spec] | None:
    """The schema class that the node at ``path`` is validated as (``None`` for lists, maps, values)."""
    tp: Any = NativeFile
    for part in path:
        tp = _strip(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = _fields(tp).get(part)
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) in (list, dict):
            tp = get_args(tp)[-1]
        else:
            return None
    tp = _strip(tp)
    return tp if isinstance(tp, type) and issubclass(tp, _Spec) else None


def _strip(tp: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` as ``X``."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or (origin is not None and type(None) in get_args(tp)):
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def _fields(spec: type[BaseModel]) -> dict[str, Any]:
    """A schema class's fields by the key a file writes (``async``, not ``async_``)."""
    return {field.alias or name: field for name, field in spec.model_fields.items()}


class _Rejection:
    """One value refused: where it is, what was wrong, and what is dropped for it."""

    def __init__(self, work: Any, err: Any) -> None:
        loc = tuple(err["loc"])
        path = _existing(work, loc)
        self.where = _where(work, path)
        self.line = _line(work, path)
        if err["type"] == "extra_forbidden":
            self.message = _unknown_key(path)
        elif err["type"] == "missing":
            spec = _spec_at(path)
            what = spec.what if spec else "this item"
            self.message = f"missing key: expected {what} to state {loc[len(path)]!r}, got none"
        else:
            self.message = _message(err)
        # A required key that fails takes its item with it (a call is nothing without ``to``).
        self.drop = path
        if err["type"] not in ("extra_forbidden", "missing") and path:
            spec = _spec_at(path[:-1])
            field = _fields(spec).get(path[-1]) if spec else None
            if field is not None and field.is_required():
                self.drop = path[:-1]
        if self.drop != path:
            self.message += f"; {_where(work, self.drop)} dropped, it cannot stand without it"
        elif err["type"] == "missing":
            self.message += "; dropped"


def _unknown_key(path: tuple[Any, ...]) -> str:
    spec = _spec_at(path[:-1])
    key = str(path[-1]) if path else ""
    known = list(_fields(spec)) if spec else []
    message = f"unknown key: expected a key of {spec.what if spec else 'this item'}, got {key!r}"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    return f"{message}; known keys: {', '.join(known)}" if known else message


def _message(err: Any) -> str:
    """A pydantic error in the units module's shape, ``<problem>: expected <what>, got <value>``."""
    if err["type"] == "value_error":
        return str(err["ctx"]["error"])
    problem = _PROBLEM.get(err["type"], err["type"].replace("_", " "))
    msg = err["msg"].removeprefix("Input should be ").removeprefix("String should have ")
    expected = msg.split(" or instance of ")[0]
    if expected.startswith(("less", "greater")):
        expected = f"a value {expected}"
    message = f"{problem}: expected {expected}, got {_found(err.get('input'))}"
    if err["type"] == "enum" and isinstance(err.get("input"), str):
        close = difflib.get_close_matches(err["input"], [k.value for k in Kind], n=1, cutoff=0.6)
        message += f"; did you mean {close[0]!r}?" if close else ""
    return message


def _drop(work: Any, paths: list[tuple[Any, ...]]) -> int:
    """Remove each path's node from the document; the number removed. List items go last-first, so an
    index still names the same item when it is reached."""
    targets: dict[int, tuple[Any, set[Any]]] = {}
    for path in paths:
        node = work
        for part in path[:-1]:
            found, node = _child(node, part)
            if not found:
                break
        else:
            if path and _child(node, path[-1])[0]:
                targets.setdefault(id(node), (node, set()))[1].add(path[-1])
    removed = 0
    for node, keys in targets.values():
        if isinstance(node, _Items):
            for i in sorted(keys, reverse=True):
                del node[i], node.orig[i]
                if i < len(node.item_lines):
                    del node.item_lines[i]
        else:
            for key in keys:
                del node[key]
                node.key_lines.pop(key, None)
        removed += len(keys)
    return removed


def parse(data: Any, rel: str, out: Collector) -> NativeFile | None:
    """Validate a redline.yaml document, keeping every value that passes.

    Each refused value goes to ``out`` as a ``rejected`` skip with file:line and is dropped (with the
    smallest item that cannot stand without it); the rest is validated again, at most
    :data:`MAX_ROUNDS` times. ``None`` only when the top level is not a mapping or the rounds run out.
    """
    if not isinstance(data, dict):
        line = getattr(data, "line", None) or 1
        reason = f"redline.yaml: not a mapping: expected a mapping at the top level, got {_found(data)}"
        out.skip(rel, reason, line=line, kind=SkipKind.REJECTED)
        return None
    work = _copy(data, {})
    reported = 0
    for _ in range(MAX_ROUNDS):
        try:
            spec = NativeFile.model_validate(work)
        except ValidationError as exc:
            rejections = [_Rejection(work, err) for err in exc.errors(include_url=False)]
            rejections.sort(key=lambda r: r.line or 0)  # in file order (stable: schema order within a line)
            for r in rejections:
                if reported < MAX_REPORTED:
                    out.skip(
                        rel, f"redline.yaml: {r.where}: {r.message}", line=r.line, kind=SkipKind.REJECTED
                    )
                reported += 1
            if not _drop(work, [r.drop for r in rejections]):
                break
            continue
        if reported > MAX_REPORTED:
            more = f"redline.yaml: {reported - MAX_REPORTED} more rejected values, not listed one by one"
            out.skip(rel, more, kind=SkipKind.REJECTED)
        spec._data = work
        return spec
    out.skip(
        rel,
        "redline.yaml: still invalid after dropping every rejected value; not applied",
        line=1,
        kind=SkipKind.REJECTED,
    )
    return None


def apply(system: System, spec: NativeFile, data: LineDict, rel: str, out: Collector) -> None:
    """Overlay a validated redline.yaml onto the scanned system.

    ``data`` is the document :func:`parse` read; the lines come from the copy it validated, where
    rejected values are gone, so every position in ``spec`` has the file line of its own item.
    """
    work = spec._data if spec._data is not None else data

    def src(*path: int | str) -> Source:
        return Source(file=rel, line=_line(work, path))

    if spec.name:
        system.name = spec.name
    if spec.slo:
        latency = {
            k: v
            for k, v in (spec.slo.latency.model_dump() if spec.slo.latency else {}).items()
            if v is not None
        }
        system.slo = SLO(availability=spec.slo.availability, latency_s=latency, source=src("slo"))
        if spec.slo.metrics is not None:
            system.slo.metrics = _sli_metrics(spec.slo.metrics, src("slo", "metrics"))
            system.slo.entrypoint_metrics = {
                name: _sli_metrics(m, src("slo", "metrics", "entrypoints", name))
                for name, m in spec.slo.metrics.entrypoints.items()
            }
    if spec.growth and spec.growth.factor is not None:
        system.growth = Growth(factor=spec.growth.factor, source=src("growth"))
    if spec.defaults is not None:
        system.defaults.update(spec.defaults.model_dump(exclude_none=True))

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
        for i, callee in enumerate((cspec or ComponentSpec()).ignore_calls):
            loc = ("components", name, "ignore_calls", i)
            for comp in resolved[name]:
                _ignore_call(system, comp, callee, src(*loc), _where(work, loc), out)
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
                    at = _where(work, ("components", name, "calls", i))
                    out.warn(rel, where.line, f"{at}: {call.to!r} is not a known component")
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
                rel,
                f"redline.yaml: entrypoints[{i}]: {ep.component!r} names {problem}",
                line=where.line,
                kind=SkipKind.REJECTED,
            )
            continue
        system.entrypoints.append(
            Entrypoint(name=ep.name, component=matches[0].name, rps=ep.rps, source=where)
        )


def _sli_metrics(spec: SliMetricsSpec, where: Source) -> SLIMetrics:
    return SLIMetrics(
        preset=spec.preset,
        requests=spec.requests,
        errors=spec.errors,
        latency=spec.latency,
        latency_unit=spec.latency_unit,
        source=where,
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
    "entrypoint": "entrypoint",
    "tooling": "tooling",
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


def _ignore_call(
    system: System, comp: Component, callee: str, where: Source, at: str, out: Collector
) -> None:
    """Drop ``comp``'s inferred edges to ``callee`` (a name or alias), saying what went with file:line."""
    targets = {t.name for t in _match(system, callee)}
    dropped = [e for e in system.calls_from(comp.name) if e.to in targets]
    if not dropped:
        out.warn(
            where.file,
            where.line,
            f"{at}: no inferred call from {comp.name} to {callee!r}: expected a callee scan found, "
            f"got {'a component it does not call' if targets else 'no component of that name'}",
        )
        return
    gone = {id(e) for e in dropped}
    system.edges = [e for e in system.edges if id(e) not in gone]
    for e in dropped:
        first = e.evidence[0] if e.evidence else None
        why = f" ({first.reason} at {first.source})" if first else ""
        out.warn(where.file, where.line, f"{at}: dropped the inferred call {e.from_} -> {e.to}{why}")


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
        "overhead",
    ):
        value = getattr(call, field)
        if value is not None:
            setattr(edge, {"timeout": "timeout_s", "overhead": "overhead_s"}.get(field, field), value)
