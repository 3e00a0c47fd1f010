"""OP013 cronjob-no-starting-deadline: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.operability._shared import _cron_where, _cronjobs


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
    spec:
      startingDeadlineSeconds: 200   # shorter than the schedule interval x 100

    Trade-offs:
    A run that cannot start within the deadline is skipped, not delayed; choose a deadline the job's
    freshness needs tolerate.
    """

    code = "OP013"
    name = "cronjob-no-starting-deadline"
    category = Category.OPERABILITY
    severity = Severity.LOW

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
                fix=f"# CronJob {c.name}\nspec:\n  startingDeadlineSeconds: 200",
                tradeoff="A run that cannot start within the deadline is skipped rather than run late.",
            )
