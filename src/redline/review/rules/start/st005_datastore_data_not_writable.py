"""ST005 datastore-data-not-writable: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import container_path, doc_of, object_doc
from redline.fix.edits import Edit, Fix, Match, Op, Safety, advice, unsafe
from redline.model import Component, Kind, Volume
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers
from redline.review.rules.start._shared import _DATA_ROOT, _claim_modes


@register
class DatastoreDataNotWritable(Rule):
    """What it does:
    Flags a datastore or queue of a known engine (Kubernetes) whose data directory (the mount path
    itself, such as `/var/lib/postgresql/data`, `/var/lib/mysql`, `/data/db`, `/bitnami/...`; not a path
    below it) is mounted `readOnly: true`, or is a PersistentVolumeClaim (a claim or a
    volumeClaimTemplate) whose access modes are `ReadOnlyMany` only.

    Why it matters:
    A database writes its data directory from its first second: initdb, the InnoDB system tablespace,
    WiredTiger's journal, a lock file. On a read-only mount the engine fails at start (`Read-only file
    system`) and the pod crash-loops; every service behind it fails with it. A claim that asks only for
    `ReadOnlyMany` binds only to a volume offered for read-only use: most provisioners cannot create one
    (the claim stays Pending and the pod never starts), and drivers that honour the mode publish it
    read-only. Access modes are matching descriptors, not always enforced (an NFS volume stays
    writable), which is why the claim case is reported as the request it is.

    Example:
    volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadOnlyMany], resources: {requests: {storage: 10Gi}}}

    Fix:
    Unsafe (the engine may then write where it could not): `readOnly` removed from the data directory's
    volumeMount, when the pod has one container to hold it; a standalone claim's `accessModes` set to
    `[ReadWriteOnce]` (access modes cannot change on an existing claim: it has to be recreated). A
    volumeClaimTemplate, whose list position redline does not keep, gets advice.

    volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}

    Trade-offs:
    None for the engine's own data; read-only seed data belongs on a separate mount below or beside the
    data directory.
    """

    code = "ST005"
    name = "datastore-data-not-writable"
    category = Category.START
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes" or c.is_batch or not c.engine:
                continue
            if c.kind not in (Kind.DATASTORE, Kind.QUEUE):
                continue
            for v in c.volumes:
                if not v.mount_path or not _DATA_ROOT.match(v.mount_path):
                    continue
                if v.type not in ("persistentVolumeClaim", "hostPath", "emptyDir"):
                    continue
                modes = (
                    _claim_modes(ctx, c, v.claim, v.access_modes) if v.type == "persistentVolumeClaim" else []
                )
                if v.read_only:
                    problem = (
                        f"mounts its data directory {v.mount_path} read-only "
                        f"(volume `{v.name}`, readOnly: true)"
                    )
                    fix = _writable_mount(c, v)
                elif modes and all(m == "ReadOnlyMany" for m in modes):
                    problem = (
                        f"keeps its data directory {v.mount_path} on claim `{v.claim or v.name}`, which asks "
                        "only for ReadOnlyMany access"
                    )
                    fix = _writable_claim(ctx, c, v)
                else:
                    continue
                src = v.source or c.source
                yield self.on(
                    ctx,
                    c,
                    file=src.file,
                    line=src.line,
                    message=f"{c.engine} {c.kind.value} `{c.name}` {problem}: the engine must write there.",
                    why=(
                        f"`{c.name}` fails at start on a read-only data directory (or waits on a claim no "
                        "provisioner can satisfy read-write) and crash-loops; every service behind it "
                        "fails with it."
                    ),
                    fix=fix,
                    tradeoff=(
                        "None for the engine's own data; read-only seed data belongs on a separate mount."
                    ),
                    evidence=[f"{src.file}:{src.line} volume {v.name} ({v.type}) at {v.mount_path}"],
                )


def _writable_mount(c: Component, v: Volume) -> Fix:
    title = f"mount the data directory {v.mount_path} of `{c.name}` writable"
    containers = app_containers(c)
    doc = doc_of(c)
    path = container_path(c, containers[0]) if len(containers) == 1 else None
    if doc is None or path is None or v.mount_path is None:
        return advice(
            title,
            f"Remove readOnly: true from the volumeMount of `{v.name}` at {v.mount_path} in the container "
            "that runs the engine (redline cannot tell which of the pod's containers that is, or cannot edit "
            "where the pod is defined).",
        )
    mount = Match(key="mountPath", value=v.mount_path)
    return unsafe(title, Edit(doc=doc, op=Op.REMOVE, path=(*path, "volumeMounts", mount, "readOnly")))


def _writable_claim(ctx: Context, c: Component, v: Volume) -> Fix:
    claim = v.claim or v.name
    title = f"ask for ReadWriteOnce access on claim `{claim}` of `{c.name}`"
    obj = ctx.object_named("PersistentVolumeClaim", c.namespace or "default", claim)
    modes = obj.spec.get("accessModes") if obj is not None else None
    if obj is None or not isinstance(modes, list) or set(modes) != {"ReadOnlyMany"}:
        # no such object (or not the one asking for ReadOnlyMany): a StatefulSet's volumeClaimTemplate
        return advice(
            title,
            f"Set accessModes: [ReadWriteOnce] on the volumeClaimTemplate `{claim}` of `{c.name}`; claims "
            "already created from it keep their modes and have to be recreated.",
            {"spec": {"accessModes": ["ReadWriteOnce"]}},
        )
    edit = Edit(doc=object_doc(obj), op=Op.SET, path=("spec", "accessModes"), value=["ReadWriteOnce"])
    return unsafe(f"{title} (an existing claim keeps its modes: recreate it)", edit)
