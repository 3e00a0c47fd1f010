"""Kubernetes manifests -> components (workloads) and objects (everything else).

A workload's pod template becomes a :class:`Component`; Services, Ingresses, HPAs, PDBs, NetworkPolicies,
ConfigMaps, Secrets, PVCs and any unknown kind or CRD become :class:`K8sObject` records. Linking them
(selectors, scale targets, ConfigMap references) needs every file read first, so it happens in
:mod:`redline.sources.link`, not here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redline.model import (
    Autoscaling,
    Component,
    Container,
    CronSpec,
    EnvVar,
    K8sObject,
    Placement,
    Port,
    Probe,
    Provenance,
    Resources,
    SecurityContext,
    Source,
    UpdateStrategy,
    Volume,
)
from redline.model.system import AffinityTerm, ObjectRef
from redline.model.units import parse_bytes, parse_cpu, parse_percent
from redline.sources.diagnostics import Reader, found
from redline.sources.engines import classify, split_image
from redline.sources.yamlio import LineDict

WORKLOAD_KINDS = {
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
    "DeploymentConfig",  # OpenShift
    "Rollout",  # Argo Rollouts
}
KNATIVE_GROUP = "serving.knative.dev"
# Kinds whose spec rules and linking read: kept as parsed (plain dicts underneath), not copied.
_LINKED_KINDS = {"Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"}


@dataclass
class EnvFrom:
    """An ``envFrom`` or ``valueFrom`` reference, followed once every ConfigMap is known."""

    container: str
    kind: str  # ConfigMap or Secret
    name: str
    key: str | None
    env_name: str | None
    prefix: str
    source: Source
    optional: bool = False


@dataclass
class Workload:
    """A component read from a workload, with what linking still needs."""

    component: Component
    selector: dict[str, str] | None
    name: str = ""  # the name as written (the component may be renamed group/name later)
    env_from: list[EnvFrom] = field(default_factory=list)
    pvc_claims: list[str] = field(default_factory=list)


@dataclass
class KubeRead:
    workloads: list[Workload] = field(default_factory=list)
    objects: list[K8sObject] = field(default_factory=list)


# A kind names a Go type; the API server refuses any other (CRDs: a DNS-1035 label once lowercased).
_KIND = re.compile(r"[A-Za-z](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?")


def is_kubernetes(doc: Any) -> bool:
    """A document with string ``apiVersion`` and ``kind`` is a Kubernetes object."""
    return (
        isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str)
    )


def read(docs: list[Any], r: Reader, out: KubeRead) -> int:
    """Read every Kubernetes object in ``docs`` (List kinds are unpacked). Returns how many were read."""
    count = 0
    stack = list(reversed(docs))  # popped from the end: documents in order, List items where the List was
    while stack:
        doc = stack.pop()
        if not is_kubernetes(doc):
            continue
        kind = doc["kind"]
        if not _KIND.fullmatch(kind):
            r.warn(doc, "kind", f"kind: expected a Kubernetes kind name, got {found(kind)}; document ignored")
            continue
        if kind.endswith("List") and isinstance(doc.get("items"), list):
            stack.extend(reversed(doc["items"]))
            continue
        count += 1
        metadata = r.map(doc, "metadata")
        name = r.str(metadata, "name")
        if not name:
            r.warn(doc, "kind", f"{kind} without metadata.name; ignored")
            continue
        namespace = r.str(metadata, "namespace") or "default"
        api = str(doc["apiVersion"])
        if kind in WORKLOAD_KINDS or (kind == "Service" and api.startswith(KNATIVE_GROUP)):
            workload = _workload(doc, kind, api, name, namespace, metadata, r)
            if workload is not None:
                out.workloads.append(workload)
        else:
            out.objects.append(_object(doc, kind, api, name, namespace, metadata, r))
    return count


def _object(
    doc: LineDict, kind: str, api: str, name: str, namespace: str, metadata: LineDict, r: Reader
) -> K8sObject:
    spec: dict[str, Any] = {}
    if kind == "ConfigMap":
        data = r.map(doc, "data")
        spec = {
            "data": {k: v for k, v in ((str(k), _config_value(data, k, r)) for k in data) if v is not None},
            "data_lines": {str(k): data.line_of(k) for k in data},
            "binary_keys": [str(k) for k in r.map(doc, "binaryData")],
        }
    elif kind == "Secret":  # values kept for SE019 (committed secrets); every output masks them
        data, string_data = r.map(doc, "data"), r.map(doc, "stringData")
        spec = {
            "keys": [str(k) for k in [*data, *string_data]],
            "type": r.str(doc, "type"),
            "data": {str(k): "" if v is None else str(v) for k, v in data.items()},
            "stringData": {str(k): "" if v is None else str(v) for k, v in string_data.items()},
            "data_lines": {str(k): m.line_of(k) for m in (data, string_data) for k in m},
        }
    elif kind == "PersistentVolumeClaim":
        s = r.map(doc, "spec")
        spec = {"accessModes": [str(m) for m in r.list(s, "accessModes")]}
    elif kind in _LINKED_KINDS:
        spec = _checked_spec(r.map(doc, "spec"), kind, r)
    elif isinstance(doc.get("spec"), dict):
        spec = _plain(doc["spec"], _Budget(kind, name, r, doc))
    obj = K8sObject(
        kind=kind,
        api_version=api,
        name=name,
        namespace=namespace,
        labels=r.strmap(metadata, "labels"),
        annotations=r.strmap(metadata, "annotations"),
        source=r.src(doc, "kind") if doc.line is None else Source(file=r.file, line=doc.line),
        spec=spec,
    )
    return obj


def _config_value(data: LineDict, key: Any, r: Reader) -> str | None:
    """A ConfigMap value: a string (numbers and booleans as written); a list or mapping is dropped."""
    value = data[key]
    if isinstance(value, dict | list):
        r.warn(data, key, f"data.{key}: expected a string, got {found(value)}; ignored")
        return None
    return "" if value is None else _scalar_str(value)


# The top-level fields of linked kinds that linking and rules read, with the type each must have.
_SPEC_SHAPES: dict[str, dict[str, type]] = {
    "Service": {"selector": dict, "ports": list, "type": str, "sessionAffinity": str},
    "Ingress": {"rules": list, "tls": list, "defaultBackend": dict, "backend": dict},
    "HorizontalPodAutoscaler": {"scaleTargetRef": dict, "metrics": list},
    "PodDisruptionBudget": {"selector": dict},
    "NetworkPolicy": {"podSelector": dict, "ingress": list, "egress": list, "policyTypes": list},
}
_TYPE_NAMES: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}


def _checked_spec(spec: LineDict, kind: str, r: Reader) -> LineDict:
    """The spec of a Service, Ingress, HPA, PDB or NetworkPolicy, kept as parsed (not copied) unless a field
    that linking or rules read has the wrong type: then a copy with that field set to None, and a warning."""
    shape = _SPEC_SHAPES[kind]
    bad = [k for k, t in shape.items() if spec.get(k) is not None and not isinstance(spec[k], t)]
    hpa = kind == "HorizontalPodAutoscaler"
    if not bad and not hpa:
        return spec
    checked = LineDict(spec)
    checked.line, checked.key_lines = spec.line, spec.key_lines
    for k in bad:
        r.warn(spec, k, f"{k}: expected {_TYPE_NAMES[shape[k]]}, got {found(spec[k])}; ignored")
        checked[k] = None
    if hpa:
        _check_hpa_bounds(spec, checked, r)
    return checked


def _check_hpa_bounds(spec: LineDict, checked: LineDict, r: Reader) -> None:
    """minReplicas/maxReplicas as the API server validates them: whole numbers within int32, min <= max."""
    lo = r.int(spec, "minReplicas") if "minReplicas" in spec else None
    hi = r.int(spec, "maxReplicas", minimum=1) if "maxReplicas" in spec else None
    for key, value in (("minReplicas", lo), ("maxReplicas", hi)):
        if key in spec:
            checked[key] = value
    target = r.int(spec, "targetCPUUtilizationPercentage", minimum=1)
    if "targetCPUUtilizationPercentage" in spec:
        checked["targetCPUUtilizationPercentage"] = target
    if lo is not None and hi is not None and lo > hi:
        r.warn(
            spec,
            "minReplicas",
            f"minReplicas {lo} is greater than maxReplicas {hi} (line {spec.line_of('maxReplicas')}): "
            "the API server refuses this HorizontalPodAutoscaler",
        )


MAX_PLAIN_VALUES = 10_000  # values kept of one unknown kind's spec (a CRD can be arbitrarily large)


class _Budget:
    """How many more values :func:`_plain` may copy for one object; warns once when it runs out."""

    def __init__(self, kind: str, name: str, r: Reader, doc: LineDict) -> None:
        self.left = MAX_PLAIN_VALUES
        self.what, self.r, self.doc = f"{kind} {name}", r, doc

    def take(self) -> bool:
        self.left -= 1
        if self.left == -1:
            self.r.warn(
                self.doc,
                "spec",
                f"{self.what}: spec has more than {MAX_PLAIN_VALUES:,} values; the rest is not kept",
            )
        return self.left >= 0


def _plain(value: Any, budget: _Budget) -> Any:
    """A plain copy (dict/list/scalars) of YAML data, bounded by size (the YAML layer bounds the depth)."""
    if isinstance(value, dict):
        return {str(k): _plain(v, budget) for k, v in value.items() if budget.take()}
    if isinstance(value, list):
        return [_plain(v, budget) for v in value if budget.take()]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _pod_template(doc: LineDict, kind: str, api: str, r: Reader) -> tuple[LineDict, LineDict]:
    """(pod template, its metadata) for any workload kind."""
    spec = r.map(doc, "spec")
    if kind == "Pod":
        return doc, r.map(doc, "metadata")
    if kind == "CronJob":
        job = r.map(r.map(spec, "jobTemplate"), "spec")
        template = r.map(job, "template")
    else:
        template = r.map(spec, "template")
    return template, r.map(template, "metadata")


def _workload(
    doc: LineDict, kind: str, api: str, name: str, namespace: str, metadata: LineDict, r: Reader
) -> Workload | None:
    spec = r.map(doc, "spec")
    template, tmeta = _pod_template(doc, kind, api, r)
    pod = r.map(template, "spec")
    source = Source(file=r.file, line=doc.line)

    containers: list[Container] = []
    env_from: list[EnvFrom] = []
    for key, init in (("initContainers", True), ("containers", False)):
        for raw in r.list(pod, key):
            if isinstance(raw, LineDict):
                containers.append(_container(raw, init, r, env_from))
    pod_security = _security(r.map(pod, "securityContext"), r, r.src(pod, "securityContext"))
    for c in containers:
        c.security = _merge_security(pod_security, c.security)

    main_image = next((c.image for c in containers if not c.init and c.image), None)
    component_kind, engine, reason = classify(name, main_image)

    replicas: int | None
    if kind in (
        "Deployment",
        "StatefulSet",
        "ReplicaSet",
        "ReplicationController",
        "DeploymentConfig",
        "Rollout",
    ):
        replicas = r.int(spec, "replicas")
        if replicas is None and "replicas" not in spec:
            replicas = 1  # the API server's default, stated by the schema; not a guess
    elif kind == "Pod":
        replicas = 1
    else:
        replicas = None  # DaemonSet: one per node; Job: completions; Knative: autoscaled

    volumes, claims = _volumes(pod, containers, r)
    for vct in r.list(spec, "volumeClaimTemplates"):
        if isinstance(vct, LineDict):
            vmeta, vspec = r.map(vct, "metadata"), r.map(vct, "spec")
            volumes.append(
                Volume(
                    name=r.str(vmeta, "name") or "?",
                    type="persistentVolumeClaim",
                    claim=r.str(vmeta, "name"),
                    access_modes=[str(m) for m in r.list(vspec, "accessModes")],
                    mount_path=_mount(pod, r.str(vmeta, "name"), r)[0],
                    read_only=_mount(pod, r.str(vmeta, "name"), r)[1],
                    source=r.src(vct),
                )
            )
    annotations = r.strmap(metadata, "annotations")
    component = Component(
        name=name,
        kind=component_kind,
        kind_reason=reason,
        engine=engine,
        platform="kubernetes",
        group=namespace,
        namespace=namespace,
        workload="KnativeService" if kind == "Service" else kind,
        labels=r.strmap(tmeta, "labels"),
        annotations={**r.strmap(tmeta, "annotations"), **annotations},
        source=source,
        replicas=replicas,
        image=main_image,
        containers=containers,
        update_strategy=_strategy(spec, kind, r),
        placement=_placement(pod, r),
        restart_policy=r.str(pod, "restartPolicy"),
        termination_grace_s=r.seconds(pod, "terminationGracePeriodSeconds"),
        host_network=r.bool(pod, "hostNetwork"),
        host_pid=r.bool(pod, "hostPID"),
        dns_policy=r.str(pod, "dnsPolicy"),
        dns_nameservers=[str(n) for n in r.list(r.map(pod, "dnsConfig"), "nameservers")],
        volumes=volumes,
        service_account=r.str(pod, "serviceAccountName"),
        cron=_cron(doc, kind, spec, r),
    )
    if replicas == 1 and "replicas" not in spec and kind != "Pod":
        component.provenance["replicas"] = Provenance(
            source=source, origin="platform default (replicas not set)"
        )
    for fact, key in (
        ("termination_grace_s", "terminationGracePeriodSeconds"),
        ("host_network", "hostNetwork"),
        ("host_pid", "hostPID"),
    ):
        if getattr(component, fact) is not None:
            component.provenance[fact] = Provenance(source=r.src(pod, key), origin="kubernetes")
    if kind == "Service":  # Knative: min/max scale annotations are its autoscaling
        tann = r.map(tmeta, "annotations")
        lo = _knative_scale(tann, "minScale", r)
        component.autoscaling = Autoscaling(
            name=f"knative {name}",
            min_replicas=0 if lo is None else lo,
            max_replicas=_knative_scale(tann, "maxScale", r),
            source=source,
        )
    selector: dict[str, str] | None = None
    sel = r.map(spec, "selector")
    if "matchLabels" in sel:
        selector = r.strmap(sel, "matchLabels")
    elif sel and kind in ("ReplicationController", "DeploymentConfig"):
        selector = r.strmap(spec, "selector")
    component.object_name = name
    component.selector = dict(selector or {})
    for ef in env_from:
        ef.container = ef.container or name
    component.object_refs = _object_refs(pod, env_from, r)
    return Workload(component=component, selector=selector, env_from=env_from, pvc_claims=claims, name=name)


def _object_refs(pod: LineDict, env_from: list[EnvFrom], r: Reader) -> list[ObjectRef]:
    """What the pod needs to exist before it starts: env and envFrom sources, volume sources, its account."""
    refs = [
        ObjectRef(
            kind=ef.kind,
            name=ef.name,
            key=ef.key,
            optional=ef.optional,
            via=f"env {ef.env_name}" if ef.env_name else "envFrom",
            container=ef.container,
            source=ef.source,
        )
        for ef in env_from
        if ef.name
    ]
    for v in r.list(pod, "volumes"):
        if not isinstance(v, LineDict):
            continue
        via = f"volume {r.str(v, 'name') or '?'}"
        sources: list[tuple[str, LineDict, str]] = []
        for key, kind, field_ in (
            ("configMap", "ConfigMap", "name"),
            ("secret", "Secret", "secretName"),
            ("persistentVolumeClaim", "PersistentVolumeClaim", "claimName"),
        ):
            if r.map(v, key):
                sources.append((kind, r.map(v, key), field_))
        for p in r.list(r.map(v, "projected"), "sources"):
            if isinstance(p, LineDict):
                for key, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                    if r.map(p, key):
                        sources.append((kind, r.map(p, key), "name"))
        for kind, m, field_ in sources:
            ref_name = r.str(m, field_)
            if not ref_name:
                continue
            optional = r.bool(m, "optional") is True
            items = [r.str(i, "key") for i in r.list(m, "items") if isinstance(i, LineDict)]
            keys: list[str | None] = [k for k in items if k] or [None]
            for item_key in keys:
                refs.append(
                    ObjectRef(
                        kind=kind, name=ref_name, key=item_key, optional=optional, via=via, source=r.src(v)
                    )
                )
    account = r.str(pod, "serviceAccountName") or r.str(pod, "serviceAccount")
    if account:
        key = "serviceAccountName" if r.str(pod, "serviceAccountName") else "serviceAccount"
        refs.append(ObjectRef(kind="ServiceAccount", name=account, via=key, source=r.src(pod, key)))
    return refs


def _container(raw: LineDict, init: bool, r: Reader, env_from: list[EnvFrom]) -> Container:
    name = r.str(raw, "name") or "?"
    image = r.str(raw, "image")
    tag = digest = None
    if image:
        _, tag, digest = split_image(image)
    ports: list[Port] = []
    for p in r.list(raw, "ports"):
        if not isinstance(p, LineDict):
            continue
        port = r.intorstr(p, "containerPort")
        if port is None:
            continue
        host_port = r.int(p, "hostPort")
        ports.append(
            Port(
                port=port,
                protocol=r.str(p, "protocol") or "TCP",
                name=r.str(p, "name"),
                published=host_port,
                source=r.src(p),
            )
        )
    env: list[EnvVar] = []
    for e in r.list(raw, "env"):
        if not isinstance(e, LineDict):
            continue
        ename = r.str(e, "name")
        if not ename:
            continue
        src = r.src(e, "name")
        vf = r.map(e, "valueFrom")
        if vf:
            skr, cmr, fr = r.map(vf, "secretKeyRef"), r.map(vf, "configMapKeyRef"), r.map(vf, "fieldRef")
            if skr:
                secret, key = r.str(skr, "name") or "", r.str(skr, "key")
                env.append(EnvVar(name=ename, secret_ref=f"{secret}/{key}", source=src))
                env_from.append(
                    EnvFrom(name, "Secret", secret, key, ename, "", src, r.bool(skr, "optional") is True)
                )
            elif cmr:
                cm, key = r.str(cmr, "name") or "", r.str(cmr, "key")
                env.append(EnvVar(name=ename, config_ref=f"{cm}/{key}", source=src))
                env_from.append(
                    EnvFrom(name, "ConfigMap", cm, key, ename, "", src, r.bool(cmr, "optional") is True)
                )
            elif fr:
                env.append(EnvVar(name=ename, field_ref=r.str(fr, "fieldPath"), source=src))
            else:
                env.append(EnvVar(name=ename, source=src))
        else:
            value = e.get("value")
            if isinstance(value, dict | list):
                r.warn(e, "value", f"env {ename}: expected a string, got {found(value)}; ignored")
                value = None
            env.append(EnvVar(name=ename, value=None if value is None else _scalar_str(value), source=src))
    for ef in r.list(raw, "envFrom"):
        if not isinstance(ef, LineDict):
            continue
        prefix = r.str(ef, "prefix") or ""
        for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = r.map(ef, key)
            if ref and r.str(ref, "name"):
                env_from.append(
                    EnvFrom(
                        name,
                        kind,
                        r.str(ref, "name") or "",
                        None,
                        None,
                        prefix,
                        r.src(ef, key),
                        r.bool(ref, "optional") is True,
                    )
                )
    lifecycle = r.map(raw, "lifecycle")
    words = {key: [str(x) for x in r.list(raw, key)] for key in ("command", "args")}
    command = words["command"] + words["args"]
    sources = [s for key, some in words.items() for s in r.item_srcs(raw, key, len(some))]
    return Container(
        name=name,
        image=image,
        image_tag=tag,
        image_digest=digest,
        init=init,
        ports=ports,
        env=env,
        readiness=_probe(r.map(raw, "readinessProbe"), r, r.src(raw, "readinessProbe")),
        liveness=_probe(r.map(raw, "livenessProbe"), r, r.src(raw, "livenessProbe")),
        startup=_probe(r.map(raw, "startupProbe"), r, r.src(raw, "startupProbe")),
        resources=_resources(r.map(raw, "resources"), r, r.src(raw, "resources")),
        security=_security(r.map(raw, "securityContext"), r, r.src(raw, "securityContext")),
        pre_stop=bool(r.map(lifecycle, "preStop")) if lifecycle else None,
        command=command,
        command_sources=sources,
        source=r.src(raw),
    )


MAX_EXPANSIONS = 256  # $(VAR) references expanded in one value; the rest are kept as written


def expand_refs(text: str, lookup: Callable[[str], str | None]) -> tuple[str, list[str]]:
    """``$(VAR)`` references in ``text`` expanded as the kubelet does, and the names it expanded.

    ``lookup`` gives a variable's value, or None when the container defines no such variable before
    this one: the reference then stays as written. ``$$`` is a literal ``$`` (so ``$$(VAR)`` is the text
    ``$(VAR)``); any other ``$`` is kept. Linear on any input: the position of the next ``)`` is found
    once and reused, and once none is left later ``$(`` are not searched again.
    """
    if "$" not in text:
        return text, []
    out: list[str] = []
    names: list[str] = []
    pos = 0
    close = -2  # the next ")" at or after the cursor; -1 once there is none
    i = text.find("$")
    while 0 <= i < len(text) - 1:
        out.append(text[pos:i])
        nxt = text[i + 1]
        pos = i + 2
        if nxt == "$":
            out.append("$")
        elif nxt == "(" and close != -1:
            if close < i + 2:
                close = text.find(")", i + 2)
            if close == -1:
                out.append("$(")
            else:
                name = text[i + 2 : close]
                value = lookup(name) if len(names) < MAX_EXPANSIONS else None
                if value is None:
                    out.append(f"$({name})")
                else:
                    out.append(value)
                    names.append(name)
                pos = close + 1
        else:
            out.append("$" + nxt)
        i = text.find("$", pos)
    out.append(text[pos:])
    return "".join(out), names


def _knative_scale(annotations: LineDict, name: str, r: Reader) -> int | None:
    """A Knative min/max scale annotation (``autoscaling.knative.dev/minScale`` or ``min-scale``)."""
    dashed = "autoscaling.knative.dev/" + name[:3] + "-scale"
    key = next(
        (k for k in ("autoscaling.knative.dev/" + name, dashed) if annotations.get(k) is not None), None
    )
    return None if key is None else r.int(annotations, key)


def _scalar_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _probe(raw: LineDict, r: Reader, source: Source) -> Probe | None:
    if not raw:
        return None
    common = {
        "initial_delay_s": r.seconds(raw, "initialDelaySeconds"),
        "period_s": r.seconds(raw, "periodSeconds"),
        "timeout_s": r.seconds(raw, "timeoutSeconds"),
        "failure_threshold": r.int(raw, "failureThreshold"),
        "source": source,
    }
    if "httpGet" in raw:
        h = r.map(raw, "httpGet")
        return Probe(type="http", port=r.intorstr(h, "port"), path=r.str(h, "path"), **common)
    if "tcpSocket" in raw:
        return Probe(type="tcp", port=r.intorstr(r.map(raw, "tcpSocket"), "port"), **common)
    if "grpc" in raw:
        return Probe(type="grpc", port=r.intorstr(r.map(raw, "grpc"), "port"), **common)
    if "exec" in raw:
        cmd = [str(x) for x in r.list(r.map(raw, "exec"), "command")]
        return Probe(type="exec", command=cmd, **common)
    return None


def _resources(raw: LineDict, r: Reader, source: Source) -> Resources | None:
    if not raw:
        return None
    req, lim = r.map(raw, "requests"), r.map(raw, "limits")
    return Resources(
        cpu_request=r.unit(req, "cpu", parse_cpu),
        cpu_limit=r.unit(lim, "cpu", parse_cpu),
        memory_request=r.unit(req, "memory", parse_bytes),
        memory_limit=r.unit(lim, "memory", parse_bytes),
        source=source,
    )


def _security(raw: LineDict, r: Reader, source: Source | None = None) -> SecurityContext | None:
    if not raw:
        return None
    caps = r.map(raw, "capabilities")
    return SecurityContext(
        privileged=r.bool(raw, "privileged"),
        run_as_user=r.int(raw, "runAsUser"),
        run_as_non_root=r.bool(raw, "runAsNonRoot"),
        allow_privilege_escalation=r.bool(raw, "allowPrivilegeEscalation"),
        read_only_root_filesystem=r.bool(raw, "readOnlyRootFilesystem"),
        capabilities_add=[str(c) for c in r.list(caps, "add")],
        source=source or Source(file=r.file, line=raw.line),
    )


def _merge_security(pod: SecurityContext | None, ctr: SecurityContext | None) -> SecurityContext | None:
    """Container settings win over pod settings, field by field, as the kubelet applies them."""
    if pod is None:
        return ctr
    if ctr is None:
        return SecurityContext(
            run_as_user=pod.run_as_user, run_as_non_root=pod.run_as_non_root, source=pod.source
        )
    merged = ctr.model_copy()
    if merged.run_as_user is None:
        merged.run_as_user = pod.run_as_user
    if merged.run_as_non_root is None:
        merged.run_as_non_root = pod.run_as_non_root
    return merged


def _mount(pod: LineDict, name: str | None, r: Reader) -> tuple[str | None, bool | None]:
    """The first container's mount of volume ``name`` (a volumeClaimTemplate's): (mountPath, readOnly)."""
    for raw in r.list(pod, "containers"):
        for m in r.list(raw, "volumeMounts") if isinstance(raw, LineDict) else []:
            if isinstance(m, LineDict) and name and r.str(m, "name") == name:
                return r.str(m, "mountPath"), r.bool(m, "readOnly")
    return None, None


def _volumes(pod: LineDict, containers: list[Container], r: Reader) -> tuple[list[Volume], list[str]]:
    mounts: dict[str, tuple[str | None, bool | None]] = {}
    for raw in r.list(pod, "containers"):
        for m in r.list(raw, "volumeMounts") if isinstance(raw, LineDict) else []:
            if isinstance(m, LineDict) and r.str(m, "name"):
                mounts.setdefault(r.str(m, "name") or "", (r.str(m, "mountPath"), r.bool(m, "readOnly")))
    volumes, claims = [], []
    for v in r.list(pod, "volumes"):
        if not isinstance(v, LineDict) or not r.str(v, "name"):
            continue
        vname = r.str(v, "name") or ""
        vtype, claim, host = "other", None, None
        for t in ("persistentVolumeClaim", "emptyDir", "hostPath", "configMap", "secret", "projected"):
            if t in v:
                vtype = t
        if vtype == "persistentVolumeClaim":
            claim = r.str(r.map(v, "persistentVolumeClaim"), "claimName")
            if claim:
                claims.append(claim)
        elif vtype == "hostPath":
            host = r.str(r.map(v, "hostPath"), "path")
        mount, ro = mounts.get(vname, (None, None))
        volumes.append(
            Volume(
                name=vname,
                type=vtype,
                claim=claim,
                host_path=host,
                mount_path=mount,
                read_only=ro,
                source=r.src(v),
            )
        )
    return volumes, claims


def _strategy(spec: LineDict, kind: str, r: Reader) -> UpdateStrategy | None:
    key = "strategy" if kind in ("Deployment", "DeploymentConfig", "Rollout") else "updateStrategy"
    raw = r.map(spec, key)
    if not raw:
        return None
    rolling = r.map(raw, "rollingUpdate") or r.map(raw, "rollingParams")
    return UpdateStrategy(
        type=r.str(raw, "type"),
        max_surge=r.intorstr(rolling, "maxSurge"),
        max_unavailable=r.intorstr(rolling, "maxUnavailable"),
        source=Source(file=r.file, line=raw.line),
    )


def _placement(pod: LineDict, r: Reader) -> Placement | None:
    affinity = r.map(pod, "affinity")
    anti = r.map(affinity, "podAntiAffinity")
    spread = r.list(pod, "topologySpreadConstraints")
    nodesel = r.strmap(pod, "nodeSelector")
    hard = "requiredDuringSchedulingIgnoredDuringExecution"
    pod_aff = _affinity_terms(r.list(r.map(affinity, "podAffinity"), hard), r)
    pod_anti = _affinity_terms(r.list(anti, hard), r)
    node_aff = bool(r.map(r.map(affinity, "nodeAffinity"), hard))
    tolerations = bool(r.list(pod, "tolerations"))
    if not anti and not spread and not nodesel and not pod_aff and not node_aff and not tolerations:
        return None
    level = None
    if anti.get("requiredDuringSchedulingIgnoredDuringExecution"):
        level = "required"
    elif anti.get("preferredDuringSchedulingIgnoredDuringExecution"):
        level = "preferred"
    keys = [r.str(s, "topologyKey") or "?" for s in spread if isinstance(s, LineDict)]
    return Placement(
        anti_affinity=level,
        topology_spread=keys,
        node_selector=nodesel,
        pod_affinity=pod_aff,
        pod_anti_affinity=pod_anti,
        node_affinity=node_aff,
        tolerations=tolerations,
        source=Source(file=r.file, line=(affinity or spread or pod).line),
    )


def _affinity_terms(raw: list[Any], r: Reader) -> list[AffinityTerm]:
    """Required pod (anti-)affinity terms, their selector flattened to ``matchLabels``."""
    out = []
    for t in raw:
        if not isinstance(t, LineDict):
            continue
        sel = r.map(t, "labelSelector")
        out.append(
            AffinityTerm(
                labels=r.strmap(sel, "matchLabels"),
                exact=not sel.get("matchExpressions") and not t.get("namespaceSelector") and bool(sel),
                topology_key=r.str(t, "topologyKey"),
                namespaces=[str(n) for n in r.list(t, "namespaces")],
                source=r.src(t),
            )
        )
    return out


def _cron(doc: LineDict, kind: str, spec: LineDict, r: Reader) -> CronSpec | None:
    if kind == "CronJob":
        job = r.map(r.map(spec, "jobTemplate"), "spec")
        return CronSpec(
            schedule=r.str(spec, "schedule"),
            concurrency_policy=r.str(spec, "concurrencyPolicy"),
            starting_deadline_s=r.seconds(spec, "startingDeadlineSeconds"),
            active_deadline_s=r.seconds(job, "activeDeadlineSeconds"),
            backoff_limit=r.int(job, "backoffLimit"),
            source=Source(file=r.file, line=spec.line),
        )
    if kind == "Job":
        return CronSpec(
            active_deadline_s=r.seconds(spec, "activeDeadlineSeconds"),
            backoff_limit=r.int(spec, "backoffLimit"),
            source=Source(file=r.file, line=spec.line),
        )
    return None


def hpa_of(obj: K8sObject) -> tuple[str | None, str | None, Autoscaling]:
    """(target kind, target name, autoscaling facts) of an HPA object (v1 and v2)."""
    spec = obj.spec
    raw_ref = spec.get("scaleTargetRef")
    ref: dict[str, Any] = raw_ref if isinstance(raw_ref, dict) else {}
    target_cpu: float | None = None
    metrics: list[str] = []
    if isinstance(spec.get("targetCPUUtilizationPercentage"), int | float):
        target_cpu = float(spec["targetCPUUtilizationPercentage"]) / 100.0
        metrics.append("cpu")
    for m in spec.get("metrics") or []:
        if not isinstance(m, dict):
            continue
        res = m.get("resource") if isinstance(m.get("resource"), dict) else None
        if res:
            metrics.append(str(res.get("name")))
            target = res.get("target") if isinstance(res.get("target"), dict) else {}
            value = target.get("averageUtilization", res.get("targetAverageUtilization"))
            if res.get("name") == "cpu" and isinstance(value, int | float):
                target_cpu = float(value) / 100.0
        else:
            metrics.append(str(m.get("type", "?")))
    lo, hi = spec.get("minReplicas"), spec.get("maxReplicas")
    auto = Autoscaling(
        name=obj.name,
        # the API server's default when minReplicas is not written; a bad value (read as None) stays unknown
        min_replicas=lo
        if isinstance(lo, int) and not isinstance(lo, bool)
        else (None if "minReplicas" in spec else 1),
        max_replicas=hi if isinstance(hi, int) and not isinstance(hi, bool) else None,
        target_cpu_utilization=target_cpu,
        metrics=metrics,
        source=obj.source,
    )
    return (
        str(ref.get("kind")) if ref.get("kind") else None,
        str(ref.get("name")) if ref.get("name") else None,
        auto,
    )


__all__ = ["KubeRead", "Workload", "expand_refs", "hpa_of", "is_kubernetes", "parse_percent", "read"]
