"""SE016 dangerous-capabilities: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component, Container
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import loc
from redline.review.rules.security._shared import (
    _DANGEROUS_CAPS,
    _doc_at,
    _elsewhere,
    _sec_where,
    _security_path,
)


@register
class DangerousCapabilities(Rule):
    """What it does:
    Flags a container that adds Linux capabilities that amount to (or lead to) root on the node: `ALL`,
    `SYS_ADMIN`, `SYS_MODULE`, `SYS_PTRACE`, `SYS_RAWIO`, `DAC_READ_SEARCH`, `BPF` (high); `NET_ADMIN`,
    `SYS_BOOT`, `SYS_TIME` (medium); `NET_RAW` (low). Common harmless additions (`NET_BIND_SERVICE`,
    `CHOWN`, `SETUID`...) are not reported.

    Why it matters:
    `SYS_ADMIN` is "the new root": mount filesystems, escape via cgroups. `SYS_PTRACE` reads other
    processes' memory, `SYS_MODULE` loads kernel code, `DAC_READ_SEARCH` reads any file by handle (the
    "shocker" escape), `NET_ADMIN` rewrites the pod's routing and firewall, `NET_RAW` allows ARP/DNS
    spoofing on the node network.

    Example:
    securityContext: {capabilities: {add: [SYS_ADMIN]}}

    Fix:
    Unsafe: the dangerous capabilities are taken out of `capabilities.add` (Compose: `cap_add`), the
    others kept as written. A process that uses one of them fails where it did not, so the edit needs
    `--unsafe-fixes`. Dropping the default set too (`drop: [ALL]`) is a further step left to the reader:
    which capabilities the process still needs is not in these files.

    securityContext:
      capabilities: {add: [NET_BIND_SERVICE]}   # SYS_ADMIN removed

    Trade-offs:
    Tools that genuinely need a capability (a VPN sidecar needs NET_ADMIN) should run isolated and be
    suppressed explicitly.
    """

    code = "SE016"
    name = "dangerous-capabilities"
    category = Category.SECURITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k in c.containers:
                if k.security is None or k.security.privileged:
                    continue
                caps = [cap.upper().removeprefix("CAP_") for cap in k.security.capabilities_add]
                bad = [cap for cap in caps if cap in _DANGEROUS_CAPS]
                if not bad:
                    continue
                severity = min((_DANGEROUS_CAPS[cap] for cap in bad), key=lambda s: s.rank)
                file, line = _sec_where(c, k)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=severity,
                    message=f"container `{k.name}` of `{c.name}` adds capabilities {', '.join(bad)}",
                    why=(
                        f"With {', '.join(bad)}, a compromise of `{c.name}` reaches beyond its container: "
                        "kernel, other processes or the node network."
                    ),
                    fix=_fix(c, k, bad),
                    tradeoff="Tools that truly need a capability should run isolated and be suppressed.",
                    evidence=[f"{loc(k.security.source, k.source)} capabilities.add {caps}"],
                )


def _fix(c: Component, k: Container, bad: list[str]) -> Fix:
    title = f"stop adding {', '.join(bad)} to `{k.name}` of `{c.name}`"
    src = k.security.source if k.security else None
    doc, base = _doc_at(c, src), _security_path(c, k)
    if doc is None or base is None:
        return advice(title, _elsewhere(c, "`capabilities.add`", src))
    path = (*base, "cap_add") if c.platform == "compose" else (*base, "capabilities", "add")
    added = k.security.capabilities_add if k.security else []
    kept = [cap for cap in added if cap.upper().removeprefix("CAP_") not in bad]
    if kept:
        return unsafe(title, Edit(doc=doc, op=Op.SET, path=path, value=kept))
    return unsafe(title, Edit(doc=doc, op=Op.REMOVE, path=path))
