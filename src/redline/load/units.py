"""Duration parsing for `redline load`.

A shared units module is being written at ``redline.model.units``; until it lands (or if it lacks
``parse_duration``) this local parser is used, so ``redline load`` never depends on another
command's progress.
"""

from __future__ import annotations

import re

_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)")


def _local_parse_duration(text: str) -> float:
    """Parse ``"30s"``, ``"1m"``, ``"500ms"``, ``"1m30s"`` or a bare number of seconds."""
    s = text.strip().lower()
    if not s:
        raise ValueError("empty duration")
    try:
        value = float(s)
    except ValueError:
        pass
    else:
        if value < 0 or value != value:
            raise ValueError(f"invalid duration {text!r}")
        return value
    pos = 0
    total = 0.0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s):
        raise ValueError(f"invalid duration {text!r} (use e.g. 500ms, 30s, 1m, 1h)")
    return total


def parse_duration(text: str) -> float:
    """Seconds in a duration string; prefers the shared ``redline.model.units`` parser when present."""
    try:
        from redline.model.units import parse_duration as shared  # type: ignore[import-not-found,unused-ignore]
    except Exception:
        return _local_parse_duration(text)
    try:
        return float(shared(text))
    except Exception:
        # The shared parser may be stricter or looser; ours defines what `load` accepts.
        return _local_parse_duration(text)


def format_duration(seconds: float) -> str:
    """Short human form used in tables and errors."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    if seconds >= 1:
        return f"{seconds:g}s"
    return f"{seconds * 1000:g}ms"
