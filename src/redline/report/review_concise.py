"""``redline review --format concise``: one line per finding, as ruff's concise output.

Each line is ``FILE:LINE RULE severity component message`` (``-`` for a finding with no file or no
component; ``FILE`` alone when there is no line), worst first, the message on one line. What was not read
comes first, one ``FILE:LINE not-read KIND reason`` line per gating entry, and the last line is the summary,
``summary: 0 critical, 2 high, …``, as in the text report.
"""

from __future__ import annotations

from collections.abc import Iterator

from redline.model.secrets import masked
from redline.report import skipped
from redline.report.review_groups import concise
from redline.report.review_text import summary_line
from redline.review.engine import Report


def lines(report: Report) -> Iterator[str]:
    """The report's lines, without line ends."""
    report = masked(report)
    for s in skipped.gating(report.skipped):
        yield f"{skipped.where(s)} not-read {s.kind.value} {' '.join(s.reason.split())}"
    for f in report.shown():
        yield concise(f)
    yield f"summary: {summary_line(report)}"


def render(report: Report) -> str:
    return "".join(f"{line}\n" for line in lines(report))
