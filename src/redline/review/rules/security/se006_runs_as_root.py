"""SE006 runs-as-root: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.security._shared import _sec_where


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
    securityContext:
      runAsUser: 10001
      runAsNonRoot: true

    Trade-offs:
    The image must work as a non-root user (file ownership, ports below 1024 need NET_BIND_SERVICE or a
    higher port).
    """

    code = "SE006"
    name = "runs-as-root"
    category = Category.SECURITY
    severity = Severity.MEDIUM

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
                    fix=(
                        f"# {c.name}, container {k.name}\nsecurityContext:\n  runAsUser: 10001\n  "
                        "runAsNonRoot: true"
                    ),
                    tradeoff="The image must run as a non-root user (file ownership, ports >= 1024).",
                )
