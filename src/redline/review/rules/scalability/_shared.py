"""Helpers shared by the scalability rules."""

from __future__ import annotations

from redline.fix.build import hpa_of, object_doc, single_writer, single_writer_text
from redline.fix.edits import DocRef
from redline.model import Component, K8sObject, Kind
from redline.review.context import Context
from redline.review.rules._util import app_containers, limit_ranges

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


def _without_cpu_request(ctx: Context, c: Component) -> list[str]:
    """Containers of ``c`` that run with no CPU request: none stated, no CPU limit (the API server copies
    a limit into a missing request) and no LimitRange default for the namespace."""
    if any("cpu" in lr.request for lr in limit_ranges(ctx, c.namespace)):
        return []
    return [
        k.name
        for k in app_containers(c)
        if k.resources is None or (k.resources.cpu_request is None and k.resources.cpu_limit is None)
    ]


def _raised_max(lo: int) -> int:
    """The maximum proposed for an HPA whose minimum is ``lo``: four times it, from at least 2 (SC002 and
    SC003 propose the same number, so their edits agree)."""
    return max(lo, 2) * 4


def _hpa_edit_refusal(ctx: Context, c: Component) -> tuple[DocRef | None, str | None]:
    """The HPA document of ``c`` an edit may change, or why none may: a single-writer datastore never gets
    HPA edits (more replicas are divergent copies), and an HPA not read from a manifest has no document."""
    name = c.object_name or c.name
    if single_writer(c):
        return None, (
            f"`{name}` is a {single_writer_text(c)}: an HPA that scales it starts divergent "
            "copies, so remove the HPA (SC007) rather than tune it; scale it vertically or with replicas "
            "managed by an operator"
        )
    hpa = hpa_of(ctx.system, c)
    if hpa is None:
        return None, f"the HPA of `{name}` was not read from a manifest redline can edit"
    return object_doc(hpa), None
