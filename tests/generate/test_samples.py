"""Every shared sample (none has a redline.yaml): what is generated with no SLO, what is skipped and why.

With no SLO and no metrics there are no SLO alerts, so promtool checks the saturation alerts and the
dashboards' PromQL; the scaling objects are validated against the Kubernetes schema."""

from __future__ import annotations

import pytest
import yaml

import redline
from redline.generate.engine import GenerateOptions, generate
from redline.generate.result import Artifact
from tests.conftest import samples_dir
from tests.generate.conftest import PROMTOOL

pytestmark = pytest.mark.samples

SAMPLES = [
    ("online-boutique", "kubernetes-manifests"),
    ("sock-shop",),
    ("deathstarbench",),
    ("retail-store-sample-app",),
    ("full-stack-fastapi-template",),
    ("spring-petclinic-microservices",),
]


@pytest.mark.parametrize("parts", SAMPLES, ids=lambda p: "/".join(p))
def test_a_sample_without_redline_yaml(parts: tuple[str, ...], tmp_path) -> None:  # type: ignore[no-untyped-def]
    system = redline.scan(samples_dir(*parts))
    assert system.slo is None
    result = generate(system, tmp_path, GenerateOptions(check=PROMTOOL is not None))
    assert result.generated
    skipped = {(s.what, s.subject): s.reason for s in result.skipped}
    assert skipped[("SLO alerts", "*")] == "redline.yaml states no SLO (slo.availability or slo.latency)"
    assert not (tmp_path / "prometheus" / "slo-rules.yaml").exists()
    assert "no forecast: no entry point states its rps" in " ".join(result.notes)
    written = {f.artifact for f in result.files}
    assert {Artifact.ALERTS, Artifact.DASHBOARDS, Artifact.RUNBOOKS} <= written
    for alert in result.alerts:
        assert (tmp_path / alert.runbook).is_file(), alert.name
        assert alert.severity in ("page", "ticket")
    if PROMTOOL is not None:
        assert [c.name for c in result.checks if c.passed is not True] == [], result.checks
    if any(c.platform == "kubernetes" for c in system.components) and (tmp_path / "kubernetes").exists():
        (check,) = [c for c in result.checks if c.name == "scaling objects"]
        assert check.passed is True


def test_the_command_on_a_compose_sample_exits_0_and_says_what_it_skipped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from redline.cli.app import app

    sample = samples_dir("full-stack-fastapi-template")
    result = CliRunner().invoke(app, ["generate", str(sample), "--out", str(tmp_path), "-q", "--no-check"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  alerts: *: SLO alerts: redline.yaml states no SLO (slo.availability or slo.latency)" in lines
    assert any(
        line.startswith("  scaling: *: HPAs and PDBs: a Compose system: Compose has no") for line in lines
    )


def test_boutique_with_rps_and_growth_gets_hpas_from_the_forecast(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """100 rps today over the one inferred entry point (frontend), 5x as the target: the services the
    forecast must grow get an HPA, and a PDB once the HPA keeps two replicas or more."""
    system = redline.scan(samples_dir("online-boutique", "kubernetes-manifests"))
    result = generate(system, tmp_path, GenerateOptions(check=PROMTOOL is not None, rps=100, growth=5))
    hpas = {}
    for path in sorted((tmp_path / "kubernetes").glob("hpa-*.yaml")):
        spec = yaml.safe_load(path.read_text())["spec"]
        hpas[path.name] = (spec["minReplicas"], spec["maxReplicas"])
    assert hpas == {
        "hpa-checkoutservice.yaml": (3, 7),
        "hpa-frontend.yaml": (4, 14),
        "hpa-productcatalogservice.yaml": (2, 3),
    }
    assert sorted(p.name for p in (tmp_path / "kubernetes").glob("pdb-*.yaml")) == [
        "pdb-checkoutservice.yaml",
        "pdb-frontend.yaml",
        "pdb-productcatalogservice.yaml",
    ]
    reasons = {(s.what, s.subject): s.reason for s in result.skipped}
    assert reasons[("HPA", "redis-cart")] == "stateful (cache): scale it by its own clustering"
    if PROMTOOL is not None:
        assert [c.name for c in result.checks if c.passed is not True] == []
