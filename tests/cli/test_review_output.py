"""`redline review` output options: concise, --min-severity, piped text, SARIF from a subfolder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.cli.app import app

SHOP = Path(__file__).parents[2] / "examples" / "shop" / "kubernetes"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The shop's manifests in ``deploy/k8s`` of a git repository."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(SHOP, tmp_path / "deploy" / "k8s")
    return tmp_path


def test_concise_prints_one_line_per_finding_and_gates_as_usual(repo: Path) -> None:
    code, out, _ = run("review", str(repo / "deploy" / "k8s"), "-f", "concise", "--min-severity", "high")
    assert code == 1
    assert out.splitlines() == [
        "datastores.yaml:1 AV002 high postgres single postgres datastore instance `postgres` is a single point "
        "of failure for 1 of 1 entry points (gateway).",
        "datastores.yaml:69 SE014 high redis redis `redis` is reachable from outside its network: LoadBalancer "
        "Service redis",
        "datastores.yaml:79 AV002 high rabbitmq single rabbitmq queue instance `rabbitmq` is a single point of "
        "failure for 1 of 1 entry points (gateway).",
        "datastores.yaml:79 AV009 high rabbitmq rabbitmq queue `rabbitmq` is a StatefulSet with no "
        "volumeClaimTemplates and no persistent volume: its data lives only as long as the pod.",
        "orders.yaml:21 SE002 high orders env `DATABASE_URL` of container `orders` in `orders` embeds a password "
        "in `postgres://orders:****@postgres.default.svc.cluster.local:5432/orders`",
        "redline.yaml:25 RS002 high frontend `frontend` gives `catalog` 0.5 s, but `catalog` may itself wait 1 s "
        "× 3 attempts = 3 s on `postgres`.",
        "redline.yaml:27 RS002 high frontend `frontend` gives `orders` 2 s, but `orders` may itself wait 5 s × 3 "
        "attempts = 15 s on `payments`.",
        "redline.yaml:44 RS002 high orders `orders` gives `payments` 5 s, but `payments` may itself wait 10 s × 4 "
        "attempts = 40 s on `api.stripe.com`.",
        "redline.yaml:50 RS004 high api.stripe.com retries along frontend → orders → payments → api.stripe.com "
        "multiply to 24 attempts (2 × 3 × 4) on `api.stripe.com` per request, above the limit of 10.",
        "summary: 0 critical, 9 high, 21 medium, 37 low (83 rules run)",
    ]
    # --min-severity shows less; --fail-on still counts what is not shown.
    code, out, _ = run("review", str(repo / "deploy" / "k8s"), "-f", "concise", "--min-severity", "critical")
    assert code == 1 and out == "summary: 0 critical, 9 high, 21 medium, 37 low (83 rules run)\n"


def test_piped_text_is_not_padded_and_keeps_long_snippet_lines_whole(repo: Path) -> None:
    code, out, _ = run("review", str(repo / "deploy" / "k8s"), "--fail-on", "never")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "redline review: 67 findings, passes --fail-on never"
    assert [line for line in lines if line != line.rstrip()] == []
    advice = next(
        line for line in lines if line.startswith("    # advice: Measure `worker` under normal load")
    )
    assert len(advice) > 160 and advice.endswith("redline writes no numbers here: they would be guesses.")
    assert lines.count("  places:") == 9  # the nine stories told of more than one place


def test_sarif_of_a_subfolder_cites_files_from_the_git_root(repo: Path) -> None:
    code, out, _ = run("review", str(repo / "deploy" / "k8s"), "-f", "sarif", "--fail-on", "never")
    assert code == 0
    run_ = json.loads(out)["runs"][0]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run_["results"]}
    assert "deploy/k8s/datastores.yaml" in uris and all(u.startswith("deploy/k8s/") for u in uris)
    # --root names the repository root explicitly: here, the folder above the manifests.
    out = run(
        "review",
        str(repo / "deploy" / "k8s"),
        "-f",
        "sarif",
        "--fail-on",
        "never",
        "--root",
        str(repo / "deploy"),
    )[1]
    run_ = json.loads(out)["runs"][0]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == (repo / "deploy").resolve().as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run_["results"]}
    assert all(u.startswith("k8s/") for u in uris)


def test_markdown_output_opens_with_the_verdict_and_summaries(repo: Path) -> None:
    code, out, _ = run("review", str(repo / "deploy" / "k8s"), "-f", "markdown", "--fail-on", "never")
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == ["## redline review", "", "**67 findings** — passes `--fail-on never` · 83 rules run"]
    assert "| Rule | Worst | Findings |" in lines and "| SE007 | 🔵 low | 10 |" in lines
    assert "- **SE007** `run-as-non-root-not-enforced` · 10 places  " in lines
    assert len(out.encode()) < 60_000
