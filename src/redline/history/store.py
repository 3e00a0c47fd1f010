"""The run history on SQLite: one file, a schema version, and migrations applied in order.

The schema version is SQLite's ``PRAGMA user_version``; :data:`MIGRATIONS` holds one script per version,
and opening a file applies the scripts above its version in one transaction. A file written by a newer
redline (a version above :data:`SCHEMA_VERSION`) is refused, not rewritten. The file is created readable by
its owner only (0600, its folder 0700): it names paths and options.

Bounded: at most :data:`MAX_RUNS` runs are kept (the oldest go first) and at most
:data:`MAX_FINDINGS` finding keys per run; a writer waits at most :data:`BUSY_TIMEOUT_S` for another.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redline.history.location import HistoryError
from redline.history.records import FindingKey, Run

SCHEMA_VERSION = 1
MAX_RUNS = 10_000
MAX_FINDINGS = 50_000
BUSY_TIMEOUT_S = 5.0
#: Commands whose runs keep finding keys, so two of them can be compared.
REVIEW_COMMANDS = ("review", "mcp:review")

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        command TEXT NOT NULL,
        started_at TEXT NOT NULL,
        duration_s REAL NOT NULL,
        exit_code INTEGER NOT NULL,
        error TEXT,
        version TEXT NOT NULL,
        target TEXT,
        options TEXT NOT NULL,
        input_digest TEXT,
        counts TEXT NOT NULL,
        findings INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX runs_by_command ON runs (command, id);
    CREATE TABLE findings (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        rule TEXT NOT NULL,
        name TEXT NOT NULL,
        severity TEXT NOT NULL,
        component TEXT,
        file TEXT,
        line INTEGER,
        message_digest TEXT NOT NULL
    );
    CREATE INDEX findings_by_run ON findings (run_id);
    """,
}

_RUN_COLUMNS = (
    "id, command, started_at, duration_s, exit_code, error, version, target, options, input_digest, "
    "counts, findings"
)


class HistoryStore:
    """One history file, opened (and created or migrated) on construction. Use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = self._open(path)
        except sqlite3.Error as exc:
            raise HistoryError(f"{path}: cannot open the history: {exc}") from None

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise HistoryError(f"{path}: cannot create the history file: {exc.strerror or exc}") from None
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        db.execute("PRAGMA foreign_keys = ON")
        try:
            _migrate(db, path)
        except BaseException:
            db.close()
            raise
        return db

    # ------------------------------------------------------------------------------------------ writing

    def add(self, run: Run, findings: Sequence[FindingKey] = ()) -> int:
        """Append ``run`` (its ``id`` ignored) and its finding keys; returns the new run's id."""
        kept = list(findings[:MAX_FINDINGS])
        try:
            with _transaction(self._db):
                cur = self._db.execute(
                    "INSERT INTO runs (command, started_at, duration_s, exit_code, error, version, target, "
                    "options, input_digest, counts, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run.command,
                        run.started_at.astimezone(UTC).isoformat(timespec="milliseconds"),
                        round(run.duration_s, 4),
                        run.exit_code,
                        run.error,
                        run.version,
                        run.target,
                        json.dumps(run.options, sort_keys=True, default=str),
                        run.input_digest,
                        json.dumps(run.counts, sort_keys=True),
                        len(kept),
                    ),
                )
                run_id = int(cur.lastrowid or 0)
                self._db.executemany(
                    "INSERT INTO findings (run_id, rule, name, severity, component, file, line, "
                    "message_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (run_id, k.rule, k.name, k.severity, k.component, k.file, k.line, k.message_digest)
                        for k in kept
                    ],
                )
                self._db.execute(
                    "DELETE FROM runs WHERE id <= (SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    (MAX_RUNS,),
                )
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot record the run: {exc}") from None
        return run_id

    # ------------------------------------------------------------------------------------------ reading

    def runs(self, *, limit: int = 50, offset: int = 0, command: str | None = None) -> list[Run]:
        """Runs newest first, ``command`` only when given."""
        where, args = ("WHERE command = ?", [command]) if command else ("", [])
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} FROM runs {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [_run(r) for r in rows]

    def count(self, command: str | None = None) -> int:
        where, args = ("WHERE command = ?", [command]) if command else ("", [])
        return int(self._query(f"SELECT COUNT(*) FROM runs {where}", args)[0][0])

    def run(self, run_id: int) -> Run:
        """The run ``run_id``; :class:`HistoryError` when there is none."""
        rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", [run_id])
        if not rows:
            raise HistoryError(f"no run {run_id} in {self.path}: `redline history` lists them")
        return _run(rows[0])

    def findings(self, run_id: int) -> list[FindingKey]:
        rows = self._query(
            "SELECT rule, name, severity, component, file, line, message_digest FROM findings "
            "WHERE run_id = ? ORDER BY rowid",
            [run_id],
        )
        return [
            FindingKey(
                rule=r[0], name=r[1], severity=r[2], component=r[3], file=r[4], line=r[5], message_digest=r[6]
            )
            for r in rows
        ]

    def reviews(self, *, target: str | None = None, before: int | None = None, limit: int = 2) -> list[Run]:
        """Review runs (CLI and MCP) newest first: of ``target`` when given, older than run ``before``."""
        marks = ", ".join("?" for _ in REVIEW_COMMANDS)
        clauses, args = [f"command IN ({marks})"], list[Any](REVIEW_COMMANDS)
        if target is not None:
            clauses.append("target = ?")
            args.append(target)
        if before is not None:
            clauses.append("id < ?")
            args.append(before)
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?",
            [*args, limit],
        )
        return [_run(r) for r in rows]

    def _query(self, sql: str, args: Iterable[Any]) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot read the history: {exc}") from None


class _transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the file to :data:`SCHEMA_VERSION`, one migration at a time, in one transaction."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"{path}: written by a newer redline (history schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}): upgrade redline, or point REDLINE_HISTORY_DB at another file"
        )
    if version == SCHEMA_VERSION:
        return
    with _transaction(db):
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[target].split(";"):
                if statement.strip():
                    db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _run(row: tuple[Any, ...]) -> Run:
    return Run(
        id=row[0],
        command=row[1],
        started_at=datetime.fromisoformat(row[2]),
        duration_s=row[3],
        exit_code=row[4],
        error=row[5],
        version=row[6],
        target=row[7],
        options=json.loads(row[8]),
        input_digest=row[9],
        counts=json.loads(row[10]),
        findings=row[11],
    )


__all__ = ["MAX_FINDINGS", "MAX_RUNS", "MIGRATIONS", "SCHEMA_VERSION", "HistoryStore"]
