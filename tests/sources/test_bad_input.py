"""A scan reads whatever a repository holds: every kind of bad file costs only itself, never the scan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import redline
from redline.model import SkipKind

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: example/api:1.0
          env:
            - {name: DB_URL, value: "postgres://db:5432/x"}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {selector: {app: db}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: pg, image: "postgres:16"}]
"""


def _bomb() -> str:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "good.yaml").write_text(GOOD)
    (root / "malformed.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: x\n")
    (root / "tabs.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n\tdata: {}\n")
    (root / "latin1.yaml").write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n")
    (root / "binary.yml").write_bytes(b"\x00\x01\x02binary\x00")
    (root / "empty.yaml").write_text("")
    (root / "bomb.yaml").write_text(_bomb())
    (root / "deep.yaml").write_text("[" * 5000 + "]" * 5000)
    with (root / "huge.yaml").open("w") as fh:  # 50 MB
        line = "# " + "x" * 1022 + "\n"
        for _ in range(50 * 1024):
            fh.write(line)
    loop = root / "loop"
    loop.mkdir()
    os.symlink(loop, loop / "again")
    os.symlink(root / "self-a.yaml", root / "self-b.yaml")
    os.symlink(root / "self-b.yaml", root / "self-a.yaml")
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicas: 2\n")
    (chart / "templates" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
    )
    (root / "stray-template.yaml").write_text("kind: Service\nmetadata:\n  name: {{ .Values.name }}\n")
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text("on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n")
    (root / "types.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: typed}\nspec:\n  replicas: many\n"
        "  template:\n    spec:\n      containers: [{name: c, image: x, resources: {limits: {memory: lots}}}]\n"
    )
    (root / "notalist.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: odd}\nspec: 7\n"
    )
    return root


def test_scan_survives_everything_and_keeps_the_good_file(hostile_repo: Path) -> None:
    system = redline.scan(hostile_repo, max_file_bytes=20_000_000, render_helm=False)
    names = {c.name for c in system.components}
    assert {"api", "db", "typed", "odd"} <= names
    assert any(e.from_ == "api" and e.to == "db" for e in system.edges)
    skipped = {s.file: s for s in system.skipped}
    assert "line" not in skipped["malformed.yaml"].reason and skipped["malformed.yaml"].line == 4
    assert skipped["tabs.yaml"].line == 3 and "tab" in skipped["tabs.yaml"].reason
    assert "UTF-8" in skipped["latin1.yaml"].reason and skipped["latin1.yaml"].line == 3
    assert "binary" in skipped["binary.yml"].reason
    assert "empty" in skipped["empty.yaml"].reason
    assert "alias bomb" in skipped["bomb.yaml"].reason
    gaps = [(s.file, s.line, s.kind, s.reason) for s in system.skipped if s.file == "deep.yaml"]
    assert gaps[0] == (
        "deep.yaml",
        1,
        SkipKind.UNREADABLE,
        "a value nested deeper than 200 levels; value dropped",
    )
    assert "MB" in skipped["huge.yaml"].reason
    assert "not followed" in skipped["loop/again"].reason
    assert "loop" in skipped["self-a.yaml"].reason
    assert "helm template" in skipped["chart/"].reason and "1 templates" in skipped["chart/"].reason
    assert "Helm template" in skipped["stray-template.yaml"].reason
    assert "CI workflow" in skipped[".github/workflows/ci.yml"].reason
    # Wrong types cost the field, with a warning naming the file and line, not the object.
    typed = system.component("typed")
    assert typed is not None and typed.replicas is None
    warnings = [(w.file, w.line, w.message) for w in system.warnings]
    assert ("types.yaml", 5, "replicas: expected a whole number, got 'many'; ignored") in warnings
    assert any(f == "types.yaml" and "memory" in m for f, _, m in warnings)
    # Every skipped entry names a file and gives one line of reason.
    assert all(s.file and s.reason and "\n" not in s.reason for s in system.skipped)


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "redline", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_cli_never_tracebacks_and_exits_0_when_something_was_read(hostile_repo: Path) -> None:
    proc = _cli("scan", str(hostile_repo), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    data = json.loads(proc.stdout)
    assert {"components", "edges", "unresolved", "skipped"} <= set(data)


def test_cli_exit_2_when_nothing_could_be_read(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("a: [\n")
    (tmp_path / "notes.txt").write_text("hello")
    proc = _cli("scan", str(tmp_path))
    assert proc.returncode == 2
    assert "nothing could be read" in proc.stderr and "broken.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = _cli("scan", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    bad_format = _cli("scan", str(tmp_path), "--format", "xml")
    assert bad_format.returncode == 2 and "--format" in bad_format.stderr
    unknown = _cli("scan", "--bogus")
    assert unknown.returncode == 2


def test_gitignore_and_exclude_are_honoured(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("ignored/\n*.generated.yaml\n")
    for rel in ("ignored/a.yaml", "keep/b.yaml", "x.generated.yaml", "vendor/c.yaml"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        name = path.stem.replace(".", "-")
        path.write_text(
            f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec: {{containers: [{{name: c, image: i}}]}}\n"
        )
    system = redline.scan(tmp_path, exclude=["vendor/"])
    assert {c.name for c in system.components} == {"b"}


def test_redline_yaml_errors_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text(GOOD)
    (tmp_path / "redline.yaml").write_text(
        "components:\n  api:\n    service_time: 12 parsecs\n    workers: -3\n    calls:\n      - {to: db, count: 0}\n"
        "  db: {replicsa: 3}\n"
    )
    system = redline.scan(tmp_path)
    reasons = {(s.line, s.reason) for s in system.skipped if s.file == "redline.yaml"}
    assert any(line == 3 and "parsecs" in r for line, r in reasons)
    assert any(line == 4 and "workers" in r for line, r in reasons)
    assert any(line == 6 and "count" in r for line, r in reasons)
    assert any(line == 7 and "replicsa" in r for line, r in reasons)


def test_a_rejected_redline_yaml_is_reported_by_every_command(tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text(GOOD)
    (tmp_path / "redline.yaml").write_text("entrypoints: [{name: web, component: api, rps: -5}]\n")
    for command in ("scan", "review", "forecast"):
        proc = _cli(command, str(tmp_path))
        assert "Traceback" not in proc.stderr
        assert "redline.yaml:1: entrypoints.0.rps: a rate cannot be negative" in proc.stderr, command
        assert "not applied" in proc.stderr


def test_scan_restores_the_garbage_collector_state(tmp_path: Path) -> None:
    import gc

    (tmp_path / "svc.yaml").write_text(GOOD)
    assert gc.isenabled()
    redline.scan(tmp_path)
    assert gc.isenabled()
    gc.disable()
    try:
        redline.scan(tmp_path)
        assert not gc.isenabled()  # a caller that paused it keeps it paused
    finally:
        gc.enable()
