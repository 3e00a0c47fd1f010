"""The run history through the real CLI: every command records, the listing's keys, the diff of two reviews,
no secret in the file, the switches that turn it off, and a history failure that leaves the exit code alone."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import typer

from redline.history import HistoryError, HistoryStore
from redline.history.store import SCHEMA_VERSION
from tests.conftest import EXAMPLES
from tests.history.conftest import Run

SHOP = EXAMPLES / "shop" / "kubernetes"
RUN_KEYS = {
    "id", "command", "started_at", "duration_s", "exit_code", "error", "version", "target", "options",
    "input_digest", "counts", "findings",
}  # fmt: skip


def _runs(db: Path) -> list[dict[str, object]]:
    with HistoryStore(db) as store:
        return [r.model_dump() for r in reversed(store.runs(limit=1000))]


def test_every_command_records_one_run(
    cli: Run, history_db: Path, shop: Path, tmp_path: Path, http_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each registered command once (a few as failing runs: a failure is recorded too); `history` is not."""
    from redline.cli.app import app

    group = typer.main.get_command(app)
    registered = set(group.list_commands(typer.Context(group)))  # type: ignore[attr-defined]
    calls: list[tuple[tuple[str, ...], int]] = [
        (("scan", str(SHOP), "-f", "json"), 0),
        (("schema",), 0),
        (("review", str(SHOP), "--fail-on", "never", "-f", "json"), 0),
        (("rules", "AV001", "-f", "json"), 0),
        (("forecast", str(SHOP), "--no-fail-on-breach", "-f", "json"), 0),
        (("init", str(SHOP), "-o", "-"), 0),
        (
            (
                "load",
                f"http://127.0.0.1:{http_port}/",
                "--rate",
                "20",
                "--duration",
                "1s",
                "--workers",
                "1",
                "-q",
            ),
            0,
        ),
        (("fix", str(shop), "--diff"), 1),  # fixable findings remain on disk
        (("generate", str(SHOP), "--out", str(tmp_path / "out"), "--only", "runbooks"), 0),
        (("agent-profile", "--for", "generic"), 0),
        (("verify", str(SHOP)), 2),  # no --target: a usage error, recorded with its message
        (("calibrate", str(SHOP)), 2),  # no --from
        (("mcp", "--root", str(tmp_path / "absent")), 2),
        (("history",), 0),
        (("history", "--format", "json"), 0),
    ]
    for args, expected in calls:
        assert cli(*args) == expected, args
    capsys.readouterr()
    runs = _runs(history_db)
    assert [r["command"] for r in runs] == [a[0][0] for a in calls if a[0][0] != "history"]
    assert {r["command"] for r in runs} == registered - {"history"}
    assert [r["exit_code"] for r in runs] == [e for a, e in calls if a[0] != "history"]
    by = {r["command"]: r for r in runs}
    assert by["review"]["target"] == str(SHOP)
    assert by["review"]["options"] == {"path": str(SHOP), "fail_on": "never", "format": "json"}
    assert by["review"]["counts"] == {
        "critical": 0, "high": 9, "medium": 21, "low": 37, "findings": 67, "new": 67, "suppressed": 0,
        "rule_errors": 0, "components": 14, "edges": 16, "files_read": 9, "skipped": 0,
    }  # fmt: skip
    assert by["review"]["findings"] == 67
    assert by["scan"]["input_digest"] == by["review"]["input_digest"] == by["forecast"]["input_digest"]
    assert len(str(by["scan"]["input_digest"])) == 64
    assert by["forecast"]["counts"]["target_rps"] == 3000.0
    assert by["load"]["counts"]["errors"] == 0 and by["load"]["counts"]["responses"] >= 1
    assert by["load"]["input_digest"] is None and by["load"]["target"] == f"http://127.0.0.1:{http_port}/"
    assert by["fix"]["counts"]["would_apply"] == 6
    assert by["generate"]["counts"]["failed_checks"] == 0
    assert by["verify"]["error"] == (
        "redline: error: give --target ENTRY=URL (the entry point to load and where), or --measured FILE to "
        "re-forecast"
    )
    assert by["calibrate"]["error"] == "usage error: Missing option '--from'."
    assert by["mcp"]["error"] == f"redline: error: --root {tmp_path / 'absent'}: no such folder"
    assert all(r["version"] == "0.1.0" and r["duration_s"] > 0 for r in runs)


def test_history_json_lists_runs_newest_first(
    cli: Run, history_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("scan", str(SHOP), "-f", "json") == 0
    assert cli("review", str(EXAMPLES / "absent")) == 2
    capsys.readouterr()
    assert cli("history", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"database", "total", "runs"}
    assert data["database"] == str(history_db) and data["total"] == 2
    first, second = data["runs"]
    assert set(first) == set(second) == RUN_KEYS
    assert (first["id"], first["command"], first["exit_code"]) == (2, "review", 2)
    assert first["error"] == f"redline: error: {EXAMPLES / 'absent'}: no such file or directory"
    assert (second["id"], second["command"], second["exit_code"], second["error"]) == (1, "scan", 0, None)
    assert second["started_at"].endswith("Z") and second["started_at"] <= first["started_at"]
    assert cli("history", "--format", "json", "--command", "scan", "--limit", "5") == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)["runs"]] == [1]


def test_diff_of_two_reviews_shows_the_planted_finding(
    cli: Run, history_db: Path, shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """cart down to one replica: AV001 and RS005 appear, the 2-replica findings go, SC001's message changes."""
    assert cli("review", str(shop), "--fail-on", "never") == 0
    cart = shop / "cart.yaml"
    cart.write_text(cart.read_text().replace("replicas: 2", "replicas: 1", 1))
    assert cli("review", str(shop), "--fail-on", "never") == 0
    capsys.readouterr()
    assert cli("history", "diff", "--format", "json") == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["base"]["id"], d["head"]["id"], d["same_input"], d["unchanged"]) == (1, 2, False, 64)

    def keys(items: list[dict[str, object]]) -> set[tuple[object, ...]]:
        return {(k["rule"], k["component"], k["file"], k["line"]) for k in items}

    assert keys(d["new"]) == {
        ("AV001", "cart", "cart.yaml", 1),
        ("RS005", "frontend", "redline.yaml", 26),
        ("SC001", "cart", "cart.yaml", 1),
    }
    assert keys(d["fixed"]) == {
        ("AV004", "cart", "cart.yaml", 1),
        ("AV006", "cart", "cart.yaml", 1),
        ("SC001", "cart", "cart.yaml", 1),
    }
    assert all(len(k["message_digest"]) == 16 and "message" not in k for k in d["new"])
    assert cli("history", "diff", "1", "2") == 0
    text = capsys.readouterr().out
    assert "new (3)" in text and "fixed (3)" in text and "unchanged 64" in text
    assert "medium   AV001 single-replica-service  cart  cart.yaml:1" in text


def test_diff_needs_two_reviews(cli: Run, history_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("scan", str(SHOP)) == 0
    assert cli("history", "diff") == 2
    assert "no review run in" in capsys.readouterr().err
    assert cli("review", str(SHOP), "--fail-on", "never") == 0
    assert cli("history", "diff") == 2
    assert "run 2 is the only review of" in capsys.readouterr().err
    assert cli("history", "diff", "1", "2") == 2
    assert "run 1 is `scan`, not a review" in capsys.readouterr().err


SECRET = "Pl4nted-Secret-Zq9x7Kw2"


def test_no_secret_reaches_the_history_file(
    cli: Run, history_db: Path, shop: Path, http_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """A planted secret in a manifest, in options (--set, a URL's password, a header, a body) and in an error
    message: the file's bytes hold none of it."""
    cart = shop / "cart.yaml"
    text = cart.read_text()
    assert "env:" in text
    cart.write_text(text.replace("env:", f'env:\n            - {{name: DB_PASSWORD, value: "{SECRET}"}}', 1))
    assert cli("review", str(shop), "--fail-on", "never", "--set", f"db.password={SECRET}") == 0
    url = f"http://user:{SECRET}@127.0.0.1:{http_port}/?token={SECRET}"
    args = (
        "--rate",
        "10",
        "--duration",
        "1s",
        "--workers",
        "1",
        "-q",
        "--data",
        f'{{"password": "{SECRET}"}}',
    )
    assert cli("load", url, "-H", f"Authorization: Bearer {SECRET}", *args) == 0
    assert cli("scan", f"postgres://app:{SECRET}@db/x") == 2  # the error quotes the argument
    capsys.readouterr()
    runs = _runs(history_db)
    assert [r["command"] for r in runs] == ["review", "load", "scan"]
    assert runs[0]["findings"] == 68  # the planted value is itself a finding: its key is kept, not its text
    assert runs[1]["options"]["header"] == ["Authorization: <not recorded>"]
    assert runs[1]["options"]["data"] == f"<{len(args[-1])} characters, not recorded>"
    assert runs[2]["error"] == "redline: error: postgres://app:****@db/x: no such file or directory"
    assert runs[2]["options"] == {"path": "postgres://app:****@db/x"}
    for f in history_db.parent.iterdir():
        assert SECRET.encode() not in f.read_bytes(), f.name
        assert SECRET[:12].encode() not in f.read_bytes(), f.name


def test_switches_turn_the_history_off(
    cli: Run, history_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("--no-history", "scan", str(SHOP)) == 0
    assert not history_db.exists()
    monkeypatch.setenv("REDLINE_NO_HISTORY", "1")
    assert cli("scan", str(SHOP)) == 0
    assert not history_db.exists()
    assert cli("history") == 2
    monkeypatch.setenv("REDLINE_NO_HISTORY", "0")
    assert cli("scan", str(SHOP)) == 0
    assert [r["command"] for r in _runs(history_db)] == ["scan"]


def test_repository_setting_keeps_the_history_in_dot_redline(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[tool.redline]\nhistory = "repo"\n')
    (repo / "deploy").mkdir()
    (repo / "deploy" / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n")
    monkeypatch.delenv("REDLINE_NO_HISTORY", raising=False)
    monkeypatch.delenv("REDLINE_HISTORY_DB", raising=False)
    assert cli("scan", str(repo / "deploy")) == 0
    db = repo / ".redline" / "history.sqlite"
    assert [r["command"] for r in _runs(db)] == ["scan"]
    assert db.stat().st_mode & 0o777 == 0o600
    (repo / "pyproject.toml").write_text('[tool.redline]\nhistory = "off"\n')
    assert cli("scan", str(repo / "deploy")) == 0
    assert len(_runs(db)) == 1
    (repo / "pyproject.toml").write_text('[tool.redline]\nhistory = "cloud"\n')
    monkeypatch.chdir(repo)
    assert cli("history") == 2


def test_a_history_failure_keeps_the_exit_code(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.delenv("REDLINE_NO_HISTORY", raising=False)
    monkeypatch.setenv("REDLINE_HISTORY_DB", str(blocker / "history.sqlite"))
    assert cli("scan", str(SHOP)) == 0
    assert cli("review", str(SHOP)) == 1
    err = capsys.readouterr().err
    warnings = [ln for ln in err.splitlines() if "not recorded in the history" in ln]
    assert len(warnings) == 2
    assert warnings[0].startswith("redline: warning: this run was not recorded in the history: ")


def test_store_refuses_a_newer_schema_and_keeps_at_most_max_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from redline.history import Run as RunRecord
    from redline.history import store as store_module

    newer = tmp_path / "newer.sqlite"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(HistoryError, match="written by a newer redline"):
        HistoryStore(newer)
    monkeypatch.setattr(store_module, "MAX_RUNS", 3)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with HistoryStore(tmp_path / "h.sqlite") as store:
        for i in range(5):
            run = RunRecord(command=f"c{i}", started_at=at, duration_s=0.5, exit_code=0, version="0.1.0")
            store.add(run)
        assert [r.command for r in store.runs()] == ["c4", "c3", "c2"]
        assert store.count() == 3
