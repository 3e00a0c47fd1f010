"""`redline init`: a starter redline.yaml that validates as written, never overwrites, never leaks a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import redline
from redline.cli import init as init_cmd
from redline.model import SkipKind
from redline.report import init_yaml
from redline.sources import native
from redline.sources.diagnostics import Collector
from redline.sources.yamlio import load_documents
from tests.conftest import samples_dir
from tests.sources.test_recall import GROUNDTRUTH, load_truth, truth_files

COMPOSE = """\
services:
  proxy:
    image: traefik:3
    ports: ["80:80"]
    environment:
      BACKEND_URL: http://app:8000
  app:
    image: example/app
    depends_on: [cache]
    environment:
      DATABASE_URL: postgres://app:hunter2secret@db:5432/app
      API_TOKEN: s3cr3t-t0ken-value
  db:
    image: postgres:16
  cache:
    image: redis:7
  "yes":
    image: example/loadgen
    environment:
      TARGET: http://proxy
"""


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    init_cmd.register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps Typer from collapsing the group
        """Unused."""

    return app


def validate(text: str) -> native.NativeFile:
    """Parse ``text`` back as redline.yaml; fail on any rejected value."""
    problems: list[object] = []
    (doc,) = list(load_documents(text, problems))  # type: ignore[arg-type]
    assert not problems, problems
    out = Collector()
    spec = native.parse(doc, "redline.yaml", out)
    rejected = [s for s in out.skipped if s.kind == SkipKind.REJECTED]
    assert spec is not None and not rejected, rejected
    return spec


def test_starter_states_what_scan_inferred_with_lines(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    text = init_yaml.render(redline.scan(tmp_path))
    assert (
        "entrypoints:\n"
        "  # inferred: published port 80:80 (compose.yaml:4); called only by tooling (yes)\n"
        "  - name: proxy\n"
        "    component: proxy\n"
        "    # rps: 100  # TODO: requests per second this entry point takes at peak\n"
    ) in text
    assert (
        "  app:\n"
        "    kind: service  # default (application image) (compose.yaml:7)\n"
        "    # workers: 8  # TODO: requests one replica serves at once\n"
        "    # service_time: 20ms  # TODO: mean time a request holds a worker (own work only)\n"
        "    calls:\n"
        "      - to: db  # inferred from compose.yaml:11 (env)\n"
        "    # startup order only: cache (inferred from compose.yaml:9 (depends_on)); a call? add it to calls:\n"
    ) in text
    assert '  "yes":\n    kind: service' in text and "    tooling: true  # a load generator" in text
    spec = validate(text)
    assert spec.components["app"] is not None and [c.to for c in spec.components["app"].calls] == ["db"]
    assert spec.entrypoints[0].component == "proxy" and spec.entrypoints[0].rps is None


def test_starter_never_holds_a_secret(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    text = init_yaml.render(redline.scan(tmp_path))
    for secret in ("hunter2", "s3cr3t", "t0ken"):
        assert secret not in text


def test_applying_the_starter_keeps_the_model(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    before = redline.scan(tmp_path)
    (tmp_path / "redline.yaml").write_text(init_yaml.render(before))
    after = redline.scan(tmp_path)
    assert not after.skipped
    assert [(e.component, e.inferred) for e in after.entrypoints] == [("proxy", False)]
    runtime = sorted((e.from_, e.to) for e in after.edges if not e.startup_only)
    assert runtime == sorted((e.from_, e.to) for e in before.edges if not e.startup_only)
    assert {c.name: c.kind for c in after.components} == {c.name: c.kind for c in before.components}


def test_cli_writes_refuses_to_overwrite_and_prints(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    result = CliRunner().invoke(app, ["init", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "redline.yaml").read_text()
    assert written.startswith("# redline.yaml: a starter written by `redline init`")

    (tmp_path / "redline.yaml").write_text("name: mine\n")
    result = CliRunner().invoke(app, ["init", str(tmp_path), "-q"])
    assert result.exit_code == 2
    assert "redline.yaml exists: pass --force to overwrite it" in " ".join(result.output.split())
    assert (tmp_path / "redline.yaml").read_text() == "name: mine\n"

    result = CliRunner().invoke(app, ["init", str(tmp_path), "-o", "-", "-q"])
    assert result.exit_code == 0 and "name: mine\n" in result.output  # the scan read the user's file
    assert (tmp_path / "redline.yaml").read_text() == "name: mine\n"

    result = CliRunner().invoke(app, ["init", str(tmp_path), "--force", "-q"])
    assert result.exit_code == 0
    validate((tmp_path / "redline.yaml").read_text())

    other = tmp_path / "out" / "starter.yaml"
    result = CliRunner().invoke(app, ["init", str(tmp_path), "-o", str(other), "-q"])
    assert result.exit_code == 2 and "does not exist" in " ".join(result.output.split())


@pytest.mark.samples
@pytest.mark.parametrize("name", [p.stem for p in truth_files()])
def test_init_on_every_sample_target_validates(name: str) -> None:
    truth = load_truth(GROUNDTRUTH / f"{name}.yaml")
    system = redline.scan(samples_dir(*truth.target.split("/")))
    text = init_yaml.render(system)
    spec = validate(text)
    assert sorted(spec.components) == sorted(c.name for c in system.components)
    assert [e.component for e in spec.entrypoints] == [e.component for e in system.entrypoints]


def test_cli_exits_2_when_the_scanned_redline_yaml_has_a_refused_value(
    app: typer.Typer, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "redline.yaml").write_text("components:\n  app: {tooling: maybe}\n")
    result = CliRunner().invoke(app, ["init", str(tmp_path), "-o", "-", "-q"])
    assert result.exit_code == 2
    assert "components.app.tooling: not true or false" in " ".join(result.output.split())
    validate(result.stdout)  # the starter is still printed, and valid: the refused value is not in it
