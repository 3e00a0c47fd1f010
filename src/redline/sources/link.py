"""Linking Kubernetes objects to the workloads they act on, the way the API server does.

Services, PodDisruptionBudgets and NetworkPolicies select pods by label; HPAs name their scale target;
Ingresses name Services; workloads pull env from ConfigMaps and mount PVCs. All of it is resolved within
one namespace, after every file has been read.
"""

from __future__ import annotations

from typing import Any

from redline.model import Component, DisruptionBudget, EnvVar, K8sObject, Source
from redline.sources.diagnostics import Collector
from redline.sources.kubernetes import Workload, hpa_of


def selector_matches(selector: Any, labels: dict[str, str]) -> bool:
    """Label selector semantics: a plain map (Service) or matchLabels + matchExpressions (everything else).

    An empty selector matches nothing here: for a Service it means "endpoints are managed by hand", and
    for a PDB/NetworkPolicy the empty *podSelector* case is handled by the caller.
    """
    if not isinstance(selector, dict) or not selector:
        return False
    if "matchLabels" in selector or "matchExpressions" in selector:
        ml = selector.get("matchLabels") or {}
        me = selector.get("matchExpressions") or []
        if not isinstance(ml, dict) or not isinstance(me, list) or (not ml and not me):
            return False
        if any(labels.get(str(k)) != str(v) for k, v in ml.items()):
            return False
        for expr in me:
            if not isinstance(expr, dict):
                return False
            key, op = str(expr.get("key")), str(expr.get("operator"))
            values = [str(v) for v in expr.get("values") or []]
            if op == "In" and labels.get(key) not in values:
                return False
            if op == "NotIn" and labels.get(key) in values:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
        return True
    return all(labels.get(str(k)) == str(v) for k, v in selector.items())


class KubeIndex:
    """Workloads and objects by namespace, for resolving names and selectors."""

    def __init__(self, workloads: list[Workload], objects: list[K8sObject]) -> None:
        self.workloads = workloads
        self.objects = objects
        self.by_ns: dict[str, list[Workload]] = {}
        # (namespace, label key, label value) -> workloads: selectors intersect postings, not scan all pods.
        self.postings: dict[tuple[str, str, str], list[Workload]] = {}
        for w in workloads:
            ns = w.component.namespace or "default"
            self.by_ns.setdefault(ns, []).append(w)
            for k, v in w.component.labels.items():
                self.postings.setdefault((ns, k, v), []).append(w)
        self.services: dict[tuple[str, str], K8sObject] = {
            (o.namespace, o.name): o for o in objects if o.kind == "Service"
        }
        self.configmaps: dict[tuple[str, str], K8sObject] = {
            (o.namespace, o.name): o for o in objects if o.kind == "ConfigMap"
        }
        self.pvcs: dict[tuple[str, str], K8sObject] = {
            (o.namespace, o.name): o for o in objects if o.kind == "PersistentVolumeClaim"
        }

    def select(self, namespace: str, selector: Any) -> list[Component]:
        if not isinstance(selector, dict) or not selector:
            return []
        exact = (
            selector.get("matchLabels")
            if "matchLabels" in selector or "matchExpressions" in selector
            else selector
        )
        pool = self.by_ns.get(namespace, [])
        if isinstance(exact, dict) and exact:
            lists = [self.postings.get((namespace, str(k), str(v)), []) for k, v in exact.items()]
            pool = min(lists, key=len)
        return [w.component for w in pool if selector_matches(selector, w.component.labels)]

    def workload(self, namespace: str, kind: str | None, name: str) -> Component | None:
        for w in self.by_ns.get(namespace, []):
            if w.name == name and (kind is None or w.component.workload == kind):
                return w.component
        return None


def link(index: KubeIndex, out: Collector) -> None:
    """Resolve every object's selectors and references; attach HPAs, PDBs, exposure, ConfigMap env, PVCs."""
    for obj in index.objects:
        spec = obj.spec
        if obj.kind == "Service" and not (obj.api_version or "").startswith("serving.knative.dev"):
            selected = index.select(obj.namespace, spec.get("selector"))
            obj.selects = [c.name for c in selected]
            stype = spec.get("type")
            if stype in ("LoadBalancer", "NodePort"):
                for c in selected:
                    c.exposure.append(f"{stype} Service {obj.name}")
        elif obj.kind == "HorizontalPodAutoscaler":
            kind, name, auto = hpa_of(obj)
            if name:
                obj.refs = [f"{kind}/{name}" if kind else name]
                target = index.workload(obj.namespace, kind, name)
                if target is not None:
                    obj.selects = [target.name]
                    target.autoscaling = auto
        elif obj.kind == "PodDisruptionBudget":
            selected = index.select(obj.namespace, spec.get("selector"))
            obj.selects = [c.name for c in selected]
            for c in selected:
                c.disruption_budgets.append(
                    DisruptionBudget(
                        name=obj.name,
                        min_available=_int_or_str(spec.get("minAvailable")),
                        max_unavailable=_int_or_str(spec.get("maxUnavailable")),
                        source=obj.source,
                    )
                )
        elif obj.kind == "NetworkPolicy":
            pod_selector = spec.get("podSelector")
            if (
                isinstance(pod_selector, dict)
                and not pod_selector.get("matchLabels")
                and not pod_selector.get("matchExpressions")
            ):
                selected = [w.component for w in index.by_ns.get(obj.namespace, [])]  # {} selects every pod
            else:
                selected = index.select(obj.namespace, pod_selector)
            obj.selects = [c.name for c in selected]
        elif obj.kind == "Ingress":
            obj.refs = sorted(set(ingress_backends(spec)))
    for w in index.workloads:
        c = w.component
        ns = c.namespace or "default"
        for ef in w.env_from:
            if ef.kind != "ConfigMap":
                continue
            cm = index.configmaps.get((ns, ef.name))
            if cm is None:
                continue
            data: dict[str, str] = cm.spec.get("data", {})
            lines: dict[str, int] = cm.spec.get("data_lines", {})
            container = next((x for x in c.containers if x.name == ef.container), None)
            if container is None:
                continue
            if ef.key is not None and ef.env_name is not None:
                for var in container.env:
                    if var.name == ef.env_name and ef.key in data:
                        var.value = data[ef.key]
                        var.from_config = cm.name
                continue
            known = {v.name for v in container.env}
            for key, value in data.items():
                name = ef.prefix + key
                if name in known:
                    continue  # explicit env wins over envFrom, as in the kubelet
                container.env.append(
                    EnvVar(
                        name=name,
                        value=value,
                        from_config=cm.name,
                        source=Source(file=cm.source.file, line=lines.get(key, cm.source.line)),
                    )
                )
        for vol in c.volumes:
            if vol.claim and not vol.access_modes:
                pvc = index.pvcs.get((ns, vol.claim))
                if pvc is not None:
                    vol.access_modes = list(pvc.spec.get("accessModes", []))
    del out


def ingress_backends(spec: dict[str, Any]) -> list[str]:
    """Service names an Ingress routes to (networking.k8s.io/v1 and the older extensions/v1beta1 shape)."""
    names: list[str] = []

    def backend(b: Any) -> None:
        if not isinstance(b, dict):
            return
        svc = b.get("service")
        if isinstance(svc, dict) and svc.get("name"):
            names.append(str(svc["name"]))
        elif b.get("serviceName"):
            names.append(str(b["serviceName"]))

    backend(spec.get("defaultBackend") or spec.get("backend"))
    for rule in spec.get("rules") or []:
        if isinstance(rule, dict):
            raw_http = rule.get("http")
            http: dict[str, Any] = raw_http if isinstance(raw_http, dict) else {}
            for path in http.get("paths") or []:
                if isinstance(path, dict):
                    backend(path.get("backend"))
    return names


def _int_or_str(value: Any) -> int | str | None:
    if isinstance(value, bool) or value is None:
        return None
    return value if isinstance(value, int | str) else str(value)
