"""ST005 datastore-data-not-writable: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.model import Kind
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
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
    volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
    # and no readOnly: true on the data directory's volumeMount

    Trade-offs:
    None for the engine's own data; read-only seed data belongs on a separate mount below or beside the
    data directory.
    """

    code = "ST005"
    name = "datastore-data-not-writable"
    category = Category.START
    severity = Severity.HIGH

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
                    fix = (
                        f"# {c.name}: the data directory's volumeMount\n- name: {v.name}\n"
                        f"  mountPath: {v.mount_path}\n  readOnly: false"
                    )
                elif modes and all(m == "ReadOnlyMany" for m in modes):
                    problem = (
                        f"keeps its data directory {v.mount_path} on claim `{v.claim or v.name}`, which asks "
                        "only for ReadOnlyMany access"
                    )
                    fix = f"# claim {v.claim or v.name} of {c.name}\nspec:\n  accessModes: [ReadWriteOnce]"
                else:
                    continue
                src = v.source or c.source
                yield self.finding(
                    component=c.name,
                    file=src.file,
                    line=src.line,
                    severity=ctx.severity_for(c, self.severity),
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
