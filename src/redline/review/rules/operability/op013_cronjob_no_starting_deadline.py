"""OP013 cronjob-no-starting-deadline: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import set_fix
from redline.fix.edits import Fix, Safety, advice
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.operability._shared import _cron_interval_s, _cron_where, _cronjobs


@register
class CronJobNoStartingDeadline(Rule):
    """What it does:
    Flags a CronJob with no `startingDeadlineSeconds`.

    Why it matters:
    Without a deadline the CronJob controller counts every schedule it missed since the last run (controller
    downtime, a suspended job, `concurrencyPolicy: Forbid` behind a long run). Past 100 missed schedules it
    stops starting the job at all and only logs "too many missed start times"; a frequent job (every
    minute) reaches that after less than two hours of trouble and then never runs again until edited.
    With a deadline only the recent window is counted, and a run that cannot start in time is skipped.

    Example:
    kind: CronJob, spec: {schedule: "* * * * *", jobTemplate: ...}

    Fix:
    Safe (a run that starts on time, as every run of a healthy cluster does, is not affected): a
    `startingDeadlineSeconds` equal to the shortest time between two scheduled runs, read from the
    schedule, so a late run may still start until the next one is due. When the schedule cannot be read,
    advice.

    spec:
      startingDeadlineSeconds: 300   # schedule */5 * * * *

    Trade-offs:
    A run that cannot start within the deadline is skipped, not delayed; choose a deadline the job's
    freshness needs tolerate.
    """

    code = "OP013"
    name = "cronjob-no-starting-deadline"
    category = Category.OPERABILITY
    severity = Severity.LOW
    fix_safety = Safety.SAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _cronjobs(ctx):
            if c.cron is not None and c.cron.starting_deadline_s is not None:
                continue
            schedule = c.cron.schedule if c.cron and c.cron.schedule else "?"
            file, line = _cron_where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                message=f"CronJob `{c.name}` (schedule `{schedule}`) has no startingDeadlineSeconds",
                why=(
                    f"After more than 100 missed schedules `{c.name}` is never started again until edited; "
                    "missed runs are not bounded to a recent window."
                ),
                fix=_fix(c, schedule),
                tradeoff="A run that cannot start within the deadline is skipped rather than run late.",
            )


def _fix(c: Component, schedule: str) -> Fix:
    interval = _cron_interval_s(schedule)
    if interval is None:
        return advice(
            f"give CronJob `{c.name}` a startingDeadlineSeconds",
            f"Set spec.startingDeadlineSeconds to at most the time between two runs of `{schedule}` "
            "(redline could not read that schedule).",
        )
    return set_fix(
        c,
        Safety.SAFE,
        f"let a late run of `{c.name}` start until the next is due ({interval} s)",
        ("spec",),
        ("startingDeadlineSeconds",),
        interval,
    )
