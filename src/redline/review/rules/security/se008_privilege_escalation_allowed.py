"""SE008 privilege-escalation-allowed: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import set_fix
from redline.fix.edits import Fix, Safety, advice
from redline.model import Component, Container
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import is_long_running
from redline.review.rules.security._shared import _k8s_containers, _sec_where, _security_path


@register
class PrivilegeEscalationAllowed(Rule):
    """What it does:
    Flags a Kubernetes container that sets `allowPrivilegeEscalation: true` (medium), or that runs as a
    non-root user but leaves `allowPrivilegeEscalation` unset (low). Unset means the kernel's
    `no_new_privs` flag is not set, so escalation is allowed. Containers that may run as root are covered
    by SE006/SE007 instead, since escalation is moot for root; privileged containers by SE005.

    Why it matters:
    Running as non-root only helps if the process cannot become root again. Without `no_new_privs`, a
    setuid binary in the image (`su`, `sudo`, `ping` in older images, anything an attacker can exec) lets
    a compromised non-root process regain root, undoing `runAsNonRoot`. The Pod Security Standard
    "restricted" requires it to be `false`.

    Example:
    securityContext: {runAsNonRoot: true, runAsUser: 10001}     # allowPrivilegeEscalation unset

    Fix:
    `allowPrivilegeEscalation: false` in the container's securityContext. Safe when it was unset: the
    container already runs as a non-root user, and the setting only stops setuid binaries from raising
    privileges. Unsafe when the manifest says `true`: someone chose it, and a process may depend on it.
    Advice when the container adds `SYS_ADMIN`: the API server rejects that combination, so drop the
    capability first (SE016).

    securityContext:
      allowPrivilegeEscalation: false

    Trade-offs:
    Breaks processes that rely on setuid binaries at run time (rare in service images).
    """

    code = "SE008"
    name = "privilege-escalation-allowed"
    category = Category.SECURITY
    severity = Severity.MEDIUM
    fix_safety = Safety.SAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c, k in _k8s_containers(ctx):
            s = k.security
            if s is None or s.privileged:
                continue
            non_root = bool(s.run_as_non_root) or (s.run_as_user is not None and s.run_as_user > 0)
            if s.allow_privilege_escalation is True:
                severity, state = self.severity, "sets allowPrivilegeEscalation: true"
            elif s.allow_privilege_escalation is None and non_root and not k.init and is_long_running(c):
                severity, state = Severity.LOW, "runs as non-root but leaves allowPrivilegeEscalation unset"
            else:
                continue
            file, line = _sec_where(c, k)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=severity,
                message=f"container `{k.name}` of `{c.name}` {state}, so setuid binaries can regain root",
                why=(
                    f"A compromised process in `{c.name}` can exec a setuid binary and become root again, "
                    "undoing the non-root user."
                ),
                fix=_fix(c, k),
                tradeoff="Breaks only processes that rely on setuid binaries at run time (rare).",
            )


def _fix(c: Component, k: Container) -> Fix:
    title = f"stop setuid binaries from regaining root in `{k.name}` of `{c.name}`"
    caps = {cap.upper().removeprefix("CAP_") for cap in (k.security.capabilities_add if k.security else [])}
    if "SYS_ADMIN" in caps:
        what = (
            f"`{k.name}` adds SYS_ADMIN, and the API server rejects allowPrivilegeEscalation: false "
            "together with it: drop the capability first (SE016), then set the flag."
        )
        return advice(title, what)
    explicit = k.security is not None and k.security.allow_privilege_escalation is True
    safety = Safety.UNSAFE if explicit else Safety.SAFE  # an explicit `true` was someone's choice
    return set_fix(c, safety, title, _security_path(c, k), ("allowPrivilegeEscalation",), False)
