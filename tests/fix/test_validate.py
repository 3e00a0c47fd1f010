"""Schema validation of what a fix writes: the Kubernetes API schema (kubernetes-validate) and the
Compose Specification's JSON Schema (vendored)."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest

from redline.fix.validate import (
    DEFAULT_KUBERNETES_VERSION,
    SchemaProblem,
    UnsupportedVersion,
    ValidatorMissing,
    introduced,
    kubernetes_version,
    kubernetes_versions,
    validate_compose,
    validate_kubernetes,
)
from redline.sources.yamlio import load_documents

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "api"}},
        "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {"containers": [{"name": "api", "image": "example/api:1.0"}]},
        },
    },
}


def test_a_valid_deployment_has_no_problems() -> None:
    assert validate_kubernetes([DEPLOYMENT]) == []


def test_problems_name_the_document_and_the_path() -> None:
    bad = json.loads(json.dumps(DEPLOYMENT))
    bad["spec"]["replicas"] = "two"
    bad["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert validate_kubernetes([bad]) == [
        SchemaProblem(
            document="Deployment/api", path="spec.replicas", message="'two' is not of type 'integer', 'null'"
        ),
        SchemaProblem(
            document="Deployment/api",
            path="spec.template.spec.containers[0]",
            message="Additional properties are not allowed ('readinesProbe' was unexpected)",
        ),
    ]


def test_the_items_of_a_list_are_validated_as_objects() -> None:
    bad = json.loads(json.dumps(DEPLOYMENT))
    bad["spec"]["replicas"] = "two"
    listed = {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Namespace"}, bad]}
    assert [str(p) for p in validate_kubernetes([listed])] == [
        "Deployment/api: spec.replicas: 'two' is not of type 'integer', 'null'"
    ]


def test_introduced_counts_only_what_an_edit_added() -> None:
    bad = json.loads(json.dumps(DEPLOYMENT))
    bad["spec"]["replicas"] = "two"
    worse = json.loads(json.dumps(bad))
    worse["spec"]["paused"] = "yes"
    assert introduced([bad], [bad], compose=False) == []
    assert [p.path for p in introduced([bad], [worse], compose=False)] == ["spec.paused"]
    assert [p.path for p in introduced([], [bad], compose=False)] == ["spec.replicas"]


def test_a_kind_the_release_does_not_serve_is_a_problem() -> None:
    old = {**DEPLOYMENT, "apiVersion": "extensions/v1beta1"}
    assert [str(p) for p in validate_kubernetes([old])] == [
        "Deployment/api: (document): no schema for Deployment extensions/v1beta1 in Kubernetes 1.33"
    ]


def test_documents_that_are_not_kubernetes_objects_are_passed_over() -> None:
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
    assert validate_kubernetes([None, {"services": {}}, kustomization]) == []


def test_versions() -> None:
    assert DEFAULT_KUBERNETES_VERSION in kubernetes_versions()
    assert (kubernetes_version("v1.30.2"), kubernetes_version("1.33")) == ("1.30", "1.33")
    with pytest.raises(UnsupportedVersion, match=r"expected a version like 1\.33"):
        kubernetes_version("latest")
    with pytest.raises(UnsupportedVersion, match=r"no schemas installed for it; installed: 1\.\d+ to 1\.\d+"):
        kubernetes_version("1.2")


def test_compose_problems_have_paths() -> None:
    doc = {"services": {"web": {"image": "x", "restart": 5, "ports": "80"}}}
    assert [str(p) for p in validate_compose(doc)] == [
        "compose file: services.web.ports: '80' is not of type 'array'",
        "compose file: services.web.restart: 5 is not of type 'string'",
    ]


def test_every_sample_compose_file_and_the_shop_validate() -> None:
    """The vendored schema accepts the Compose files of the bundled example (the real-world check is in
    test_samples_apply.py, on every sample)."""
    root = Path(__file__).resolve().parents[2] / "examples" / "shop" / "compose"
    [doc] = load_documents((root / "compose.yaml").read_text())
    assert validate_compose(doc) == []


def test_the_vendored_schema_is_the_one_recorded() -> None:
    folder = resources.files("redline.fix").joinpath("schemas")
    data = folder.joinpath("compose-spec.json").read_bytes()
    header = folder.joinpath("compose-spec.json.license").read_text()
    assert f"SHA-256:  {hashlib.sha256(data).hexdigest()}" in header
    assert "SPDX-License-Identifier: Apache-2.0" in header
    assert json.loads(data)["$schema"] == "https://json-schema.org/draft-07/schema"


def test_missing_validator_says_how_to_install_it(without_kubernetes_validate: None) -> None:
    with pytest.raises(ValidatorMissing, match=r"pip install 'redline\[validate\]'"):
        validate_kubernetes([DEPLOYMENT])
