"""A kustomize overlay whose base lies outside the scanned folder: followed up to the repository root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import redline
from redline.cli.app import app

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: example/api:1.0
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """repo/base (a kustomization and a Deployment) and repo/overlays/prod (namespace prod, ../../base)."""
    root = tmp_path / "repo"
    (root / "base").mkdir(parents=True)
    (root / "overlays" / "prod").mkdir(parents=True)
    (root / "base" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    (root / "base" / "deployment.yaml").write_text(DEPLOYMENT)
    (root / "base" / "unlisted.yaml").write_text(DEPLOYMENT.replace("name: api", "name: other"))
    (root / "overlays" / "prod" / "kustomization.yaml").write_text(
        "namespace: prod\nresources:\n  - ../../base\n"
    )
    return root


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_base_is_read_inside_a_git_repository_and_cited_from_its_root(repo: Path) -> None:
    (repo / ".git").mkdir()
    system = redline.scan(repo / "overlays" / "prod")
    assert system.root == str(repo)
    assert [(c.name, c.namespace, c.source.file, c.source.line) for c in system.components] == [
        ("api", "prod", "base/deployment.yaml", 1)
    ]
    assert [(f.file, f.as_) for f in system.files] == [
        ("overlays/prod/kustomization.yaml", "kustomization"),
        ("base/kustomization.yaml", "kustomization"),
        ("base/deployment.yaml", "kubernetes"),
    ]
    assert system.skipped == []  # base/unlisted.yaml is not listed: not followed, not reported


def test_beyond_the_root_nothing_is_read_and_the_message_says_use_root(repo: Path) -> None:
    prod = repo / "overlays" / "prod"  # no .git anywhere above: the root is the scanned folder
    for command in ("scan", "review", "forecast"):
        code, out, err = run(command, str(prod))
        assert code == 2, command
        assert out == ""
        assert err == (
            f"redline: error: nothing could be read in {prod}: the kustomization's resources lie outside the "
            "repository root: ../../base (use --root)\n"
        ), command


def test_root_option_follows_the_base(repo: Path) -> None:
    prod = repo / "overlays" / "prod"
    code, out, _ = run("scan", str(prod), "--root", str(repo), "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert [(c["name"], c["source"]) for c in data["components"]] == [
        ("api", {"file": "base/deployment.yaml", "line": 1})
    ]
    code, out, _ = run("review", str(prod), "--root", str(repo), "-f", "json", "--fail-on", "never")
    assert code == 0
    assert {(f["file"], f["line"]) for f in json.loads(out)["findings"]} >= {("base/deployment.yaml", 1)}


def test_a_resource_beyond_the_root_beside_one_inside_is_a_gap(repo: Path) -> None:
    (repo / ".git").mkdir()
    (repo / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\n  - ../../../elsewhere\n"
    )
    code, out, err = run("review", str(repo / "overlays" / "prod"), "-f", "json", "--fail-on", "never")
    assert code == 2
    assert json.loads(out)["skipped"] == [
        {
            "file": "overlays/prod/kustomization.yaml",
            "line": 3,
            "kind": "unreadable",
            "reason": f"resource ../../../elsewhere lies outside the repository root {repo}: not read (use --root)",
        }
    ]
    assert "--allow-skipped" in err


def test_root_must_contain_the_scanned_path(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    code, _, err = run("scan", str(repo / "overlays" / "prod"), "--root", str(other))
    assert code == 2
    assert err == (
        f"redline: error: --root {other} does not contain the scanned path {repo / 'overlays' / 'prod'}\n"
    )
