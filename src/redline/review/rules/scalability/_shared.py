"""Helpers shared by the scalability rules."""

from __future__ import annotations

from redline.model import Component, K8sObject, Kind
from redline.review.context import Context

_STATELESS = (Kind.SERVICE, Kind.GATEWAY)


def _hpa_source(c: Component) -> tuple[str, int | None]:
    src = (c.autoscaling.source if c.autoscaling else None) or c.source
    return src.file, src.line


def _hpa_name(c: Component) -> str:
    return (c.autoscaling.name if c.autoscaling else None) or c.name


def _scaled_object_targets(ctx: Context) -> set[str]:
    """Names targeted by KEDA ScaledObjects: autoscaling that is not an HPA in the files."""
    out: set[str] = set()
    for o in ctx.objects("ScaledObject"):
        ref = o.spec.get("scaleTargetRef")
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            out.add(ref["name"])
        out.update(o.selects)
    return out


def _uses_cpu(c: Component) -> bool:
    a = c.autoscaling
    if a is None:
        return False
    if a.target_cpu_utilization is not None:
        return True
    if not a.metrics:
        return True  # no metrics: the HPA defaults to 80% average CPU utilization
    return any("cpu" in m.lower() and "external" not in m.lower() for m in a.metrics)


_AFFINITY_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/affinity": ("cookie",),
    "traefik.ingress.kubernetes.io/affinity": ("true",),
    "traefik.ingress.kubernetes.io/service.sticky.cookie": ("true",),
    "haproxy.org/cookie-persistence": None,
    "ingress.kubernetes.io/affinity": ("cookie",),
}


def _sticky_ingress(o: K8sObject) -> str | None:
    for key, values in _AFFINITY_ANNOTATIONS.items():
        v = o.annotations.get(key)
        if v is not None and (values is None or v.strip().lower() in values):
            return f"{key}: {v}"
    tga = o.annotations.get("alb.ingress.kubernetes.io/target-group-attributes", "")
    if "stickiness.enabled=true" in tga.replace(" ", ""):
        return f"alb.ingress.kubernetes.io/target-group-attributes: {tga}"
    return None
