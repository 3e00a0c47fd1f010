"""SE005 privileged-container: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component, Container
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.security._shared import _doc_at, _elsewhere, _sec_where, _security_path


@register
class PrivilegedContainer(Rule):
    """What it does:
    Flags a container that runs privileged (`securityContext.privileged: true`, or Compose
    `privileged: true`).

    Why it matters:
    A privileged container has every capability and every host device: a compromise of the application
    is a compromise of the node, and from the node of every pod and secret scheduled on it. It is the
    single setting that turns an application bug into a cluster incident.

    Example:
    securityContext: {privileged: true}

    Fix:
    Unsafe: `privileged: false` in the container's securityContext (Compose: on the service). A container
    that uses a host device or a capability it had through privilege stops working, so the edit needs
    `--unsafe-fixes`; add back only the capabilities it needs (`capabilities.add`, Compose `cap_add`).

    securityContext:
      privileged: false

    Trade-offs:
    Finding the minimal capability set takes testing; some node agents (CNI, storage drivers) genuinely
    need privilege and should be isolated on dedicated nodes and suppressed here.
    """

    code = "SE005"
    name = "privileged-container"
    category = Category.SECURITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k in c.containers:
                if not (k.security and k.security.privileged):
                    continue
                file, line = _sec_where(c, k)
                init = "init container" if k.init else "container"
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=f"{init} `{k.name}` of `{c.name}` runs privileged",
                    why=(
                        f"Whoever compromises `{c.name}` gets every capability and host device: the node, "
                        "and "
                        "every pod and secret on it."
                    ),
                    fix=_fix(c, k),
                    tradeoff=(
                        "Finding the minimal capabilities takes testing; true node agents need isolation."
                    ),
                )


def _fix(c: Component, k: Container) -> Fix:
    title = f"stop running `{k.name}` of `{c.name}` privileged; add back only the capabilities it needs"
    src = k.security.source if k.security else None
    doc, path = _doc_at(c, src), _security_path(c, k)
    if doc is None or path is None:
        return advice(title, _elsewhere(c, "`privileged: false`", src))
    return unsafe(title, Edit(doc=doc, op=Op.SET, path=(*path, "privileged"), value=False))
