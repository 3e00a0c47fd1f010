"""Kubernetes manifests as a registered reader, and cluster DNS (Services, namespaces, pod names)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from redline.model import Component, Evidence, K8sObject, Kind
from redline.sources import kubernetes
from redline.sources.diagnostics import Collector, Reader
from redline.sources.infer import CONFIDENCE, PlatformResolver, infer_env
from redline.sources.link import KubeDNS, KubeIndex, link
from redline.sources.registry import InputFile, Phase, ScanState, SourceReader, internal_error, register

_T = TypeVar("_T")


@register
class KubernetesReader(SourceReader):
    """Kubernetes objects (any YAML document with string ``apiVersion`` and ``kind``)."""

    name = "kubernetes"
    phase = Phase.PLATFORM
    priority = 20
    suffixes = (".yaml", ".yml")

    def __init__(self) -> None:
        self.kube = kubernetes.KubeRead()
        self.workloads: list[kubernetes.Workload] = []
        self.ingresses: list[tuple[Component, K8sObject]] = []
        self.dns = KubeDNS()
        self.rendered: set[int] = set()  # ids of workloads and objects read from rendered charts

    def read(self, file: InputFile, scan: ScanState) -> bool:
        docs = file.documents(scan.out)
        k8s_docs = [d for d in docs if kubernetes.is_kubernetes(d)]
        if not k8s_docs:
            return False
        kube, out = self.kube, scan.out
        before_w, before_o = len(kube.workloads), len(kube.objects)
        try:
            n = kubernetes.read(k8s_docs, Reader(file.rel, out), kube)
        except Exception as exc:  # a reader bug must cost one file, never the scan
            del kube.workloads[before_w:], kube.objects[before_o:]
            out.skip(file.rel, internal_error(exc))
            return True
        if file.namespace:
            _set_namespace(kube, before_w, before_o, file.namespace)
        if file.rendered:
            self.rendered.update(id(w) for w in kube.workloads[before_w:])
            self.rendered.update(id(o) for o in kube.objects[before_o:])
        scan.file_read(file.rel, "kubernetes", n)
        others = len([d for d in docs if d is not None]) - len(k8s_docs)
        if others:
            out.warn(file.rel, None, f"{others} document(s) in this file are not Kubernetes objects; ignored")
        return True

    def build(self, scan: ScanState) -> None:
        """First definition wins; later duplicates are reported once per file pair."""
        self.workloads = _dedupe_workloads(self.kube.workloads, scan.out, self.rendered)
        scan.objects = _dedupe_objects(self.kube.objects, scan.out, self.rendered)
        self.ingresses = _ingress_components(scan.objects)
        scan.components.extend(w.component for w in self.workloads)
        scan.components.extend(c for c, _ in self.ingresses)

    def resolvers(self, scan: ScanState) -> dict[str, PlatformResolver]:
        link(KubeIndex(self.workloads, scan.objects), scan.out)  # selectors need the final names
        dns = self.dns
        by_name = {c.name: c for c in scan.components}
        for obj in scan.objects:
            dns.namespaces.add(obj.namespace)
            if obj.kind == "Service":
                dns.services[(obj.namespace, obj.name)] = [by_name[n] for n in obj.selects if n in by_name]
        for w in self.workloads:
            c = w.component
            dns.namespaces.add(c.namespace or "default")
            dns.workloads[(c.namespace or "default", c.name.rsplit("/", 1)[-1])] = c
        return {"kubernetes": dns}

    def link(self, scan: ScanState) -> None:
        infer_env([w.component for w in self.workloads], scan.resolver, scan.builder)
        for comp, obj in self.ingresses:
            for svc in obj.refs:
                for backend in self.dns.services.get((obj.namespace, svc), []):
                    scan.builder.add(
                        comp,
                        backend,
                        Evidence(
                            reason=f"Ingress {obj.name} routes to Service {svc}",
                            kind="ingress",
                            confidence=CONFIDENCE["ingress"],
                            source=obj.source,
                        ),
                    )


def _set_namespace(kube: kubernetes.KubeRead, before_w: int, before_o: int, ns: str) -> None:
    """Put a kustomization's objects in its ``namespace:``, as kustomize does (it overrides the files')."""
    for w in kube.workloads[before_w:]:
        w.component.namespace = w.component.group = ns
    for o in kube.objects[before_o:]:
        o.namespace = ns


def _dedupe_workloads(
    items: list[kubernetes.Workload], out: Collector, rendered: set[int]
) -> list[kubernetes.Workload]:
    def key(w: kubernetes.Workload) -> tuple[str, str, str]:
        c = w.component
        return (c.workload or "", c.namespace or "default", c.name)

    return _first_definitions(items, key, rendered, lambda w: w.component.source.file, out)


def _dedupe_objects(items: list[K8sObject], out: Collector, rendered: set[int]) -> list[K8sObject]:
    return _first_definitions(items, lambda o: (o.kind, o.namespace, o.name), rendered, _file_of, out)


def _file_of(o: K8sObject) -> str:
    return o.source.file


def _first_definitions(
    items: list[_T],
    key: Callable[[_T], tuple[str, str, str]],
    rendered: set[int],
    file_of: Callable[[_T], str],
    out: Collector,
) -> list[_T]:
    """The first definition of each (kind, namespace, name) wins; files come before rendered charts.

    A chart rendered without ``--namespace`` puts its namespace-less objects in "default", but helm would
    install them in whatever namespace the release is given: such an object that repeats a file's kind
    and name (in any namespace) is the same object described twice (a repository that keeps manifests
    and the chart they were rendered from), so it is dropped like any other duplicate, and said so.
    """
    ordered = [i for i in items if id(i) not in rendered] + [i for i in items if id(i) in rendered]
    kept: dict[tuple[str, str, str], _T] = {}
    by_kind_name: dict[tuple[str, str], _T] = {}
    dups: Counter[tuple[str, str]] = Counter()
    for item in ordered:
        kind, namespace, name = key(item)
        first = kept.get((kind, namespace, name))
        if first is None and id(item) in rendered and namespace == "default":
            first = by_kind_name.get((kind, name))
        if first is not None:
            dups[(file_of(item), file_of(first))] += 1
            continue
        kept[(kind, namespace, name)] = item
        if id(item) not in rendered:
            by_kind_name.setdefault((kind, name), item)
    _report_dups(dups, out)
    return _in_order(items, kept)


def _in_order(items: list[_T], kept: dict[tuple[str, str, str], _T]) -> list[_T]:
    """The kept items in their original order (readers and reports see files in scan order)."""
    ids = {id(v) for v in kept.values()}
    return [i for i in items if id(i) in ids]


def _report_dups(dups: Counter[tuple[str, str]], out: Collector) -> None:
    """One warning per (folder of the duplicates, file of the first definitions): a release bundle that
    repeats 30 per-service files is one fact, not 30."""
    grouped: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for (file, first), n in sorted(dups.items()):
        folder = file.rsplit("/", 1)[0] if "/" in file else "."
        grouped.setdefault((folder, first), []).append((file, n))
    for (folder, first), items in grouped.items():
        total = sum(n for _, n in items)
        where = items[0][0] if len(items) == 1 else f"{folder}/ ({len(items)} files)"
        out.warn(
            where,
            None,
            f"{total} object(s) already defined in {first} (same kind, namespace and name, or a chart's "
            "namespace-less object repeating a file's); kept the first definition",
        )


def _ingress_components(objects: list[K8sObject]) -> list[tuple[Component, K8sObject]]:
    """Each Ingress is a gateway hop on the request path: the controller that serves it is not in the repo."""
    return [
        (
            Component(
                name=f"ingress/{o.name}",
                kind=Kind.GATEWAY,
                kind_reason="Kubernetes Ingress",
                platform="kubernetes",
                group=o.namespace,
                namespace=o.namespace,
                workload="Ingress",
                annotations=o.annotations,
                source=o.source,
                exposure=[f"Ingress {o.name}"],
            ),
            o,
        )
        for o in objects
        if o.kind == "Ingress"
    ]
