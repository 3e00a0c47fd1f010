"""The inputs the fuzz suite mutates: generated systems, the bundled example and the shared samples.

A :class:`Case` is a set of files (each in its own folder, so Compose projects and kustomize never
merge them) and the one file that gets mutated. Generated systems need nothing outside the repository;
the samples pool reads ../shared/samples when present (tests reach it through ``samples_dir``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import strategies as st

from redline.sources.scan import scan
from tests.conftest import EXAMPLES, SAMPLES
from tests.fuzz.mutate import Flavour

NAMES = ("api", "web", "cart", "orders", "db", "redis", "worker", "auth", "search", "queue")
IMAGES = ("nginx:1.27", "postgres:16", "redis:7", "rabbitmq:3", "ghcr.io/acme/app:1.2.3", "python:3.12")
MAX_SAMPLE_BYTES = 64_000
PER_SAMPLE = 12  # files of each flavour per sample: the pool stays small and varied


@dataclass(frozen=True)
class Case:
    """Files (``rel -> bytes``) and the one to mutate."""

    name: str
    files: tuple[tuple[str, bytes], ...]
    target: str
    flavour: Flavour

    def text(self) -> str:
        return dict(self.files)[self.target].decode("utf-8")


def _dump(docs: list[dict[str, object]]) -> bytes:
    return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False).encode()


def _kube_docs(names: list[str], replicas: list[int], images: list[str]) -> list[dict[str, object]]:
    docs: list[dict[str, object]] = []
    for i, (name, n, image) in enumerate(zip(names, replicas, images, strict=True)):
        labels = {"app": name}
        peer = names[(i + 1) % len(names)]
        container = {
            "name": name,
            "image": image,
            "ports": [{"containerPort": 8080 + i}],
            "env": [{"name": "PEER_URL", "value": f"http://{peer}:{8080 + (i + 1) % len(names)}"}],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080 + i}},
        }
        docs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet" if image.startswith(("postgres", "redis")) else "Deployment",
                "metadata": {"name": name, "labels": labels},
                "spec": {
                    "replicas": n,
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
                },
            }
        )
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name},
                "spec": {"selector": labels, "ports": [{"port": 8080 + i, "targetPort": 8080 + i}]},
            }
        )
    docs.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "edge"},
            "spec": {
                "rules": [
                    {
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": names[0], "port": {"number": 8080}}},
                                }
                            ]
                        }
                    }
                ]
            },
        }
    )
    return docs


def _compose_doc(names: list[str], replicas: list[int], images: list[str]) -> dict[str, object]:
    services: dict[str, object] = {}
    for i, (name, n, image) in enumerate(zip(names, replicas, images, strict=True)):
        services[name] = {
            "image": image,
            "ports": [f"{9000 + i}:8080"],
            "environment": {"PEER_HOST": names[(i + 1) % len(names)], "LEVEL": "${LEVEL:-info}"},
            "depends_on": [names[(i + 1) % len(names)]] if len(names) > 1 else [],
            "deploy": {"replicas": n, "resources": {"limits": {"cpus": "0.5", "memory": "256M"}}},
            "healthcheck": {"test": ["CMD", "true"], "interval": "10s", "timeout": "2s", "retries": 3},
        }
    return {"name": "gen", "services": services, "volumes": {"data": {}}}


def _native_doc(names: list[str]) -> dict[str, object]:
    components: dict[str, object] = {
        name: {
            "workers": 4 + i,
            "service_time": f"{2 + i}ms",
            "calls": [{"to": names[(i + 1) % len(names)], "count": 1, "timeout": "1s", "retries": 1}]
            if i + 1 < len(names)
            else [],
        }
        for i, name in enumerate(names)
    }
    components["billing"] = {"kind": "external", "availability": "99.95%"}
    return {
        "name": "gen",
        "slo": {"availability": "99.9%", "latency": {"p95": "300ms"}},
        "entrypoints": [{"name": "web", "component": names[0], "rps": 50}],
        "growth": {"factor": 3},
        "components": components,
    }


@st.composite
def generated(draw: st.DrawFn) -> Case:
    """A small system: Kubernetes manifests (one multi-document file), a Compose project and a
    redline.yaml over the Kubernetes names; one of the three is the target."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    replicas = draw(st.lists(st.integers(1, 5), min_size=len(names), max_size=len(names)))
    images = draw(st.lists(st.sampled_from(IMAGES), min_size=len(names), max_size=len(names)))
    files = {
        "k8s/app.yaml": _dump(_kube_docs(names, replicas, images)),
        # Compose names differ from the Kubernetes ones: redline.yaml names must each mean one component.
        "compose/compose.yaml": _dump([_compose_doc([f"dc-{n}" for n in names], replicas, images)]),
        "redline.yaml": _dump([_native_doc(names)]),
    }
    target, flavour = draw(
        st.sampled_from(
            [
                ("k8s/app.yaml", Flavour.KUBERNETES),
                ("compose/compose.yaml", Flavour.COMPOSE),
                ("redline.yaml", Flavour.NATIVE),
            ]
        )
    )
    return Case(f"generated {'+'.join(names)}", tuple(sorted(files.items())), target, flavour)


@functools.cache
def shop_cases() -> tuple[Case, ...]:
    """examples/shop: each of its files the target, the others its neighbours."""
    cases = []
    for folder, flavour in (("kubernetes", Flavour.KUBERNETES), ("compose", Flavour.COMPOSE)):
        root = EXAMPLES / "shop" / folder
        files = {p.name: p.read_bytes() for p in sorted(root.glob("*.yaml"))}
        for name in files:
            kind = Flavour.NATIVE if name == "redline.yaml" else flavour
            cases.append(Case(f"examples/shop/{folder}/{name}", tuple(files.items()), name, kind))
    return tuple(cases)


@dataclass(frozen=True)
class Sample:
    """One file of ../shared/samples that scans cleanly on its own."""

    rel: str  # relative to SAMPLES
    flavour: Flavour
    data: bytes


def _candidates(root: Path) -> list[Path]:
    """Plain-YAML Kubernetes and Compose files, up to :data:`PER_SAMPLE` of each per sample, evenly
    spread over each sample's sorted paths (Helm chart files and kustomizations left out)."""
    charts = {p.parent for p in root.rglob("Chart.yaml")}
    groups: dict[tuple[str, bool], list[Path]] = {}
    for p in sorted(root.rglob("*.y*ml")):
        if p.name.startswith(("kustomization", "Kustomization", "redline", ".")) or p.suffix not in (
            ".yaml",
            ".yml",
        ):
            continue
        if any(c in p.parents for c in charts) or p.stat().st_size > MAX_SAMPLE_BYTES:
            continue
        text = p.read_text("utf-8", errors="replace")
        is_compose = "\nservices:" in text or text.startswith("services:")
        if is_compose or "kind: Deployment" in text or "kind: StatefulSet" in text:
            groups.setdefault((p.relative_to(root).parts[0], is_compose), []).append(p)
    found = []
    for paths in groups.values():
        step = max(1, len(paths) // PER_SAMPLE)
        found += paths[::step][:PER_SAMPLE]
    return found


@functools.cache
def sample_pool() -> tuple[Sample, ...]:
    """Sample files that scan on their own as Kubernetes or Compose, with components and no skip."""
    pool = []
    if not SAMPLES.exists():
        return ()
    for path in _candidates(SAMPLES):
        system = scan(path)
        if system.skipped or not system.components or len(system.files) != 1:
            continue
        as_ = system.files[0].as_
        flavour = Flavour.COMPOSE if as_ == "compose" else Flavour.KUBERNETES if as_ == "kubernetes" else None
        if flavour is not None:
            pool.append(Sample(str(path.relative_to(SAMPLES)), flavour, path.read_bytes()))
    return tuple(pool)


@st.composite
def sampled(draw: st.DrawFn, flavour: Flavour | None = None) -> Case:
    """A sample file as the target (of ``flavour`` when given) and up to two other samples beside it."""
    pool = sample_pool()
    targets = [s for s in pool if flavour is None or s.flavour is flavour]
    target = draw(st.sampled_from(targets))
    others = draw(st.lists(st.sampled_from(pool), max_size=2, unique_by=lambda s: s.rel))
    files = {f"t/{Path(target.rel).name}": target.data}
    for i, s in enumerate(o for o in others if o.rel != target.rel):
        files[f"n{i}/{Path(s.rel).name}"] = s.data
    return Case(target.rel, tuple(sorted(files.items())), f"t/{Path(target.rel).name}", target.flavour)
