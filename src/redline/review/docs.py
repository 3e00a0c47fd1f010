"""Rule documentation, read from the rules themselves.

A rule's docstring *is* its documentation (sqlfluff's way): a one-line summary, then the sections
``What it does:``, ``Why it matters:``, ``Example:``, ``Fix:`` and ``Trade-offs:``. This module parses them
once, and renders ``docs/rules.md`` (``redline rules --format markdown > docs/rules.md``), the ``redline
rules CODE`` page and the SARIF rule help, so code and docs cannot drift: a test regenerates the file and
fails when it differs.
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass, field

import redline.review.rules  # noqa: F401  (registers the catalog)
from redline.fix.edits import Safety
from redline.review.rule import REGISTRY, Category, Rule, Severity

SECTIONS = ("What it does", "Why it matters", "Example", "Fix", "Trade-offs")


@dataclass(frozen=True)
class RuleDoc:
    """One rule's identity and parsed documentation."""

    code: str
    name: str
    category: Category
    severity: Severity
    fix_safety: Safety
    summary: str
    sections: dict[str, str] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """Sections the docstring lacks or leaves empty (a test keeps this empty for every rule)."""
        return [s for s in SECTIONS if not self.sections.get(s, "").strip()]


def parse_doc(cls: type[Rule]) -> RuleDoc:
    """Split a rule's docstring into its summary line and sections."""
    text = inspect.cleandoc(cls.__doc__ or "")
    lines = text.splitlines()
    first = lines[0].strip() if lines else ""
    # A summary line is optional: a docstring may open directly with "What it does:".
    has_summary = bool(first) and not (first.endswith(":") and first[:-1] in SECTIONS)
    summary = first if has_summary else ""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for raw in lines[1:] if has_summary else lines:
        header = raw.strip()
        if not raw.startswith((" ", "\t")) and header.endswith(":") and header[:-1] in SECTIONS:
            current = header[:-1]
            sections[current] = []
        elif current is not None:
            sections[current].append(raw)
    parsed = {k: textwrap.dedent("\n".join(v)).strip() for k, v in sections.items()}
    if not summary:
        summary = _first_sentence(parsed.get("What it does", ""))
    return RuleDoc(
        code=cls.code,
        name=cls.name,
        category=cls.category,
        severity=cls.severity,
        fix_safety=cls.fix_safety,
        summary=summary,
        sections=parsed,
    )


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    for i, ch in enumerate(flat):
        if ch == "." and (i + 1 == len(flat) or flat[i + 1] == " "):
            return flat[: i + 1]
    return flat


def all_docs() -> list[RuleDoc]:
    return [parse_doc(REGISTRY[code]) for code in sorted(REGISTRY)]


def rule_markdown(doc: RuleDoc, *, heading: str = "###") -> str:
    """One rule as Markdown: used for docs/rules.md, ``redline rules CODE`` and SARIF help."""
    out = [
        f"{heading} {doc.code} `{doc.name}`",
        "",
        f"{doc.summary}",
        "",
        f"*Category:* {doc.category.value} · *Default severity:* {doc.severity.value}"
        f" · *Fix:* {doc.fix_safety.value}",
        "",
    ]
    for section in SECTIONS:
        body = doc.sections.get(section, "")
        if body:
            out += [f"**{section}**", "", body, ""]
    return "\n".join(out).rstrip() + "\n"


def render_rules_markdown() -> str:
    """The whole catalog, grouped by category: the content of docs/rules.md."""
    docs = all_docs()
    out = [
        "# redline review rules",
        "",
        "<!-- Generated from the rules' docstrings by `redline rules --format markdown > docs/rules.md`.",
        "     Do not edit by hand: tests/review/test_docs.py fails when this file is stale. -->",
        "",
        f"{len(docs)} rules. Severity shown is the default; findings move it up or down with blast radius",
        "(how many entry points depend on the component; batch jobs and idle components go down).",
        "",
        "Fix: `safe` fixes are applied by `redline fix`; `unsafe` ones change behaviour and need",
        "`--unsafe-fixes`; `advice` findings show what to do where no edit of these files can do it.",
        "",
        "| Code | Name | Category | Default severity | Fix | Summary |",
        "|---|---|---|---|---|---|",
    ]
    for d in docs:
        anchor = f"{d.code.lower()}-{d.name}"
        out.append(
            f"| [{d.code}](#{anchor}) | `{d.name}` | {d.category.value} | {d.severity.value}"
            f" | {d.fix_safety.value} | {d.summary} |"
        )
    out.append("")
    for cat in Category:
        members = [d for d in docs if d.category == cat]
        if not members:
            continue
        out += [f"## {cat.value.capitalize()}", ""]
        for d in members:
            out.append(rule_markdown(d))
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # `python -m redline.review.docs > docs/rules.md`
    import sys

    sys.stdout.write(render_rules_markdown())
