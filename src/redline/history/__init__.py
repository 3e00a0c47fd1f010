"""The run history, redline's audit trail: every command appends a record to a local SQLite file.

Public API::

    from redline.history import HistoryStore, database_path, diff
    with HistoryStore(database_path()) as store:
        store.runs(limit=10)                 # -> [Run], newest first
        diff(store)                          # -> RunDiff: the last two reviews of a path, new and fixed

Commands note what they read and found while they run (:func:`note_system`, :func:`note`); the CLI's
``main()`` writes the record when the command ends (:func:`redline.history.recorder.cli_recording`). Where
the file lives and how to turn it off: :mod:`redline.history.location` and docs/history.md.
"""

from __future__ import annotations

from redline.history.diff import compare, diff
from redline.history.location import HistoryError, HistoryMode, database_path, disabled_by_env
from redline.history.recorder import Recorder, cancel, note, note_system, recording
from redline.history.records import FindingKey, Run, RunDiff
from redline.history.store import HistoryStore

__all__ = [
    "FindingKey",
    "HistoryError",
    "HistoryMode",
    "HistoryStore",
    "Recorder",
    "Run",
    "RunDiff",
    "cancel",
    "compare",
    "database_path",
    "diff",
    "disabled_by_env",
    "note",
    "note_system",
    "recording",
]
