"""How a component's series are selected in Prometheus, and how an operator reaches it from a shell.

Kubernetes: cAdvisor and kube-state-metrics series carry ``namespace``, ``pod`` and ``container``; a
pod's name is its workload's name and a suffix (a Deployment's ``NAME-<hash>-<id>``, a StatefulSet's
``NAME-<ordinal>``). An exporter scraped through a ServiceMonitor or PodMonitor carries ``namespace`` and
``pod`` of the pod it scrapes (the engine's own endpoint or a sidecar).

Compose: cAdvisor exports Docker's labels, so a service's containers are
``container_label_com_docker_compose_project`` and ``..._service``; an exporter Prometheus scrapes by the
service's name has ``instance="NAME:PORT"`` (or ``NAME-exporter:PORT`` for a separate exporter service).

Commands use the names as the files state them: ``kubectl -n NS ... deploy/NAME`` and
``docker compose -f FILE -p PROJECT ... NAME``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from redline.generate.selectors import Matcher
from redline.model import Component

__all__ = ["Target", "regex_escape", "target_of"]

_SHORT = {"Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds", "ReplicaSet": "rs"}
_POD_SUFFIX = {
    "Deployment": "-[a-z0-9]+-[a-z0-9]+",
    "StatefulSet": "-[0-9]+",
    "DaemonSet": "-[a-z0-9]+",
    "ReplicaSet": "-[a-z0-9]+",
}


@dataclass(frozen=True)
class Target:
    """A running component as Prometheus and a shell see it."""

    component: Component
    platform: str  # kubernetes or compose
    containers: tuple[Matcher, ...]  # cAdvisor matchers for its (app) containers
    state: tuple[Matcher, ...]  # kube-state-metrics matchers (Kubernetes only)
    exporter: tuple[Matcher, ...]  # an exporter's matchers
    ref: str  # deploy/NAME, sts/NAME, or the compose service name
    namespace: str | None
    project: str | None
    file: str

    @property
    def kubernetes(self) -> bool:
        return self.platform == "kubernetes"

    def shell(self, *args: str) -> str:
        """``kubectl -n NS ARGS`` or ``docker compose -f FILE -p PROJECT ARGS``, quoted for a shell."""
        words = ["kubectl", "-n", self.namespace or "default"] if self.kubernetes else self._compose()
        return " ".join(shlex.quote(w) for w in [*words, *args])

    def _compose(self) -> list[str]:
        words = ["docker", "compose", "-f", self.file]
        return [*words, "-p", self.project] if self.project else words

    def status(self) -> str:
        if self.kubernetes:
            return self.shell("get", self.ref, "-o", "wide")
        return self.shell("ps", self.ref)

    def pods(self) -> str:
        if self.kubernetes:
            labels = ",".join(f"{k}={v}" for k, v in sorted(self.component.selector.items()))
            return self.shell("get", "pods", "-l", labels, "-o", "wide") if labels else self.status()
        return self.shell("ps", self.ref)

    def top(self) -> str:
        if self.kubernetes:
            labels = ",".join(f"{k}={v}" for k, v in sorted(self.component.selector.items()))
            return self.shell("top", "pod", "-l", labels) if labels else self.shell("top", "pod")
        return f"docker stats --no-stream $({self.shell('ps', '-q', self.ref)})"

    def logs(self) -> str:
        if self.kubernetes:
            return self.shell("logs", self.ref, "--all-containers", "--since=15m")
        return self.shell("logs", "--since", "15m", self.ref)

    def events(self) -> str | None:
        if not self.kubernetes:
            return None
        return self.shell("describe", self.ref)

    def scale(self, replicas: int) -> str:
        if self.kubernetes:
            return self.shell("scale", self.ref, f"--replicas={replicas}")
        return self.shell("up", "-d", "--scale", f"{self.ref}={replicas}", self.ref)

    def restart(self) -> str:
        if self.kubernetes:
            return self.shell("rollout", "restart", self.ref)
        return self.shell("restart", self.ref)

    def rollback(self) -> str | None:
        if self.kubernetes and self.ref.startswith(("deploy/", "sts/", "ds/")):
            return self.shell("rollout", "undo", self.ref)
        return None


def target_of(c: Component) -> Target | None:
    """The target of a component that runs as a Kubernetes workload or a Compose service; ``None`` for
    external systems, components only redline.yaml describes, and objects that run no pods."""
    if c.platform == "kubernetes" and c.workload in _SHORT and c.object_name:
        return _kubernetes(c)
    if c.platform == "compose" and c.object_name:
        return _compose(c)
    return None


def regex_escape(text: str) -> str:
    """``text`` as a literal inside an RE2 regular expression (``-`` left as it is, for reading)."""
    return "".join("\\" + ch if ch in ".^$*+?()[]{}|\\" else ch for ch in text)


def _containers(c: Component) -> Matcher:
    names = sorted({k.name for k in c.containers if not k.init})
    if len(names) == 1:
        return Matcher("container", "=", names[0])
    if names:
        return Matcher("container", "=~", "|".join(regex_escape(n) for n in names))
    return Matcher("container", "!~", "|POD")


def _kubernetes(c: Component) -> Target:
    name = c.object_name or c.name
    workload = c.workload or "Deployment"
    ns = c.namespace or "default"
    pod = Matcher("pod", "=~", regex_escape(name) + _POD_SUFFIX[workload])
    base = (Matcher("namespace", "=", ns), pod)
    return Target(
        component=c,
        platform="kubernetes",
        containers=(*base, _containers(c)),
        state=(*base, _containers(c)),
        exporter=base,
        ref=f"{_SHORT[workload]}/{name}",
        namespace=ns,
        project=None,
        file=c.source.file,
    )


def _compose(c: Component) -> Target:
    name = c.object_name or c.name
    project = c.group
    labels = [Matcher("container_label_com_docker_compose_service", "=", name)]
    if project:
        labels.insert(0, Matcher("container_label_com_docker_compose_project", "=", project))
    return Target(
        component=c,
        platform="compose",
        containers=tuple(labels),
        state=(),
        exporter=(Matcher("instance", "=~", regex_escape(name) + "(-exporter)?:[0-9]+"),),
        ref=name,
        namespace=None,
        project=project,
        file=c.source.file,
    )
