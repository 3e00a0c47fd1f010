"""`redline review`: reliability, scalability, security and integrity rules over the whole system graph.

Public API::

    from redline.review import review
    report = review(system)                  # -> Report: findings sorted by severity, summary
    report.failed()                          # True when something is at or above fail_on

Rules live in :mod:`.rules` (one module per category), each a small :class:`~.rule.Rule` whose docstring
is its documentation; :mod:`.engine` runs them with configuration and suppressions; :mod:`.context`
answers the graph questions rules share.
"""

from __future__ import annotations

from redline.review.engine import ConfigError, Report, ReviewConfig, load_config, review
from redline.review.rule import Category, Finding, Severity

__all__ = [
    "Category",
    "ConfigError",
    "Finding",
    "Report",
    "ReviewConfig",
    "Severity",
    "load_config",
    "review",
]
