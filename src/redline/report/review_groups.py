"""What the text and Markdown reports share: findings grouped into stories, the summary, concise lines.

**Identical stories.** Findings tell the same story when they have the same *story key*: the rule, the
severity, and the message's template. The template is the message with

1. every backquoted span (a component, container, image, key) replaced by ```…```, and a list of such
   spans (```a`, `b` and `c```) by one;
2. every component name the report's findings are about (the full name, and the part after its last
   ``/``; names of 3 or more characters, as whole words) replaced by ``…``;
3. every standalone number replaced by ``N``.

So "container `api` of `shop/api` runs image `api:latest` with the `:latest` tag" and the same sentence
about `web` are one story, listed once with its places; "… with no tag (so `:latest`)" is another. The
key is a presentation: the JSON output keeps one row per finding and names its story in ``group``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from redline.review.engine import Report
from redline.review.rule import Finding, Severity

#: Components named in the summary's "top components".
TOP_COMPONENTS = 5

_QUOTED = re.compile(r"`[^`\n]*`")
_QUOTED_LIST = re.compile(r"`…`(?:(?:,| and|, and) `…`)+")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")

StoryKey = tuple[str, Severity, str]


def template(message: str) -> str:
    """``message`` with its quoted spans and numbers abstracted (steps 1 and 3 of the story key)."""
    return _NUMBER.sub("N", _QUOTED_LIST.sub("`…`", _QUOTED.sub("`…`", message)))


def _names_pattern(findings: Iterable[Finding]) -> re.Pattern[str] | None:
    """One pattern matching every component name the findings are about, as a whole word."""
    names: set[str] = set()
    for f in findings:
        if f.component:
            names.update({f.component, f.component.rsplit("/", 1)[-1]})
    names = {n for n in names if len(n) >= 3}
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
    return re.compile(rf"(?<![\w./-])(?:{alternatives})(?![\w/-]|\.\w)")


@dataclass(frozen=True)
class Group:
    """Findings that tell one story, in report order (the first stands for the rest)."""

    key: StoryKey
    findings: list[Finding] = field(default_factory=list)

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def rule(self) -> str:
        return self.key[0]

    @property
    def severity(self) -> Severity:
        return self.key[1]

    @property
    def id(self) -> str:
        """``OP007-3f2a9c``: the rule and a digest of the story key, the same in every report."""
        digest = hashlib.sha256("\x1f".join((self.key[0], self.key[1].value, self.key[2])).encode())
        return f"{self.rule}-{digest.hexdigest()[:6]}"

    @property
    def headline(self) -> str:
        """The story in one sentence: for several findings, the template when it says no name outside
        quotes and no number (``container `…` of `…` runs image `…` with the `…` tag``); else the first's
        message, since a story whose numbers are elided reads as a riddle."""
        abstract = template(self.first.message)
        numbers_hidden = re.search(r"(?<![\w`])N(?![\w`])", abstract) is not None
        several = len(self.findings) > 1 and abstract == self.key[2]
        return abstract if several and not numbers_hidden else self.first.message


class Stories:
    """The story keys of one report's findings (component names are read off all of them)."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self._names = _names_pattern(findings)

    def key(self, f: Finding) -> StoryKey:
        text = _QUOTED_LIST.sub("`…`", _QUOTED.sub("`…`", f.message))
        if self._names is not None:
            text = self._names.sub("…", text)
        return (f.rule, f.severity, _NUMBER.sub("N", text))

    def group_id(self, f: Finding) -> str:
        """The :attr:`Group.id` of ``f``'s story."""
        return Group(self.key(f)).id

    def groups(self, findings: Iterable[Finding]) -> list[Group]:
        """The stories of ``findings``: worst severity first, then the most places, then by rule."""
        by_key: dict[StoryKey, Group] = {}
        for f in findings:
            k = self.key(f)
            by_key.setdefault(k, Group(k)).findings.append(f)
        return sorted(by_key.values(), key=lambda g: (g.severity.rank, -len(g.findings), g.rule, g.key[2]))


def by_rule(findings: Iterable[Finding]) -> list[tuple[str, Severity, int]]:
    """``(rule, worst severity, count)`` per rule with findings: most findings first."""
    counts: Counter[str] = Counter()
    worst: dict[str, Severity] = {}
    for f in findings:
        counts[f.rule] += 1
        if f.rule not in worst or f.severity.rank < worst[f.rule].rank:
            worst[f.rule] = f.severity
    return sorted(((r, worst[r], n) for r, n in counts.items()), key=lambda t: (-t[2], t[1].rank, t[0]))


def top_components(
    findings: Iterable[Finding], limit: int = TOP_COMPONENTS
) -> list[tuple[str, Counter[Severity]]]:
    """The components with the worst findings: most critical, then high, medium, low; then by name."""
    per: dict[str, Counter[Severity]] = {}
    for f in findings:
        if f.component:
            per.setdefault(f.component, Counter())[f.severity] += 1
    ranked = sorted(per.items(), key=lambda kv: (*(-kv[1][s] for s in Severity), kv[0]))
    return ranked[:limit]


def severity_counts(counts: Counter[Severity]) -> str:
    """``2 high, 1 low``: the non-zero counts, worst first."""
    return ", ".join(f"{counts[s]} {s.value}" for s in Severity if counts[s])


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 finding``, ``2 findings``; ``words`` for an irregular plural."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def place(f: Finding) -> str:
    """``file:line`` (or the file, or ``-``) of a finding."""
    if not f.file:
        return "-"
    return f"{f.file}:{f.line}" if f.line else f.file


def concise(f: Finding) -> str:
    """One line: ``FILE:LINE RULE severity component message`` (``-`` for what a finding lacks)."""
    message = " ".join(f.message.split())
    return f"{place(f)} {f.rule} {f.severity.value} {f.component or '-'} {message}"


def shown_note(report: Report) -> str:
    """What the report leaves out and why: below ``--min-severity``, in the baseline ("" when nothing)."""
    parts = []
    hidden = len(report.findings) - len(report.shown())
    if report.min_severity is not None and hidden:
        parts.append(f"{plural(hidden, 'finding')} below {report.min_severity.value} (--min-severity)")
    if report.baseline is not None:
        in_baseline = plural(len(report.baselined), "finding")
        parts.append(f"{in_baseline} already in the baseline {report.baseline}")
    return "; ".join(parts)
