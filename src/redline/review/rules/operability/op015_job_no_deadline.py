"""OP015 job-no-deadline: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.operability._shared import _cron_where


@register
class JobNoDeadline(Rule):
    """What it does:
    Flags a Job or CronJob with no `activeDeadlineSeconds`.

    Why it matters:
    A run that hangs (a lock it never gets, a connection that never times out) runs forever: it holds its
    resources and, for a CronJob with `concurrencyPolicy: Forbid`, silently blocks every later run. Nobody
    is told, because a running job has not failed.

    Example:
    kind: Job, spec: {backoffLimit: 3, template: ...} with no `activeDeadlineSeconds`.

    Fix:
    spec:
      activeDeadlineSeconds: 3600   # generous: well above the slowest normal run

    Trade-offs:
    A legitimately slow run past the deadline is killed and marked failed; size the deadline from history.
    """

    code = "OP015"
    name = "job-no-deadline"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not c.is_batch or c.platform != "kubernetes":
                continue
            if c.cron is not None and c.cron.active_deadline_s is not None:
                continue
            blocked = c.workload == "CronJob" and c.cron is not None and c.cron.concurrency_policy == "Forbid"
            file, line = _cron_where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                message=f"{c.workload} `{c.name}` has no activeDeadlineSeconds: a hung run never ends",
                why=(
                    f"A hung run of `{c.name}` holds its resources forever"
                    + (" and, with concurrencyPolicy Forbid, blocks every later run." if blocked else ".")
                ),
                fix=f"# {c.workload} {c.name}\nspec:\n  activeDeadlineSeconds: 3600",
                tradeoff="A legitimately slow run past the deadline is killed; size it from history.",
            )
