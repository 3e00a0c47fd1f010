"""IN002 hpa-target-missing: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import SCALABLE, object_doc, single_writer
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.integrity._shared import _adjusted, _meant, _objects, _partial_scan


@register
class HpaTargetMissing(Rule):
    """What it does:
    Flags a HorizontalPodAutoscaler whose `scaleTargetRef` names a workload the scan did not find.

    Why it matters:
    The HPA is accepted and reports `FailedGetScale`; the workload it was meant to scale stays at its fixed
    replica count. Capacity planning that counts on the autoscaler is wrong, and the first traffic peak
    finds out.

    Example:
    scaleTargetRef: {kind: Deployment, name: front-end}   # the Deployment is called frontend

    Fix:
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: frontend}

    Unsafe: the autoscaler starts changing the workload's replica count. The edit is offered only when
    one Deployment, StatefulSet or ReplicaSet of the namespace is named like the HPA or its target
    (case and separators aside, or one letter away), is not a single-writer datastore (more replicas of
    one are divergent copies, not capacity) and has no autoscaler already; otherwise it is advice.

    Trade-offs:
    None.
    """

    code = "IN002"
    name = "hpa-target-missing"
    category = Category.INTEGRITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "HorizontalPodAutoscaler"):
            if o.selects:
                continue
            ref = o.spec.get("scaleTargetRef") if isinstance(o.spec.get("scaleTargetRef"), dict) else {}
            target = (
                f"{ref.get('kind')}/{ref.get('name')}"
                if ref and ref.get("name")
                else (o.refs[0] if o.refs else "<none>")
            )
            severity, note = _adjusted(ctx, self.severity)
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                severity=severity,
                message=(
                    f"HorizontalPodAutoscaler `{o.name}` targets `{target}`, which does not exist in "
                    "namespace "
                    f"`{o.namespace}`{note}"
                ),
                why=(
                    f"`{o.name}` scales nothing: the workload it was meant for stays at its fixed replica "
                    "count "
                    "through the next traffic peak."
                ),
                fix=self._fix(ctx, o, ref or {}),
                tradeoff="None.",
            )

    @staticmethod
    def _fix(ctx: Context, o: K8sObject, ref: dict[str, object]) -> Fix:
        title = f"point HorizontalPodAutoscaler `{o.name}` at an existing workload"
        note = _partial_scan(ctx)
        if note is not None:
            return advice(title, f"Set spec.scaleTargetRef to the workload it should scale; {note}.")
        target = str(ref.get("name") or "")
        w = _meant(ctx, o, [target] if target else [])
        if w is None or w.workload not in SCALABLE or w.object_name is None:
            return advice(
                title,
                "Set spec.scaleTargetRef to the Deployment or StatefulSet it should scale, or delete it: no "
                f"scalable workload of namespace `{o.namespace}` is named like it or its target.",
            )
        if single_writer(w):
            return advice(
                title,
                f"`{w.name}` is a single-writer datastore: more replicas are divergent copies, not "
                "capacity. Delete the autoscaler; scale reads with an operator or a managed service that "
                "sets up replication.",
            )
        if w.autoscaling is not None:
            return advice(
                title,
                f"`{w.name}` already has an autoscaler ({w.autoscaling.name or 'stated'}); two would fight "
                "over its replica count. Delete this one.",
            )
        value = {"apiVersion": "apps/v1", "kind": w.workload, "name": w.object_name}
        edits = [
            Edit(doc=object_doc(o), op=Op.SET, path=("spec", "scaleTargetRef", key), value=v)
            for key, v in value.items()
            if ref.get(key) != v  # only what differs, so the rest of the reference stays as written
        ]
        return unsafe(f"scale {w.workload} `{w.object_name}`", *edits)
