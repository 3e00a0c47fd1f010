"""SE010 host-pid: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    where,
)


@register
class HostPid(Rule):
    """What it does:
    Flags a workload that shares the host's process namespace (`hostPID: true`, Compose `pid: host`).

    Why it matters:
    The container sees every process on the node, can read their environment (`/proc/<pid>/environ`,
    where other pods' secrets live) and, with enough privilege, signal or ptrace them.

    Example:
    spec: {hostPID: true}

    Fix:
    spec:
      hostPID: false

    Trade-offs:
    Only node-level debugging and monitoring agents need it; run those separately.
    """

    code = "SE010"
    name = "host-pid"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not c.host_pid:
                continue
            prov = c.provenance.get("host_pid")
            file, line = where(prov.source if prov else None, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                message=f"`{c.name}` shares the host's process namespace",
                why=(
                    f"`{c.name}` can see every process on its node and read their environment, including "
                    "other workloads' secrets."
                ),
                fix=f"# {c.name}\nspec:\n  hostPID: false",
                tradeoff="Only node-level agents need it; run them separately and suppress.",
            )
