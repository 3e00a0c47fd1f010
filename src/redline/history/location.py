"""Where the run history lives, and whether it is kept at all.

In order, the first that applies decides:

1. ``REDLINE_NO_HISTORY`` set to anything but ``""`` or ``0``: nothing is recorded;
2. ``REDLINE_HISTORY_DB=FILE``: that SQLite file;
3. ``history`` in the configuration at the repository root (the nearest folder at or above the path the
   command reads, else the current folder, that holds ``.git``; without one, that folder itself):
   ``redline.toml`` top-level ``history = "repo"`` or ``pyproject.toml`` ``[tool.redline] history =
   "repo"`` keeps it in ``<root>/.redline/history.sqlite``; ``"off"`` keeps none; ``"user"`` is the default;
4. the user's data folder: ``platformdirs.user_data_dir("redline")/history.sqlite``.

``redline --no-history COMMAND`` turns it off for one run (:mod:`redline.history.recorder`).
"""

from __future__ import annotations

import os
import tomllib
from enum import StrEnum
from pathlib import Path

ENV_OFF = "REDLINE_NO_HISTORY"
ENV_DB = "REDLINE_HISTORY_DB"
FILE_NAME = "history.sqlite"
REPO_FOLDER = ".redline"


class HistoryError(Exception):
    """The history cannot be read or written; the message says what to do."""


class HistoryMode(StrEnum):
    """Where ``history`` in redline.toml / ``[tool.redline]`` says to keep the history."""

    USER = "user"  # the user's data folder (the default)
    REPO = "repo"  # <repository root>/.redline/history.sqlite
    OFF = "off"  # not kept


def disabled_by_env() -> bool:
    """True when ``REDLINE_NO_HISTORY`` turns the history off."""
    return os.environ.get(ENV_OFF, "").strip() not in ("", "0")


def repository_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``.git``; ``start``'s folder when none does."""
    folder = start if start.is_dir() else start.parent
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def configured_mode(root: Path) -> HistoryMode:
    """``history`` from ``root``'s redline.toml, else its pyproject.toml ``[tool.redline]``; default user."""
    for name, table in (("redline.toml", ()), ("pyproject.toml", ("tool", "redline"))):
        path = root / name
        if not path.is_file():
            continue
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise HistoryError(f"{path}: cannot read the history setting: {exc}") from None
        node: object = doc
        for key in table:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        value = node.get("history") if isinstance(node, dict) else None
        if value is None:
            continue
        try:
            return HistoryMode(value)
        except ValueError:
            allowed = ", ".join(f'"{m.value}"' for m in HistoryMode)
            raise HistoryError(f"{path}: history must be one of {allowed}; got {value!r}") from None
    return HistoryMode.USER


def user_database() -> Path:
    """The history file in the user's data folder."""
    import platformdirs  # on use: only a recording run needs it

    return Path(platformdirs.user_data_dir("redline")) / FILE_NAME


def database_path(start: Path | None = None) -> Path | None:
    """The history file for a run about ``start`` (a path it reads; the current folder when ``None``),
    or ``None`` when the history is off. Raises :class:`HistoryError` on a bad setting."""
    if disabled_by_env():
        return None
    explicit = os.environ.get(ENV_DB, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    root = repository_root(start if start is not None and start.exists() else Path.cwd())
    mode = configured_mode(root)
    if mode is HistoryMode.OFF:
        return None
    if mode is HistoryMode.REPO:
        return root / REPO_FOLDER / FILE_NAME
    return user_database()


__all__ = [
    "ENV_DB",
    "ENV_OFF",
    "HistoryError",
    "HistoryMode",
    "configured_mode",
    "database_path",
    "disabled_by_env",
    "repository_root",
    "user_database",
]
