"""OP015 job-no-deadline: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import set_fix
from redline.fix.edits import Fix, Safety, advice
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.operability._shared import _cron_interval_s, _cron_where


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
    For a CronJob, unsafe (a run slower than its slot is killed and marked failed): the job template's
    `activeDeadlineSeconds` set to the shortest time between two scheduled runs, so a run never outlives
    its slot. For a Job, advice: how long its slowest normal run takes is not in the files, and a
    deadline written from a guess kills healthy runs.

    spec:
      jobTemplate:
        spec:
          activeDeadlineSeconds: 300   # schedule */5 * * * *

    Trade-offs:
    A legitimately slow run past the deadline is killed and marked failed; size the deadline from history.
    """

    code = "OP015"
    name = "job-no-deadline"
    category = Category.OPERABILITY
    severity = Severity.LOW
    fix_safety = Safety.UNSAFE

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
                fix=_fix(c),
                tradeoff="A legitimately slow run past the deadline is killed; size it from history.",
            )


def _fix(c: Component) -> Fix:
    title = f"bound how long a run of {c.workload} `{c.name}` may take"
    interval = _cron_interval_s(c.cron.schedule if c.cron else None) if c.workload == "CronJob" else None
    if interval is None:
        return advice(
            title,
            "Set activeDeadlineSeconds well above the slowest normal run, as the job's history shows it "
            "(kubectl get jobs shows durations); redline writes no number, since a guess kills healthy runs.",
        )
    return set_fix(
        c,
        Safety.UNSAFE,
        f"stop a run of CronJob `{c.name}` when the next is due ({interval} s)",
        ("spec", "jobTemplate", "spec"),
        ("activeDeadlineSeconds",),
        interval,
    )
