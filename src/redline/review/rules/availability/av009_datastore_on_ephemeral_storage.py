"""AV009 datastore-on-ephemeral-storage: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.model import Kind
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.availability._shared import (
    _DATA_DIRS,
    _STATEFUL,
    _persistent_advice,
    _unknown_data_volume,
)


@register
class DatastoreOnEphemeralStorage(Rule):
    """Datastore whose data lives on ephemeral storage.

    What it does:
        Flags a Kubernetes datastore, queue or cache whose engine data directory is an ``emptyDir``, and a
        datastore or queue run as a Deployment with no persistent volume at all (its data lives in the
        container's writable layer, or in an anonymous volume the runtime creates for the image's
        ``VOLUME``; both are deleted with the pod), and a datastore or queue of a known engine run as a
        StatefulSet with no ``volumeClaimTemplates`` and no persistent volume (the StatefulSet keeps the
        pod's name, not its data). Caches without a data-directory mount are not flagged: losing a cache
        is what caches are for.

    Why it matters:
        An emptyDir and the container layer die with the pod. Any reschedule — node drain, eviction, a
        rollout — starts the database empty: orders, carts or sessions vanish without an error.

    Example:
        ```yaml
        containers: [{name: redis, image: redis, volumeMounts: [{name: data, mountPath: /data}]}]
        volumes: [{name: data, emptyDir: {}}]
        ```

    Fix:
        Advice only: the claim's size and storage class are the owner's to state, the workload kind may
        have to change, and existing data does not move by itself.
        ```yaml
        kind: StatefulSet
        spec:
          volumeClaimTemplates:
          - metadata: {name: data}
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
        ```
        or a managed database.

    Trade-offs:
        Persistent volumes cost money, tie the pod to a zone, and slow rescheduling (detach/attach).
    """

    code = "AV009"
    name = "datastore-on-ephemeral-storage"
    category = Category.AVAILABILITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.kind not in _STATEFUL or c.platform != "kubernetes" or c.is_batch:
                continue
            persistent = [v for v in c.volumes if v.type in ("persistentVolumeClaim", "hostPath", "named")]
            if persistent:
                continue
            ephemeral = [
                v
                for v in c.volumes
                if v.type == "emptyDir" and v.mount_path and _DATA_DIRS.match(v.mount_path)
            ]
            if ephemeral:
                v = ephemeral[0]
                sev = Severity.LOW if c.kind == Kind.CACHE else self.severity
                src = v.source or c.source
                yield self.finding(
                    component=c.name,
                    file=src.file,
                    line=src.line,
                    severity=ctx.severity_for(c, sev),
                    message=(
                        f"the data directory {v.mount_path} of {c.kind.value} `{c.name}` is an emptyDir "
                        f"(`{v.name}`): what it stores is lost whenever the pod is rescheduled."
                    ),
                    why=(
                        f"A node drain, eviction or rollout starts `{c.name}` empty; everything it persisted "
                        "is gone without an error."
                    ),
                    fix=_persistent_advice(c, v.mount_path, v.name),
                    tradeoff=(
                        "A persistent volume costs money, pins the pod to a zone and slows rescheduling."
                    ),
                )
            elif c.kind in (Kind.DATASTORE, Kind.QUEUE) and c.workload in ("Deployment", "StatefulSet"):
                if c.workload == "StatefulSet" and (not c.engine or _unknown_data_volume(c)):
                    continue  # no known engine, or a volume type redline does not judge at the data path
                file, line = ctx.where(c)
                what = f"{c.engine} {c.kind.value}" if c.engine else c.kind.value
                how = (
                    "a StatefulSet with no volumeClaimTemplates and no persistent volume"
                    if c.workload == "StatefulSet"
                    else "a Deployment with no persistent volume"
                )
                yield self.on(
                    ctx,
                    c,
                    file=file,
                    line=line,
                    message=f"{what} `{c.name}` is {how}: its data lives only as long as the pod.",
                    why=(
                        f"Any restart on another node, eviction or rollout of `{c.name}` starts it empty; "
                        "the data is lost without an error."
                    ),
                    fix=_persistent_advice(c),
                    tradeoff=(
                        "A persistent volume costs money, pins the pod to a zone and slows rescheduling."
                    ),
                )
