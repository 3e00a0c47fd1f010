"""SE007 run-as-non-root-not-enforced: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import set_fix
from redline.fix.edits import Fix, Safety
from redline.model import Component, Container
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import is_long_running
from redline.review.rules.security._shared import _k8s_containers, _sec_where, _security_path


@register
class RunAsNonRootNotEnforced(Rule):
    """What it does:
    Flags a long-running Kubernetes container that neither sets `runAsNonRoot: true` nor a non-zero
    `runAsUser` (pod or container level). It then runs as whatever `USER` its image declares, which is
    root for many images. This is a weak signal, hence low severity: the image may well use a non-root
    user; the manifest just does not guarantee it.

    Why it matters:
    `runAsNonRoot: true` makes the kubelet refuse to start a container that would run as root, so a later
    image (or a base-image change) cannot silently bring root back. See SE006 for what root costs.

    Example:
    A container with no `securityContext` running `mongo`.

    Fix:
    Unsafe: `runAsNonRoot: true` in the container's securityContext. The kubelet then refuses to start
    the container when its image runs as root, or as a user name it cannot verify (then also set
    `runAsUser` to the image's numeric user), so the edit needs `--unsafe-fixes`. No user id is proposed:
    which one the image supports is not in these files.

    securityContext:
      runAsNonRoot: true

    Trade-offs:
    Images that need root at start-up (chown of a data dir, binding port 80) must be adapted first; the
    kubelet refuses a named USER it cannot verify unless runAsUser is set.
    """

    code = "SE007"
    name = "run-as-non-root-not-enforced"
    category = Category.SECURITY
    severity = Severity.LOW
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c, k in _k8s_containers(ctx):
            if k.init or not is_long_running(c):
                continue
            s = k.security
            if s is not None and (s.run_as_non_root or (s.run_as_user is not None and s.run_as_user > 0)):
                continue
            if s is not None and (s.run_as_user == 0 or s.privileged):
                continue  # reported, more strongly, by SE006 / SE005
            file, line = _sec_where(c, k)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                message=(
                    f"container `{k.name}` of `{c.name}` does not enforce a non-root user (no runAsNonRoot, "
                    f"no runAsUser): it runs as the image's USER, root for many images"
                ),
                why=(
                    f"If `{k.image or 'the image'}` runs as root, a container escape from `{c.name}` lands "
                    "as root "
                    "on the node; nothing in the manifest prevents it."
                ),
                fix=_fix(c, k),
                tradeoff="Images that need root at start-up must be adapted first.",
            )


def _fix(c: Component, k: Container) -> Fix:
    title = f"make the kubelet refuse to run `{k.name}` of `{c.name}` as root (runAsNonRoot)"
    return set_fix(c, Safety.UNSAFE, title, _security_path(c, k), ("runAsNonRoot",), True)
