"""SE012 container-runtime-socket: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
from redline.model import Component, Volume
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import where
from redline.review.rules.security._shared import _is_socket


@register
class ContainerRuntimeSocket(Rule):
    """What it does:
    Flags a container that mounts the container runtime's socket (`/var/run/docker.sock`,
    `containerd.sock`, `crio.sock`, `podman.sock`) from the host, as a Kubernetes hostPath or a Compose
    bind mount, read-only or not.

    Why it matters:
    The socket is the runtime's full API. Whoever can talk to it can start a privileged container that
    mounts the host's root filesystem: it is root on the host. Mounting it `:ro` does not help, since
    read-only applies to the socket file, not to the API calls sent over it. A reverse proxy that reads
    labels through it (Traefik) turns every proxy vulnerability into host takeover.

    Example:
    volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"]

    Fix:
    Advice: the consumer must be pointed at a filtering proxy (or configured statically), which is a
    change to its own configuration and a new service, not an edit of one setting.

    # Put a filtering proxy in front of the socket, exposing only the read endpoints the service needs:
    socket-proxy:
      image: tecnativa/docker-socket-proxy
      environment: {CONTAINERS: 1, POST: 0}
      volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"]
    proxy:
      command: ["--providers.docker.endpoint=tcp://socket-proxy:2375"]

    Trade-offs:
    One more container, and the consumer must support a TCP endpoint. Or configure the proxy statically
    (file provider) and drop the socket entirely.
    """

    code = "SE012"
    name = "container-runtime-socket"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for v in c.volumes:
                if not _is_socket(v.host_path):
                    continue
                mode = " read-only (which does not restrict the API)" if v.read_only else ""
                file, line = where(v.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=f"`{c.name}` mounts the container runtime socket `{v.host_path}`{mode}",
                    why=(
                        f"Whoever compromises `{c.name}` can ask the runtime to start a privileged container "
                        "with the host's filesystem mounted: root on the host."
                    ),
                    fix=_fix(c, v),
                    tradeoff="One more container; the consumer must support a TCP endpoint.",
                )


def _fix(c: Component, v: Volume) -> Fix:
    title = f"stop mounting `{v.host_path}` into `{c.name}`"
    if c.platform != "compose":
        what = (
            f"Remove volume `{v.name}` from `{c.name}`. A workload that must drive the runtime (a CI "
            "runner, a node agent) belongs on dedicated nodes, with this finding suppressed for it."
        )
        return advice(title, what)
    what = (
        f"Remove the socket mount from `{c.name}` and point it at a socket proxy that allows only the "
        "read-only API calls it needs (Traefik: `--providers.docker.endpoint=tcp://socket-proxy:2375`), "
        "or configure it statically and drop the socket."
    )
    proxy = {
        "image": "tecnativa/docker-socket-proxy",
        "environment": {"CONTAINERS": 1, "POST": 0},
        "volumes": [f"{v.host_path}:/var/run/docker.sock:ro"],
    }
    return advice(title, what, {"services": {"socket-proxy": proxy}})
