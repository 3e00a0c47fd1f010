"""What was not read, in every format: one piece of code every report uses.

A report that looks clean while a file was not read is a lie by omission, so every renderer opens with
the gaps. Entries that gate (``unreadable``, ``not-rendered``, ``rejected``) are listed one per line with
file:line, kind and reason; entries ``ignored`` by design are listed after them, compactly.

JSON keys, stable: ``{"file", "line", "kind", "reason"}`` (``line`` is ``null`` when the whole file is
meant), gating entries first, in scan order.
"""

from __future__ import annotations

from html import escape
from typing import Any

from rich.console import Console
from rich.text import Text

from redline.model import SkipKind, Skipped

#: Kinds the user may accept with ``--allow-skipped``: part of the system that was not read.
ACCEPTABLE = frozenset({SkipKind.UNREADABLE, SkipKind.NOT_RENDERED})
#: Ignored entries shown in the text and Markdown views; JSON and SARIF list every one.
IGNORED_SHOWN = 20
JSON_KEYS = ("file", "line", "kind", "reason")


def where(s: Skipped) -> str:
    """``file:line``, or the file alone when the whole file is meant."""
    return f"{s.file}:{s.line}" if s.line else s.file


def gating(skipped: list[Skipped]) -> list[Skipped]:
    """Entries that gate: part of the system not read, or a configuration value refused."""
    return [s for s in skipped if s.kind.gates]


def acceptable(skipped: list[Skipped]) -> list[Skipped]:
    """Gating entries ``--allow-skipped`` accepts (every gating kind but ``rejected``)."""
    return [s for s in skipped if s.kind in ACCEPTABLE]


def ignored(skipped: list[Skipped]) -> list[Skipped]:
    return [s for s in skipped if not s.kind.gates]


def to_json(skipped: list[Skipped]) -> list[dict[str, Any]]:
    """The ``skipped[]`` array of every JSON report: gating entries first."""
    ordered = gating(skipped) + ignored(skipped)
    return [{"file": s.file, "line": s.line, "kind": s.kind.value, "reason": s.reason} for s in ordered]


def counts(skipped: list[Skipped]) -> str:
    """The gating entries by kind: ``1 unreadable, 1 not-rendered`` ("" when there are none)."""
    gaps = gating(skipped)
    return ", ".join(f"{n} {k.value}" for k in SkipKind if (n := sum(1 for s in gaps if s.kind is k)))


def summary(skipped: list[Skipped]) -> str:
    """``2 not read (1 unreadable, 1 not-rendered), 3 ignored by design``."""
    detail = counts(skipped)
    head = f"{len(gating(skipped))} not read" + (f" ({detail})" if detail else "")
    return f"{head}, {len(ignored(skipped))} ignored by design"


def render_text(skipped: list[Skipped], console: Console) -> None:
    """The "Not read" section at the top of a text report; nothing when nothing was skipped."""
    if not skipped:
        return
    gaps = gating(skipped)
    if gaps:
        console.print(Text(f"Not read ({counts(skipped)}):", style="bold red"))
        for s in gaps:
            console.print(Text(f"  {where(s)}  [{s.kind.value}]  {s.reason}"))
    rest = ignored(skipped)
    if rest:
        console.print(Text(f"Ignored by design ({len(rest)}):", style="dim"))
        for s in rest[:IGNORED_SHOWN]:
            console.print(Text(f"  {where(s)}  {s.reason}", style="dim"))
        if len(rest) > IGNORED_SHOWN:
            console.print(
                Text(f"  … and {len(rest) - IGNORED_SHOWN} more (--format json lists all)", style="dim")
            )
    console.print()


def markdown(skipped: list[Skipped]) -> list[str]:
    """A visible "Not read" section (gating entries as a list, ignored ones folded); [] when none."""
    if not skipped:
        return []
    gaps = gating(skipped)
    out = [f"### ⚠️ Not read ({counts(skipped)})" if gaps else "### Not read", ""]
    out += [f"- `{where(s)}` **{s.kind.value}**: {_md(s.reason)}" for s in gaps]
    rest = ignored(skipped)
    if rest:
        out += [""] if gaps else []
        out += [f"<details><summary>{len(rest)} ignored by design</summary>", ""]
        out += [f"- `{where(s)}`: {_md(s.reason)}" for s in rest[:IGNORED_SHOWN]]
        if len(rest) > IGNORED_SHOWN:
            out.append(f"- … and {len(rest) - IGNORED_SHOWN} more (`--format json` lists all)")
        out += ["", "</details>"]
    return [*out, ""]


def html(skipped: list[Skipped]) -> str:
    """A visible "Not read" section for HTML reports; "" when nothing was skipped."""
    if not skipped:
        return ""
    rows = "".join(
        f'<li class="{"bad" if s.kind.gates else "dim"}"><code>{escape(where(s))}</code> '
        f"<b>{escape(s.kind.value)}</b>: {escape(s.reason)}</li>"
        for s in gating(skipped) + ignored(skipped)
    )
    return f'<h2 id="not-read">Not read ({escape(summary(skipped))})</h2><ul>{rows}</ul>'


def sarif_notifications(skipped: list[Skipped]) -> list[dict[str, Any]]:
    """``toolExecutionNotifications``: level ``error`` for gating entries, ``note`` for ignored ones."""
    out = []
    for s in gating(skipped) + ignored(skipped):
        physical: dict[str, Any] = {"artifactLocation": {"uri": s.file, "uriBaseId": "%SRCROOT%"}}
        if s.line and s.line >= 1:
            physical["region"] = {"startLine": s.line}
        out.append(
            {
                "level": "error" if s.kind.gates else "note",
                "message": {"text": f"not read ({s.kind.value}): {s.reason}"},
                "locations": [{"physicalLocation": physical}],
                "properties": {"kind": s.kind.value},
            }
        )
    return out


def _md(text: str) -> str:
    """Reasons quote YAML and paths; keep them from opening Markdown emphasis or HTML tags."""
    return text.replace("<", "&lt;").replace("*", "\\*").replace("_", "\\_")
