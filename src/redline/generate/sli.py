"""Where an entry point's SLIs are measured: presets for common exporters, selectors from redline.yaml.

``slo.metrics`` names a preset, selectors, or both (a selector wins over the preset's); per entry point
values win over the system-wide ones. Placeholders in a selector (``$namespace``) are filled from the
entry point's component: its namespace, the Service that selects it, the Ingress that routes to that
Service, its Compose project. A placeholder with no value, or a signal with no selector, is reported and
no rule is written for it: redline never guesses a metric name.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from redline.generate.selectors import Matcher, Selector, SelectorError, parse
from redline.model import SLO, Component, Entrypoint, MetricsPreset, SLIMetrics, System

__all__ = ["PRESETS", "Objective", "Preset", "Sli", "le_text", "objectives", "resolve_sli"]

Unit = Literal["s", "ms"]


@dataclass(frozen=True)
class Preset:
    """An exporter's request metrics: what it counts, and the histogram buckets it ships by default."""

    title: str
    requests: str
    errors: str
    latency: str
    unit: Unit
    buckets: tuple[float, ...]


_NGINX = 'namespace="$namespace", ingress="$ingress"'
_ISTIO = (
    'reporter="destination", destination_service_namespace="$namespace", destination_service_name="$service"'
)

#: The selectors each preset expands to (docs/generate.md shows them).
PRESETS: dict[MetricsPreset, Preset] = {
    MetricsPreset.INGRESS_NGINX: Preset(
        title="ingress-nginx controller metrics",
        requests=f"nginx_ingress_controller_requests{{{_NGINX}}}",
        errors=f'nginx_ingress_controller_requests{{{_NGINX}, status=~"5.."}}',
        latency=f"nginx_ingress_controller_request_duration_seconds_bucket{{{_NGINX}}}",
        unit="s",
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    ),
    MetricsPreset.ISTIO: Preset(
        title="Istio standard metrics",
        requests=f"istio_requests_total{{{_ISTIO}}}",
        errors=f'istio_requests_total{{{_ISTIO}, response_code=~"5.."}}',
        latency=f"istio_request_duration_milliseconds_bucket{{{_ISTIO}}}",
        unit="ms",
        buckets=(0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000),
    ),
    MetricsPreset.OTEL_HTTP: Preset(
        title="OpenTelemetry HTTP server metrics (semantic conventions)",
        requests='http_server_request_duration_seconds_count{job="$service"}',
        errors='http_server_request_duration_seconds_count{job="$service", http_response_status_code=~"5.."}',
        latency='http_server_request_duration_seconds_bucket{job="$service"}',
        unit="s",
        buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10),
    ),
}


@dataclass(frozen=True)
class Objective:
    """One SLO of an entry point: availability, or a share of requests faster than a latency limit."""

    key: str  # availability, latency-p95
    target: Decimal  # 0.999; 0.95 for p95
    limit_s: float | None = None  # latency objectives: the limit in seconds
    percentile: str | None = None  # p95

    @property
    def budget(self) -> Decimal:
        """The error budget: the share of requests allowed to fail (or be slow)."""
        return 1 - self.target

    @property
    def latency(self) -> bool:
        return self.limit_s is not None

    def describe(self) -> str:
        """``99.9% of requests succeed`` / ``95% of requests faster than 300 ms``."""
        share = f"{_percent(self.target)} of requests"
        if self.limit_s is None:
            return f"{share} succeed"
        return f"{share} faster than {_duration(self.limit_s)}"


@dataclass(frozen=True)
class Sli:
    """An entry point's signals, filled in for it. A signal is ``None`` when nothing selects it."""

    entrypoint: Entrypoint
    component: Component
    requests: Selector | None
    errors: Selector | None
    latency: Selector | None
    unit: Unit
    buckets: tuple[float, ...] | None  # known only when the latency histogram is a preset's
    origin: str  # what stated it, with file:line

    def le(self, objective: Objective) -> tuple[str, str | None]:
        """The histogram bound that stands for ``objective``'s limit, and a note when it is not the limit
        itself (a preset's default buckets have no bound there: the largest one below is used, which
        counts some fast-enough requests as slow and so errs towards paging)."""
        assert objective.limit_s is not None
        want = objective.limit_s * (1000.0 if self.unit == "ms" else 1.0)
        if self.buckets is None or any(_same(b, want) for b in self.buckets):
            return le_text(want), None
        below = [b for b in self.buckets if b < want]
        if not below:
            return le_text(want), None
        used = max(below)
        unit = "ms" if self.unit == "ms" else "s"
        note = (
            f"{objective.percentile} {_duration(objective.limit_s)}: the default buckets of {self.origin} "
            f"have no bound at {le_text(want)} {unit}; measured against {le_text(used)} {unit}, the largest "
            f"bound below it (stricter: it may page early); add a bucket at {le_text(want)} {unit} and "
            "generate again"
        )
        return le_text(used), note

    def le_matchers(self, le: str) -> tuple[Matcher, ...]:
        """``le`` as Prometheus 2 (``1``) and 3 (``1.0``) both write it."""
        pattern = le.replace(".", "\\.") + ("0*" if "." in le else "(\\.0+)?")
        return (Matcher("le", "=~", pattern),)


def le_text(value: float) -> str:
    """A bucket bound as the Go client writes it: ``0.25``, ``1``, ``2500``."""
    return f"{value:.12g}"


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def _percent(x: Decimal) -> str:
    return f"{(x * 100).normalize():f}%"


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:g} ms" if seconds < 1 else f"{seconds:g} s"


def objectives(slo: SLO | None) -> list[Objective]:
    """The SLOs every entry point is held to: availability, then latency percentiles in key order."""
    if slo is None:
        return []
    out: list[Objective] = []
    if slo.availability is not None:
        out.append(Objective(key="availability", target=Decimal(repr(slo.availability))))
    for key, limit in sorted(slo.latency_s.items(), key=lambda kv: _percentile(kv[0]) or Decimal(2)):
        target = _percentile(key)
        if target is not None:
            out.append(Objective(key=f"latency-{key.lower()}", target=target, limit_s=limit, percentile=key))
    return out


def _percentile(key: str) -> Decimal | None:
    """``p95`` -> 0.95, ``p999`` -> 0.999, exactly; ``None`` for anything else."""
    digits = key.strip().lower().removeprefix("p")
    if not digits.isdigit() or not key.strip().lower().startswith("p") or digits.strip("0") == "":
        return None
    return Decimal("0." + digits)


def _stated(slo: SLO | None, ep: Entrypoint) -> SLIMetrics | None:
    """The metrics stated for ``ep``: its own entry merged over the system-wide one."""
    if slo is None:
        return None
    base, own = slo.metrics, slo.entrypoint_metrics.get(ep.name)
    if own is None or base is None:
        return own or base
    merged = base.model_dump(exclude={"source"})
    merged.update(own.model_dump(exclude={"source"}, exclude_none=True))
    if own.preset is not None:  # a preset of its own replaces the shared selectors
        merged.update({k: getattr(own, k) for k in ("requests", "errors", "latency", "latency_unit")})
    return SLIMetrics(**merged, source=own.source)


def resolve_sli(system: System, ep: Entrypoint) -> Sli | str:
    """The SLI selectors for ``ep``, filled in; or why there are none."""
    comp = system.component(ep.component)
    if comp is None:
        return f"entry point {ep.name}: component {ep.component} is not in the model"
    stated = _stated(system.slo, ep)
    if stated is None:
        return (
            "no metrics stated: add `slo.metrics` to redline.yaml (a preset: ingress-nginx, istio, "
            "otel-http; or requests/errors/latency selectors)"
        )
    preset = PRESETS.get(stated.preset) if stated.preset else None
    where = f"{stated.source}" if stated.source else "redline.yaml"
    borrowed = preset is not None and any(
        getattr(stated, k) is None for k in ("requests", "errors", "latency")
    )
    origin = (
        f"preset {stated.preset.value} ({where})" if stated.preset and borrowed else f"slo.metrics ({where})"
    )
    values = placeholders(system, comp, ep)
    picked: dict[str, Selector | None] = {}
    for signal in ("requests", "errors", "latency"):
        text = getattr(stated, signal) or (getattr(preset, signal) if preset else None)
        if text is None:
            picked[signal] = None
            continue
        try:
            selector = parse(text)
        except SelectorError as exc:  # redline.yaml was checked; a preset never fails
            return f"slo.metrics.{signal}: {exc}"
        missing = sorted(p for p in selector.placeholders() if values.get(p) is None)
        if missing:
            return f"{signal} selector {text} needs ${missing[0]}, and {_why_missing(missing[0], comp)}"
        picked[signal] = selector.fill({k: v for k, v in values.items() if v is not None})
    from_preset = stated.latency is None and preset is not None
    unit: Unit = stated.latency_unit or (preset.unit if preset and from_preset else "s")
    return Sli(
        entrypoint=ep,
        component=comp,
        requests=picked["requests"],
        errors=picked["errors"],
        latency=picked["latency"],
        unit=unit,
        buckets=preset.buckets if preset and from_preset else None,
        origin=origin,
    )


def placeholders(system: System, c: Component, ep: Entrypoint) -> dict[str, str | None]:
    """Values of the selector placeholders for entry point ``ep`` at component ``c``."""
    services = sorted(
        o.name
        for o in system.objects
        if o.kind == "Service" and c.name in o.selects and o.namespace == c.namespace
    )
    names = {*services, c.object_name or c.name}
    ingresses = sorted(
        o.name
        for o in system.objects
        if o.kind == "Ingress" and o.namespace == (c.namespace or "default") and names & set(o.refs)
    )
    service = services[0] if services else (c.object_name if c.platform == "compose" else None)
    return {
        "entrypoint": ep.name,
        "component": c.object_name or c.name,
        "namespace": c.namespace if c.platform == "kubernetes" else None,
        "service": service,
        "ingress": ingresses[0] if ingresses else None,
        "project": c.group if c.platform == "compose" else None,
    }


def _why_missing(name: str, c: Component) -> str:
    reasons = {
        "namespace": f"{c.name} is not a Kubernetes workload",
        "service": f"no Service selects {c.name}",
        "ingress": f"no Ingress routes to {c.name}",
        "project": f"{c.name} is not a Compose service",
    }
    return reasons.get(name, f"{c.name} gives it no value")
