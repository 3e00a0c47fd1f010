"""SE006 runs-as-root: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import pod_spec_path
from redline.fix.edits import Edit, Fix, Op, Path, Safety, advice, unsafe
from redline.model import Component, Container
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.security._shared import (
    _doc_at,
    _elsewhere,
    _own_context,
    _sec_where,
    _security_path,
)


@register
class RunsAsRoot(Rule):
    """What it does:
    Flags a container that is explicitly told to run as root: `runAsUser: 0` in Kubernetes, or
    `user: root` / `user: "0"` in Compose (as read into the model).

    Why it matters:
    Root in the container is root on the host's kernel surface: a container escape (a runtime or kernel
    bug, a writable host mount) lands as root on the node, and root inside the container can modify the
    image's binaries and read every mounted secret.

    Example:
    securityContext: {runAsUser: 0}

    Fix:
    Unsafe. Kubernetes: `runAsUser: 0` is removed and `runAsNonRoot: true` set, in the securityContext
    that states it (the container's or the pod's), so the container runs as its image's own `USER` and
    the kubelet refuses to start it if that is root; Compose: `user:` is removed. The process may lose
    access to files it owned as root, or the pod may not start, so the edit needs `--unsafe-fixes`. No
    user id is proposed: which one the image supports is not in these files. When the model cannot tell
    whether the setting is the container's or the pod's, the fix is advice.

    securityContext:
      runAsNonRoot: true   # and no runAsUser: 0

    Trade-offs:
    The image must work as a non-root user (file ownership, ports below 1024 need NET_BIND_SERVICE or a
    higher port).
    """

    code = "SE006"
    name = "runs-as-root"
    category = Category.SECURITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k in c.containers:
                if k.security is None or k.security.run_as_user != 0:
                    continue
                file, line = _sec_where(c, k)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=Severity.LOW if k.init else self.severity,
                    message=f"container `{k.name}` of `{c.name}` is set to run as root (user 0)",
                    why=(
                        f"A container escape from `{c.name}` lands as root on the node, and root inside "
                        "can read "
                        "every mounted secret and rewrite the image's binaries."
                    ),
                    fix=_fix(c, k),
                    tradeoff="The image must run as a non-root user (file ownership, ports >= 1024).",
                )


def _fix(c: Component, k: Container) -> Fix:
    title = f"run `{k.name}` of `{c.name}` as its image's non-root user, not as root"
    src = k.security.source if k.security else None
    doc, service = _doc_at(c, src), _security_path(c, k)
    if doc is None or service is None:
        return advice(title, _elsewhere(c, "the user", src))
    if c.platform == "compose":
        return unsafe(title, Edit(doc=doc, op=Op.REMOVE, path=(*service, "user")))
    where = _context_path(c, k)
    if where is None:
        what = (
            "Remove `runAsUser: 0` and set `runAsNonRoot: true` where it is written; redline cannot tell "
            "whether that is the container's securityContext or the pod's."
        )
        return advice(title, what, {"securityContext": {"runAsNonRoot": True}})
    return unsafe(
        title,
        Edit(doc=doc, op=Op.REMOVE, path=(*where, "runAsUser")),
        Edit(doc=doc, op=Op.SET, path=(*where, "runAsNonRoot"), value=True),
    )


def _context_path(c: Component, k: Container) -> Path | None:
    """The securityContext that sets ``runAsUser: 0``: the container's own or the pod's; None if unknown."""
    own = _own_context(c, k)
    if own is None:
        return None
    if own:
        return _security_path(c, k)
    pod = pod_spec_path(c)
    return None if pod is None else (*pod, "securityContext")
