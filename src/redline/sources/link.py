"""Linking Kubernetes objects to the workloads they act on, the way the API server does.

Services, PodDisruptionBudgets and NetworkPolicies select pods by label; HPAs name their scale target;
Ingresses name Services; workloads pull env from ConfigMaps and mount PVCs. All of it is resolved within
one namespace, after every file has been read.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from redline.model import Component, Container, DisruptionBudget, EnvVar, K8sObject, Source, Substitution
from redline.model.secrets import mask
from redline.sources.diagnostics import Collector
from redline.sources.kubernetes import EnvFrom, Workload, expand_refs, hpa_of


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
        self.secrets: dict[tuple[str, str], K8sObject] = {
            (o.namespace, o.name): o for o in objects if o.kind == "Secret"
        }
        self._env_data: dict[tuple[str, str, str], dict[str, tuple[str, Source]]] = {}

    def env_data(self, namespace: str, kind: str, name: str, out: Collector) -> dict[str, tuple[str, Source]]:
        """key -> (value, where it is written) of a ConfigMap, or of a Secret decoded as the API server
        stores it (``data`` base64, ``stringData`` over it); empty when there is no such object."""
        cache_key = (namespace, kind, name)
        cached = self._env_data.get(cache_key)
        if cached is None:
            obj = (self.configmaps if kind == "ConfigMap" else self.secrets).get((namespace, name))
            cached = self._env_data[cache_key] = {} if obj is None else _object_data(obj, out)
        return cached

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
        for container in c.containers:
            refs = [ef for ef in w.env_from if ef.container == container.name]
            _container_env(container, refs, ns, index, out)
        for vol in c.volumes:
            if vol.claim and not vol.access_modes:
                pvc = index.pvcs.get((ns, vol.claim))
                if pvc is not None:
                    vol.access_modes = list(pvc.spec.get("accessModes", []))


def _object_data(obj: K8sObject, out: Collector) -> dict[str, tuple[str, Source]]:
    lines: dict[str, int] = obj.spec.get("data_lines", {})

    def at(key: str) -> Source:
        return Source(file=obj.source.file, line=lines.get(key, obj.source.line))

    if obj.kind == "ConfigMap":
        return {k: (v, at(k)) for k, v in obj.spec.get("data", {}).items()}
    result: dict[str, tuple[str, Source]] = {}
    for key, raw in obj.spec.get("data", {}).items():
        value = _decode(raw)
        if value is None:
            where = at(key)
            out.warn(
                where.file,
                where.line,
                f"Secret {obj.name} data.{key}: expected base64 text, got {len(raw)} characters that are "
                "not (the API server refuses it); this key is not read",
            )
        else:
            result[key] = (value, at(key))
    for key, value in obj.spec.get("stringData", {}).items():
        result[key] = (value, at(key))  # the API server merges stringData over data
    return result


def _decode(raw: str) -> str | None:
    """A Secret ``data`` value decoded (line breaks ignored, as Go's decoder does); None when it is not
    base64. Binary content (a keystore) is not text and names no host: returned empty."""
    try:
        data = base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return ""


@dataclass
class _Value:
    """A variable's value as the kubelet computes it, and whether it holds a Secret's value."""

    text: str
    secret: bool
    source: Source | None


def _container_env(
    container: Container, refs: list[EnvFrom], ns: str, index: KubeIndex, out: Collector
) -> None:
    """A container's environment as the kubelet builds it, written back onto its :class:`EnvVar` list.

    ``envFrom`` first (ConfigMaps and Secrets, with their prefix; a later source wins a name), then ``env``
    in order: a ``value`` has its ``$(VAR)`` references expanded from the variables defined so far, a
    ``configMapKeyRef`` / ``secretKeyRef`` takes its key's value. ``env`` wins over ``envFrom``. A Secret's
    value is never stored where it would be printed (:attr:`EnvVar._secret_value`).
    """
    known: dict[str, _Value] = {}
    added: dict[str, EnvVar] = {}
    explicit = {v.name for v in container.env}
    for ef in refs:
        if ef.key is not None:
            continue
        for key, (value, source) in index.env_data(ns, ef.kind, ef.name, out).items():
            name = ef.prefix + key
            known[name] = _Value(value, ef.kind == "Secret", source)
            if name not in explicit:
                added[name] = _from_object(name, ef, key, value, source)
    keyrefs = {ef.env_name: ef for ef in refs if ef.key is not None and ef.env_name}
    for var in container.env:
        ref = keyrefs.get(var.name)
        if var.value:  # the kubelet expands a non-empty value only
            known[var.name] = _expand(var, known)
        elif ref is not None and ref.key is not None:
            data = index.env_data(ns, ref.kind, ref.name, out)
            if ref.key in data:
                value, source = data[ref.key]
                _take_key(var, ref, value)
                known[var.name] = _Value(value, ref.kind == "Secret", source)
            else:
                known.pop(var.name, None)
        elif var.value == "":
            known[var.name] = _Value("", False, var.source)
        else:  # fieldRef, resourceFieldRef: a value only the running pod has
            known.pop(var.name, None)
    container.env.extend(added.values())


def _from_object(name: str, ef: EnvFrom, key: str, value: str, source: Source) -> EnvVar:
    """The variable an ``envFrom`` source defines (a Secret's value kept out of every output)."""
    if ef.kind == "ConfigMap":
        return EnvVar(name=name, value=value, from_config=ef.name, source=source)
    var = EnvVar(name=name, secret_ref=f"{ef.name}/{key}", source=source)
    var._secret_value = value
    return var


def _take_key(var: EnvVar, ref: EnvFrom, value: str) -> None:
    if ref.kind == "ConfigMap":
        var.value = value
        var.from_config = ref.name
    else:
        var._secret_value = value


def _expand(var: EnvVar, known: dict[str, _Value]) -> _Value:
    """``var``'s value with ``$(VAR)`` expanded from ``known``; each expansion is recorded as a
    :class:`Substitution` (a Secret's value masked), the expanded value set as ``expanded`` (or, when a
    Secret's value went into it, kept out of output as ``_secret_value``)."""
    value = var.value or ""
    used: list[_Value] = []

    def lookup(name: str) -> str | None:
        found = known.get(name)
        if found is not None:
            used.append(found)
        return None if found is None else found.text

    text, names = expand_refs(value, lookup)
    secret = any(u.secret for u in used)
    if names:
        first = dict(reversed(list(zip(names, used, strict=True))))  # the first use of each name
        var.substitutions = [
            Substitution(name=n, value=mask(u.text) if u.secret else u.text, source=u.source)
            for n, u in reversed(first.items())
        ]
        if secret:
            var._secret_value = text
        else:
            var.expanded = text
    elif text != value:  # only $$ escapes: the process sees one $
        var.expanded = text
    return _Value(text, secret, var.source)


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


@dataclass
class KubeDNS:
    """Kubernetes names resolved as the cluster's DNS does, from a pod in the caller's namespace.

    ``svc``, ``svc.ns``, ``svc.ns.svc[.cluster.local]`` name a Service (its selected workloads);
    ``pod.svc`` / ``pod.svc.ns[.svc.cluster.local]`` name one pod of a StatefulSet behind a headless
    Service (``mongo-0.mongo``, ``kafka-1.kafka-headless``), tried first as the DNS search path does;
    ``name-N`` a StatefulSet pod of Service ``name``; a workload named like the host when no Service is
    (lower confidence).
    """

    services: dict[tuple[str, str], list[Component]] = field(default_factory=dict)  # (ns, svc) -> selected
    workloads: dict[tuple[str, str], Component] = field(default_factory=dict)  # (ns, name) -> component
    namespaces: set[str] = field(default_factory=set)

    def resolve(self, src: Component, host: str) -> tuple[list[Component], float, str]:
        """(targets, confidence factor, note). No targets means unresolved; the note says why."""
        ns = src.namespace or "default"
        cluster = host.endswith((".svc", ".svc.cluster.local"))
        name = host.removesuffix(".svc.cluster.local").removesuffix(".svc")
        parts = name.split(".")
        if len(parts) == 2:
            pod = self._set_pod(ns, parts[1], parts[0])
            if pod is not None and not cluster:
                return pod
            if parts[1] in self.namespaces or cluster:
                name, ns = parts
            else:
                return [], 0.0, f"{host!r} is not a Service name known in this scan"
        elif len(parts) == 3 and parts[2] in self.namespaces:  # pod.svc.ns
            return self._set_pod(parts[2], parts[1], parts[0]) or self._service(parts[2], parts[1])
        elif len(parts) > 1:
            return [], 0.0, f"{host!r} is not a Service name known in this scan"
        return self._service(ns, name)

    def _service(self, ns: str, name: str) -> tuple[list[Component], float, str]:
        selected = self.services.get((ns, name))
        if selected is not None:
            if selected:
                return selected, 1.0, ""
            return [], 0.0, f"Service {name} in namespace {ns} selects no pods"
        base, _, ordinal = name.rpartition("-")
        if base and ordinal.isdigit() and self.services.get((ns, base)):
            return self.services[(ns, base)], 0.9, ""
        workload = self.workloads.get((ns, name))
        if workload is not None:
            return [workload], 0.7, f"no Service named {name}; matched the workload of that name"
        return [], 0.0, f"no Service {name!r} in namespace {ns}"

    def _set_pod(self, ns: str, service: str, pod: str) -> tuple[list[Component], float, str] | None:
        """``pod`` as a pod of a StatefulSet that ``service`` selects (``mongo-0`` of set ``mongo``)."""
        base, _, ordinal = pod.rpartition("-")
        if not base or not ordinal.isdigit():
            return None
        sets = [
            c
            for c in self.services.get((ns, service), [])
            if c.workload == "StatefulSet" and c.name.rsplit("/", 1)[-1] == base
        ]
        if not sets:
            return None
        note = f"pod {pod} of StatefulSet {base} behind Service {service}"
        return sets, 1.0, note
