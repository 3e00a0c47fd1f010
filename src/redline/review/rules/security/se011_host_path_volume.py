"""SE011 host-path-volume: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import container_path, doc_of
from redline.fix.edits import Edit, Fix, Match, Op, Safety, advice, unsafe
from redline.model import Component, Volume
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, where
from redline.review.rules.security._shared import _SENSITIVE, _is_socket


@register
class HostPathVolume(Rule):
    """What it does:
    Flags a Kubernetes `hostPath` volume. Sensitive paths (`/`, `/etc`, `/root`, `/proc`, `/sys`,
    `/var/lib/kubelet`, `/var/lib/docker`, ...) writable by the pod are high; a read-only mount of a
    non-sensitive path is low; other hostPath mounts are medium. Container runtime sockets are SE012.

    Why it matters:
    A hostPath ties the pod to what is on one node's disk and opens the node to the container: a writable
    mount of a system directory is a container escape (write a cron file, a kubelet config, an SSH key),
    and even a read-only one can leak other pods' data and credentials.

    Example:
    volumes: [{name: logs, hostPath: {path: /var/log}}]

    Fix:
    Unsafe, for a writable mount: `readOnly: true` on the container's volumeMount, when the pod has one
    container (the model does not say which of several mounts it). Whatever the container writes there
    starts failing, so the edit needs `--unsafe-fixes`. Replacing the hostPath (a PersistentVolumeClaim,
    an emptyDir) or narrowing the path changes what the pod reads and is advice, as is every read-only
    mount.

    volumeMounts:
      - {name: logs, mountPath: /var/log, readOnly: true}

    Trade-offs:
    Log shippers and node agents need host paths by design: mount them read-only, narrow the path, and
    suppress the finding for that agent.
    """

    code = "SE011"
    name = "host-path-volume"
    category = Category.SECURITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes":
                continue
            for v in c.volumes:
                if v.type != "hostPath" or _is_socket(v.host_path):
                    continue
                path = (v.host_path or "?").rstrip("/") or "/"
                sensitive = path in _SENSITIVE or path.startswith(("/etc/", "/root/", "/var/lib/kubelet"))
                if sensitive and not v.read_only:
                    severity = Severity.HIGH
                elif v.read_only and not sensitive:
                    severity = Severity.LOW
                else:
                    severity = self.severity
                mode = "read-only" if v.read_only else "writable"
                file, line = where(v.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=severity,
                    message=(
                        f"`{c.name}` mounts host path `{path}` ({mode}) as volume `{v.name}`"
                        + (f" at `{v.mount_path}`" if v.mount_path else "")
                    ),
                    why=(
                        f"`{c.name}` can reach its node's files: "
                        + (
                            "a writable system path is a container escape."
                            if sensitive and not v.read_only
                            else "it is pinned to one node's disk and can read other workloads' data."
                        )
                    ),
                    fix=_fix(c, v, path),
                    tradeoff="Node agents (log shippers) need host paths: mount read-only, narrow, suppress.",
                )


def _fix(c: Component, v: Volume, path: str) -> Fix:
    replace = (
        f"Replace host path `{path}` with a PersistentVolumeClaim (data that must outlive the pod) or an "
        "emptyDir (scratch space); when host access is the point (a node agent), narrow the path, mount "
        "it read-only and suppress this finding for the agent."
    )
    if v.read_only:
        return advice(f"replace or narrow host path `{path}` of `{c.name}`", replace)
    title = f"mount host path `{path}` of `{c.name}` read-only"
    doc, mains = doc_of(c), app_containers(c)
    target = container_path(c, mains[0]) if len(mains) == 1 and v.mount_path else None
    if doc is None or target is None:
        what = f"Mount volume `{v.name}` with `readOnly: true` in every container that mounts it. {replace}"
        return advice(
            title,
            what,
            {"volumeMounts": [{"name": v.name, "mountPath": v.mount_path or path, "readOnly": True}]},
        )
    mount = (*target, "volumeMounts", Match(key="name", value=v.name), "readOnly")
    return unsafe(title, Edit(doc=doc, op=Op.SET, path=mount, value=True))
