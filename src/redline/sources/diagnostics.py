"""Collecting what readers could not use, with file and line, instead of raising.

A scan reads whatever a repository holds. A wrong type in one field must cost that field, not the file,
and never the scan: readers ask this collector for typed values, and it records a warning with the
file:line of every value it had to drop.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from redline.model import Diagnostic, SkipKind, Skipped, Source
from redline.model.units import UnitError
from redline.sources.yamlio import LineDict, LineList

INT32_MAX = 2**31 - 1


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
            # key_files[None]: the file a whole mapping came from (a kustomize patch added it)
            file = node.key_files.get(key, node.key_files.get(None, file))
        elif isinstance(node, LineList):
            line = node.line
        return Source(file=file, line=line)

    def at(self, node: Any, key: Any) -> Reader:
        """A reader for the file that ``node[key]`` came from (merged Compose files differ per key)."""
        if isinstance(node, LineDict) and key in node.key_files and node.key_files[key] != self.file:
            return Reader(node.key_files[key], self.out)
        return self

    def item_srcs(self, node: Any, key: builtins.str, count: builtins.int) -> builtins.list[Source]:
        """The source of each of ``count`` items read from ``node[key]``: each item's own line when the
        value is a list that knows them, else the key's line for every item (a string split in words)."""
        head = self.at(node, key).src(node, key)
        value = node.get(key) if isinstance(node, dict) else None
        if isinstance(value, LineList) and len(value.item_lines) == count:
            return [Source(file=head.file, line=n) for n in value.item_lines]
        return [head] * count

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
            self.warn(node, key, f"{key}: expected a mapping, got {found(value)}; ignored")
            return LineDict()
        return value

    def list(self, node: Any, key: builtins.str) -> LineList:
        if not isinstance(node, dict):
            return LineList()
        value = node.get(key)
        if value is None:
            return LineList()
        if not isinstance(value, LineList):
            self.warn(node, key, f"{key}: expected a list, got {found(value)}; ignored")
            return LineList()
        return value

    def str(self, node: Any, key: builtins.str) -> builtins.str | None:
        if not isinstance(node, dict):
            return None
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool | dict | list):
            self.warn(node, key, f"{key}: expected a string, got {found(value)}; ignored")
            return None
        return str(value)

    def int(
        self,
        node: Any,
        key: builtins.str,
        *,
        minimum: builtins.int | None = 0,
        maximum: builtins.int = INT32_MAX,
    ) -> builtins.int | None:
        """A whole number in [minimum, maximum] (Kubernetes' counts and seconds are int32: the API server
        refuses anything larger); a string of digits is read as its number."""
        if not isinstance(node, dict):
            return None
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip()) if len(value.strip()) <= 20 else maximum + 1
        if isinstance(value, bool) or not isinstance(value, int):
            self.warn(node, key, f"{key}: expected a whole number, got {found(value)}; ignored")
            return None
        if minimum is not None and value < minimum:
            self.warn(node, key, f"{key}: must be at least {minimum}, got {value}; ignored")
            return None
        if value > maximum:
            self.warn(node, key, f"{key}: must be at most {maximum:,}, got {found(value)}; ignored")
            return None
        return value

    def seconds(self, node: Any, key: builtins.str) -> float | None:
        """A Kubernetes ``...Seconds`` field: a whole number of seconds (``"30s"`` is refused, as the API
        server refuses it)."""
        value = self.int(node, key)
        return None if value is None else float(value)

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
            self.warn(node, key, f"{key}: expected a number or a name, got {found(value)}; ignored")
            return None
        return value

    def unit(self, node: Any, key: builtins.str, parse: Callable[[object], float]) -> float | None:
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
        except OverflowError:  # a YAML integer too large for a float
            self.warn(node, key, f"{key}: expected a number, got {found(value)}; ignored")
        return None

    def strmap(self, node: Any, key: builtins.str) -> dict[builtins.str, builtins.str]:
        """A mapping of strings (labels, annotations, selectors); non-string values are stringified."""
        raw = self.map(node, key)
        return {str(k): "" if v is None else str(v) for k, v in raw.items() if not isinstance(v, dict | list)}


def found(value: Any) -> str:
    """What was found, for a warning: ``a mapping``, ``a list``, or the value (long ones cut short)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, builtins.int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
