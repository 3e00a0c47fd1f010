"""OP014 cronjob-no-concurrency-policy: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import set_fix
from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.operability._shared import _cron_where, _cronjobs


@register
class CronJobNoConcurrencyPolicy(Rule):
    """What it does:
    Flags a CronJob that does not state `concurrencyPolicy`, so the default `Allow` applies. An explicitly
    stated `Allow` is a choice and is not reported.

    Why it matters:
    With `Allow`, a run that takes longer than the schedule interval overlaps with the next one; when the
    job is slow *because* its database is slow, every new run adds load to the same database and the runs
    pile up. Overlapping runs of a non-idempotent job (billing, emails, migrations) also do the work twice.

    Example:
    kind: CronJob, spec: {schedule: "*/5 * * * *"} with no `concurrencyPolicy`.

    Fix:
    Unsafe (a run that is due while the previous one still runs is skipped): `concurrencyPolicy: Forbid`.
    `Replace` instead kills the stale run; a deadline (OP015) keeps a stuck run from blocking later ones.

    spec:
      concurrencyPolicy: Forbid       # or Replace, to kill the stale run

    Trade-offs:
    `Forbid` skips runs while one is still going (a stuck run blocks all later ones unless it has a
    deadline); `Replace` kills the running one.
    """

    code = "OP014"
    name = "cronjob-no-concurrency-policy"
    category = Category.OPERABILITY
    severity = Severity.LOW
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _cronjobs(ctx):
            if c.cron is not None and c.cron.concurrency_policy is not None:
                continue
            schedule = c.cron.schedule if c.cron and c.cron.schedule else "?"
            file, line = _cron_where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                message=(
                    f"CronJob `{c.name}` (schedule `{schedule}`) states no concurrencyPolicy, so runs may "
                    "overlap"
                ),
                why=(
                    f"A slow run of `{c.name}` overlaps the next; when it is slow because a dependency is "
                    "slow, "
                    "each new run adds load to that dependency and the runs pile up."
                ),
                fix=set_fix(
                    c,
                    Safety.UNSAFE,
                    f"never run two runs of `{c.name}` at once (concurrencyPolicy: Forbid)",
                    ("spec",),
                    ("concurrencyPolicy",),
                    "Forbid",
                ),
                tradeoff="Forbid skips runs while one is active; Replace kills the running one.",
            )
