"""ST001 missing-object-reference: see the class docstring."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from redline.fix.edits import Fix, Safety, advice
from redline.model.system import ObjectRef
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import where
from redline.review.rules.start._shared import _STUCK, _missing


@register
class MissingObjectReference(Rule):
    """What it does:
    Flags a pod that needs a ConfigMap, Secret, key of one, PersistentVolumeClaim or ServiceAccount that the
    repository does not define: in `env` (`configMapKeyRef`/`secretKeyRef`), `envFrom`, `volumes` (including
    `projected` sources and `items` keys) and `serviceAccountName`. It fires only when the repository
    defines other objects of that kind in that namespace, so the missing one is most likely a typo or a
    rename; when it defines none, the objects are taken to come from outside (a secrets operator, a
    cluster bootstrap) and nothing is reported. References marked `optional: true` never fire, and the
    `default` ServiceAccount always exists.

    Why it matters:
    The manifests apply cleanly, then the pod never starts: a missing ConfigMap or Secret in env keeps the
    container in `CreateContainerConfigError`, in a volume it stays `ContainerCreating`, a missing claim
    keeps it `Pending`, and a missing ServiceAccount stops the ReplicaSet from creating pods at all. A
    rollout with `maxUnavailable: 0` hangs; otherwise the old pods are replaced by pods that never serve.

    Example:
    env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db-secret, key: pasword}}}]
    # the Secret `db-secret` has the key `password`

    Fix:
    Advice: which object or key was meant is a guess even when a name is one letter away, and the
    reference may equally be right and the object missing. The advice names the closest defined name,
    if one is close.

    valueFrom:
      secretKeyRef: {name: db-secret, key: password}   # a name and key the repository defines

    Trade-offs:
    None for a typo. If the object really is created outside the repository, mark the reference
    `optional: true` only when the container can start without it; otherwise document where it comes from.
    """

    code = "ST001"
    name = "missing-object-reference"
    category = Category.START
    severity = Severity.HIGH
    fix_safety = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes":
                continue
            seen: set[tuple[str, str, str | None, str]] = set()
            for ref in c.object_refs:
                key = (ref.kind, ref.name, ref.key, ref.via)
                if key in seen:
                    continue
                seen.add(key)
                missing = _missing(ctx, c, ref)
                if missing is None:
                    continue
                what, existing = missing
                file, line = where(ref.source, c.source)
                holder = f"container `{ref.container}` of `{c.name}`" if ref.container else f"`{c.name}`"
                shown = ", ".join(f"`{n}`" for n in existing[:5]) + (" …" if len(existing) > 5 else "")
                label = "keys" if ref.key is not None and "key `" in what else f"{ref.kind}s"
                yield self.on(
                    ctx,
                    c,
                    file=file,
                    line=line,
                    message=f"{holder} needs {what} ({ref.via}; defined {label}: {shown})",
                    why=(
                        f"The manifests apply, but `{c.name}`'s pods are "
                        f"{_STUCK.get(ref.kind, 'not started')}: they never start, and a rollout "
                        "replaces working pods with ones that never serve."
                    ),
                    fix=_fix(ref, label, existing),
                    tradeoff=(
                        "None for a typo; `optional: true` hides a real omission, use it only when safe."
                    ),
                )


def _fix(ref: ObjectRef, label: str, existing: list[str]) -> Fix:
    is_key = label == "keys" and ref.key is not None
    missing = ref.key if is_key and ref.key is not None else ref.name
    what = f"key of {ref.kind} `{ref.name}`" if is_key else ref.kind
    create = (
        f"add the key `{missing}` to {ref.kind} `{ref.name}`" if is_key else f"create {ref.kind} `{missing}`"
    )
    close = difflib.get_close_matches(missing, existing, n=1, cutoff=0.75)
    first = (
        f"`{close[0]}` is defined and close to `{missing}`: reference it if it is the one meant; otherwise "
        f"{create}"
        if close
        else f"Reference a {what} the repository defines, or {create}"
    )
    optional = (
        ", or, only if the container starts without it, mark the reference optional: true"
        if ref.kind in ("ConfigMap", "Secret")
        else ""
    )
    return advice(
        f"reference a {what} that exists, or {create}",
        f"{first[0].upper()}{first[1:]}{optional} ({ref.via})."
        + (" redline does not pick the name: a near match is still a guess." if close else ""),
    )
