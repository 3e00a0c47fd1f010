"""Run history tests: each opts in with its own history file and runs the real CLI entry point in-process."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ok_server

Run = Callable[..., int]


@pytest.fixture
def history_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh history file for this test (tests/conftest.py turns the history off for every other test)."""
    db = tmp_path / "data" / "history.sqlite"
    monkeypatch.delenv("REDLINE_NO_HISTORY", raising=False)
    monkeypatch.setenv("REDLINE_HISTORY_DB", str(db))
    return db


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Run:
    """``cli("review", PATH, ...)``: ``redline.cli.app.main()`` with that command line; its exit code."""
    from redline.cli.app import main

    def run(*args: str) -> int:
        monkeypatch.setattr(sys, "argv", ["redline", *args])
        try:
            main()
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return 0

    return run


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A copy of the bundled example shop (Kubernetes) that a test may change."""
    return Path(shutil.copytree(EXAMPLES / "shop" / "kubernetes", tmp_path / "shop"))


@pytest.fixture
def http_port() -> Iterator[int]:
    """A server on 127.0.0.1 answering 200 to every GET, for `redline load`."""
    with ok_server() as port:
        yield port
