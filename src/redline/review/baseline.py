"""Review baselines: fail only on findings that are new.

A baseline is an earlier ``redline review --format json`` result (``--write-baseline FILE`` writes one).
A finding is *in* the baseline when the baseline holds a finding with the same key: rule, component and
file. The line is not part of the key, so a finding keeps its place in the baseline when lines above it
move; the message is not either, so rewording a rule does not make old findings new.

Matching is a multiset: a key the baseline holds twice absorbs two findings, and a third one with that key
is new. Findings are matched in report order (worst first), so when a key has more findings now than the
baseline held, the ones reported last are the new ones.

The JSON names its format (``"format": "redline-review/1"``); a file without it, or with another one, is
refused with :class:`BaselineError`, never read as an empty baseline: an unusable baseline must not turn
every finding into a known one, or every one into a new one, without saying so.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from redline.review.rule import Finding

#: The ``format`` key of ``redline review --format json`` output: what a baseline must carry.
REVIEW_JSON_FORMAT = "redline-review/1"

#: Largest baseline file read, in bytes: a bound on the memory one baseline may take.
MAX_BASELINE_BYTES = 200_000_000

Key = tuple[str, str | None, str | None]


class BaselineError(ValueError):
    """A baseline file that cannot be used: unreadable, not JSON, or not a redline review JSON result."""


def key(f: Finding) -> Key:
    """What identifies a finding across runs: rule, component, file (not the line, not the message)."""
    return (f.rule, f.component, f.file)


class Baseline(BaseModel):
    """The findings of an earlier review, as keys with their counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str  # where it was read from, for reports
    counts: dict[str, int] = Field(default_factory=dict)  # "rule\x1fcomponent\x1ffile" -> count

    @classmethod
    def of(cls, findings: list[Finding], file: str) -> Baseline:
        """A baseline holding ``findings`` (what ``--write-baseline`` records)."""
        return cls(file=file, counts=dict(Counter(_flat(key(f)) for f in findings)))

    def __len__(self) -> int:
        return sum(self.counts.values())

    def split(self, findings: list[Finding]) -> tuple[list[Finding], list[Finding]]:
        """``(new, known)``: ``findings`` in order, parted by whether the baseline holds their key."""
        left = Counter(self.counts)
        new: list[Finding] = []
        known: list[Finding] = []
        for f in findings:
            k = _flat(key(f))
            if left[k] > 0:
                left[k] -= 1
                known.append(f)
            else:
                new.append(f)
        return new, known


def _flat(k: Key) -> str:
    return "\x1f".join(part if part is not None else "\x00" for part in k)


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline written by ``redline review --format json`` (or ``--write-baseline``)."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BASELINE_BYTES:
            raise BaselineError(f"{p}: larger than {MAX_BASELINE_BYTES:,} bytes; not a review result")
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{p}: cannot read the baseline: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise BaselineError(
            f"{p}: not UTF-8 text; a baseline is `redline review --format json` output"
        ) from exc
    return parse_baseline(text, str(p))


def parse_baseline(text: str, file: str) -> Baseline:
    """A baseline from the text of a review JSON result; ``file`` names it in messages."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{file}:{exc.lineno}: not JSON ({exc.msg}); a baseline is `redline review --format json` output"
        ) from exc
    if not isinstance(doc, dict):
        raise BaselineError(f"{file}: not a redline review JSON result (expected an object)")
    fmt = doc.get("format")
    if fmt != REVIEW_JSON_FORMAT:
        what = f"its format is {fmt!r}" if fmt is not None else "it names no format (an older redline?)"
        raise BaselineError(
            f"{file}: {what}; a baseline must be `redline review --format json` output of format "
            f"{REVIEW_JSON_FORMAT!r}: write a new one with `redline review PATH --write-baseline {file}`"
        )
    findings = doc.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"{file}: no `findings` list; not a redline review JSON result")
    counts: Counter[str] = Counter(_flat(_entry_key(item, file, i)) for i, item in enumerate(findings))
    return Baseline(file=file, counts=dict(counts))


def _entry_key(item: Any, file: str, index: int) -> Key:
    """The key of ``findings[index]``; a malformed entry is a :class:`BaselineError` naming it."""
    if not isinstance(item, dict) or not isinstance(item.get("rule"), str):
        raise BaselineError(f"{file}: findings[{index}] has no `rule`; not a redline review JSON result")
    parts = (item.get("component"), item.get("file"))
    if any(p is not None and not isinstance(p, str) for p in parts):
        raise BaselineError(f"{file}: findings[{index}]: `component` and `file` must be strings or null")
    return (item["rule"], parts[0], parts[1])
