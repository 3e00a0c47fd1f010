"""OP008 termination-grace-too-short: see the class docstring."""

from __future__ import annotations

import math
from collections.abc import Iterator

from redline.fix.build import pod_spec_path, set_fix
from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    threshold,
    where,
)
from redline.review.rules.operability._shared import _grace, _k8s_services


@register
class TerminationGraceTooShort(Rule):
    """What it does:
    Flags a long-running Kubernetes workload whose `terminationGracePeriodSeconds` is explicitly set below
    a threshold (default 5 s, `thresholds.termination_grace_min_s`). Unset means the Kubernetes default of
    30 s and is not reported.

    Why it matters:
    On every rollout, scale-down and node drain the pod gets SIGTERM and then, after the grace period,
    SIGKILL. Endpoint removal propagates to kube-proxy and load balancers asynchronously, often over a few
    seconds; a pod killed sooner drops its in-flight requests and any that are still routed to it, and
    cannot flush buffers or commit offsets.

    Example:
    terminationGracePeriodSeconds: 1

    Fix:
    Safe (a longer grace period only lets a pod that is stopping finish; a pod that exits sooner is not
    held back): `terminationGracePeriodSeconds` back to the Kubernetes default of 30 s, or to the
    configured minimum when that is higher. A `preStop` sleep (OP010) keeps the pod serving while routing
    catches up.

    terminationGracePeriodSeconds: 30

    Trade-offs:
    Longer grace makes rollouts and drains slower (each old pod lingers up to the grace period).
    """

    code = "OP008"
    name = "termination-grace-too-short"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.SAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        minimum = threshold(ctx, "termination_grace_min_s", 5.0)
        for c in _k8s_services(ctx):
            grace = _grace(c)
            if grace is None or grace >= minimum:
                continue
            prov = c.provenance.get("termination_grace_s")
            file, line = where(prov.source if prov else None, c.source)
            grace_s = max(_DEFAULT_GRACE_S, math.ceil(minimum))
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"`{c.name}` sets terminationGracePeriodSeconds to {grace:g} s, below {minimum:g} s"
                ),
                why=(
                    f"Pods of `{c.name}` are SIGKILLed {grace:g} s after SIGTERM, before load balancers stop "
                    "routing to them: every rollout and node drain drops in-flight requests."
                ),
                fix=set_fix(
                    c,
                    Safety.SAFE,
                    f"give pods of `{c.name}` {grace_s} s to stop (terminationGracePeriodSeconds)",
                    pod_spec_path(c),
                    ("terminationGracePeriodSeconds",),
                    grace_s,
                ),
                tradeoff="Rollouts and node drains take longer.",
            )


#: The grace period Kubernetes gives when none is stated.
_DEFAULT_GRACE_S = 30
