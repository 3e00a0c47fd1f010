"""SE010 host-pid: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import where
from redline.review.rules.security._shared import _host_namespace_fix


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
    Unsafe: `hostPID: false` in the pod spec (Compose: `pid` removed). A node agent that inspects other
    processes stops seeing them, so the edit needs `--unsafe-fixes`.

    spec:
      hostPID: false

    Trade-offs:
    Only node-level debugging and monitoring agents need it; run those separately.
    """

    code = "SE010"
    name = "host-pid"
    category = Category.SECURITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

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
                fix=_host_namespace_fix(c, prov.source if prov else None, "hostPID", "pid", "process"),
                tradeoff="Only node-level agents need it; run them separately and suppress.",
            )
