"""AV007 rwo-volume-on-deployment: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import doc_of, single_writer, single_writer_text
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component, Kind, Volume
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register


@register
class ReadWriteOnceOnDeployment(Rule):
    """Stateful Deployment with a ReadWriteOnce volume.

    What it does:
        Flags a Deployment that mounts a PersistentVolumeClaim whose access mode is ``ReadWriteOnce`` (or
        ``ReadWriteOncePod``). With more than one replica, or with a rolling update, the pods compete for
        one volume that only one node can attach. For a datastore or queue the message says so: replicas
        on one node would run separate engines over one data directory.

    Why it matters:
        A second replica, or the new pod of a rolling update scheduled on another node, stays in
        ``ContainerCreating`` with a Multi-Attach error: the rollout hangs, and scale-up silently does
        not happen. All replicas of a Deployment also share the one claim, which is rarely what a
        datastore wants.

    Example:
        ```yaml
        kind: Deployment
        spec:
          replicas: 2
          template: {spec: {volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]}}
        ```

    Fix:
        For one replica (no HPA): unsafe, set ``strategy: {type: Recreate}`` (every deploy then stops the
        old pod before the new one starts: a short outage instead of a hung rollout). For two or more
        replicas, advice: a StatefulSet with one claim per replica, or a ReadWriteMany volume; for a
        single-writer datastore, one instance, or replication through an operator.
        ```yaml
        kind: StatefulSet        # one claim per replica
        spec:
          volumeClaimTemplates:
          - metadata: {name: data}
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
        ```
        or, for a single replica, ``strategy: {type: Recreate}``.

    Trade-offs:
        A StatefulSet rolls out one pod at a time and keeps stable names; Recreate means a short outage at
        every deploy.
    """

    code = "AV007"
    name = "rwo-volume-on-deployment"
    category = Category.AVAILABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        pvcs = {(o.namespace, o.name): o for o in ctx.objects("PersistentVolumeClaim")}
        for c in ctx.system.components:
            if c.workload != "Deployment":
                continue
            n = ctx.replicas(c) or 1
            for v in c.volumes:
                if v.type != "persistentVolumeClaim":
                    continue
                modes = list(v.access_modes)
                if not modes and v.claim:
                    obj = pvcs.get((c.namespace or "default", v.claim))
                    spec_modes = obj.spec.get("accessModes") if obj else None
                    if isinstance(spec_modes, list):
                        modes = [str(m) for m in spec_modes]
                once = [m for m in modes if m in ("ReadWriteOnce", "ReadWriteOncePod")]
                if not once or any(m == "ReadWriteMany" for m in modes):
                    continue
                recreate = c.update_strategy is not None and c.update_strategy.type == "Recreate"
                if n < 2 and recreate:
                    continue
                if n >= 2 and c.kind in (Kind.DATASTORE, Kind.QUEUE):
                    what = f"{c.engine} {c.kind.value}" if c.engine else c.kind.value
                    problem = (
                        f"{n} replicas of the {what} share it: replicas on other nodes hang on "
                        "Multi-Attach, and replicas on the same node run separate engines over one data "
                        "directory (the second fails on the engine's lock, or corrupts the data)"
                    )
                    sev = Severity.HIGH
                elif n >= 2:
                    problem = f"{n} replicas share it, but only one node can attach it"
                    sev = Severity.HIGH
                else:
                    problem = "a rolling update starts the new pod before the old one releases it"
                    sev = self.severity
                src = v.source or c.source
                yield self.finding(
                    component=c.name,
                    file=src.file,
                    line=src.line,
                    severity=ctx.severity_for(c, sev),
                    message=(
                        f"Deployment `{c.name}` mounts {once[0]} claim `{v.claim or v.name}`: {problem}."
                    ),
                    why=(
                        "A pod scheduled on another node stays in ContainerCreating with a Multi-Attach "
                        "error: rollouts hang and scale-ups silently do not happen."
                    ),
                    fix=self._fix(c, v, n),
                    tradeoff=(
                        "A StatefulSet rolls out one pod at a time; Recreate means a short outage at every "
                        "deploy."
                    ),
                )

    @staticmethod
    def _fix(c: Component, v: Volume, n: int) -> Fix:
        name, claim = c.object_name or c.name, v.claim or v.name
        doc = doc_of(c)
        if n < 2 and c.autoscaling is None and doc is not None:
            return unsafe(
                f"replace `{name}`'s pod before starting the new one (strategy Recreate)",
                Edit(doc=doc, op=Op.SET, path=("spec", "strategy"), value={"type": "Recreate"}),
            )
        if single_writer(c):
            text = (
                f"`{name}` is a {single_writer_text(c)}: run one instance as a StatefulSet "
                f"with its own claim, or replication through an operator. No replica edit is offered: more "
                f"copies over claim `{claim}` corrupt or lock its data."
            )
        else:
            text = (
                f"Give each replica of `{name}` its own claim (a StatefulSet with a volumeClaimTemplate "
                f"sized like `{claim}`), or a ReadWriteMany volume if the replicas must share files. No "
                "edit is offered: the workload kind changes, and the data in the claim has to move."
            )
        return advice(f"stop `{name}`'s replicas sharing ReadWriteOnce claim `{claim}`", text)
