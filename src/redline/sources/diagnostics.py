"""Collecting what readers could not use, with file and line, instead of raising.

A scan reads whatever a repository holds. A wrong type in one field must cost that field, not the file,
and never the scan: readers ask this collector for typed values, and it records a warning with the
file:line of every value it had to drop.
"""

from __future__ import annotations

import builtins
from typing import Any

from redline.model import Diagnostic, SkipKind, Skipped, Source
from redline.model.units import UnitError
from redline.sources.yamlio import LineDict, LineList


class Collector:
    """Warnings and skipped entries of one scan."""

    def __init__(self) -> None:
        self.warnings: list[Diagnostic] = []
        self.skipped: list[Skipped] = []

    def warn(self, file: str, line: int | None, message: str) -> None:
        self.warnings.append(Diagnostic(file=file, line=line, message=message))

    def skip(
        self, file: str, reason: str, line: int | None = None, kind: SkipKind = SkipKind.UNREADABLE
    ) -> None:
        """Record that ``file`` (or a part of it from ``line``) was not read; ``kind`` says whether a gate
        may pass without it (see :class:`~redline.model.SkipKind`)."""
        self.skipped.append(Skipped(file=file, line=line, reason=reason, kind=kind))


class Reader:
    """Typed access to one file's data, reporting bad values to a :class:`Collector`."""

    def __init__(self, file: str, collector: Collector) -> None:
        self.file = file
        self.out = collector

    def src(self, node: Any, key: Any = None) -> Source:
        """The source of ``node[key]`` (or of ``node`` itself)."""
        line = None
        file = self.file
        if isinstance(node, LineDict):
            line = node.line_of(key) if key is not None else node.line
            file = node.key_files.get(key, file) if key is not None else file
        elif isinstance(node, LineList):
            line = node.line
        return Source(file=file, line=line)

    def at(self, node: Any, key: Any) -> Reader:
        """A reader for the file that ``node[key]`` came from (merged Compose files differ per key)."""
        if isinstance(node, LineDict) and key in node.key_files and node.key_files[key] != self.file:
            return Reader(node.key_files[key], self.out)
        return self

    def line(self, node: Any, key: Any = None) -> builtins.int | None:
        return self.src(node, key).line

    def warn(self, node: Any, key: Any, message: str) -> None:
        self.out.warn(self.file, self.line(node, key), message)

    def map(self, node: Any, key: builtins.str) -> LineDict:
        """``node[key]`` as a mapping; an empty one when absent or of the wrong type (with a warning)."""
        if not isinstance(node, dict):
            return LineDict()
        value = node.get(key)
        if value is None:
            return LineDict()
        if not isinstance(value, LineDict):
            self.warn(node, key, f"{key}: expected a mapping, got {_type(value)}; ignored")
            return LineDict()
        return value

    def list(self, node: Any, key: builtins.str) -> LineList:
        if not isinstance(node, dict):
            return LineList()
        value = node.get(key)
        if value is None:
            return LineList()
        if not isinstance(value, LineList):
            self.warn(node, key, f"{key}: expected a list, got {_type(value)}; ignored")
            return LineList()
        return value

    def str(self, node: Any, key: builtins.str) -> builtins.str | None:
        if not isinstance(node, dict):
            return None
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool | dict | list):
            self.warn(node, key, f"{key}: expected a string, got {_type(value)}; ignored")
            return None
        return str(value)

    def int(self, node: Any, key: builtins.str, *, minimum: builtins.int | None = 0) -> builtins.int | None:
        if not isinstance(node, dict):
            return None
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().isdigit():
                return int(value.strip())
            self.warn(node, key, f"{key}: expected a whole number, got {value!r}; ignored")
            return None
        if minimum is not None and value < minimum:
            self.warn(node, key, f"{key}: must be at least {minimum}, got {value}; ignored")
            return None
        return value

    def bool(self, node: Any, key: builtins.str) -> builtins.bool | None:
        if not isinstance(node, dict):
            return None
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.warn(node, key, f"{key}: expected true or false, got {value!r}; ignored")
        return None

    def intorstr(self, node: Any, key: builtins.str) -> builtins.int | builtins.str | None:
        if not isinstance(node, dict):
            return None
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.warn(node, key, f"{key}: expected a number or a name, got {_type(value)}; ignored")
            return None
        return value

    def unit(self, node: Any, key: builtins.str, parse: Any) -> float | None:
        """A value parsed by one of :mod:`redline.model.units`' parsers."""
        if not isinstance(node, dict):
            return None
        value = node.get(key)
        if value is None:
            return None
        try:
            return float(parse(value))
        except UnitError as exc:
            self.warn(node, key, f"{key}: {exc}; ignored")
            return None

    def strmap(self, node: Any, key: builtins.str) -> dict[builtins.str, builtins.str]:
        """A mapping of strings (labels, annotations, selectors); non-string values are stringified."""
        raw = self.map(node, key)
        return {str(k): "" if v is None else str(v) for k, v in raw.items() if not isinstance(v, dict | list)}


def _type(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r}"
