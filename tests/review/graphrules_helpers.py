"""Helpers for the availability / resilience / scalability rule tests (fixture discovery and running).

Fixture layout (kube-score's one-fixture-per-case): ``fixtures/<CODE>/positive*.yaml`` (or ``.yml``, or a
directory ``positive*/``) must trigger rule CODE; ``negative*`` must not. Each is run through
``redline.scan`` and then the review engine with only that rule selected.
"""

from __future__ import annotations

from pathlib import Path

from redline.review.engine import Report, ReviewConfig, review
from redline.review.rule import Finding
from redline.sources.scan import scan

FIXTURES = Path(__file__).parent / "fixtures"


def cases(prefix: str, kind: str) -> list[tuple[str, Path]]:
    """(code, path) for every positive or negative fixture of the rules whose code starts with prefix."""
    out = []
    for d in sorted(FIXTURES.glob(f"{prefix}*")):
        if d.is_dir():
            for p in sorted(d.glob(f"{kind}*")):
                if not p.name.endswith(".expected.yaml"):  # a snapshot's expected block, not a fixture
                    out.append((d.name, p))
    return out


def run(path: Path, code: str | None = None, **thresholds: float) -> Report:
    cfg = ReviewConfig(select=[code] if code else [], thresholds=dict(thresholds))
    return review(scan(path), cfg)


def findings(path: Path, code: str, **thresholds: float) -> list[Finding]:
    report = run(path, code, **thresholds)
    assert not report.errors, report.errors
    return [f for f in report.findings if f.rule == code]
