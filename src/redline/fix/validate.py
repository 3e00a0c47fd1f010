"""Schema validation of the documents ``redline fix`` writes, offline.

- :func:`validate_kubernetes`: each Kubernetes object against the API's OpenAPI schema of one Kubernetes
  release, as the ``kubernetes-validate`` package ships them (extra ``validate``). The *strict* schemas
  are used: a key the API does not know is an error, so a misspelt field cannot slip through.
- :func:`validate_compose`: a Compose file against the Compose Specification's JSON Schema (draft-07),
  vendored in ``schemas/compose-spec.json`` (origin and licence in ``compose-spec.json.license``).

Both return every problem found, each a :class:`SchemaProblem` with the path of the value at fault
(``spec.template.spec.containers[0].readinessProbe.periodSeconds``), so a caller can compare a document's
problems before and after an edit and blame the edit only for the problems it introduced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from pydantic import BaseModel, ConfigDict

#: The Kubernetes release whose schemas a fix is checked against unless ``--kubernetes-version`` says
#: otherwise. An older release is the stricter check: a field a fix writes must exist in it.
DEFAULT_KUBERNETES_VERSION = "1.33"
INSTALL_HINT = "pip install 'redline[validate]'"

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")
# apiVersion -> the schema file suffix kubernetes-validate uses: apps/v1 -> apps-v1,
# rbac.authorization.k8s.io/v1 -> rbac-v1, v1 -> v1.
_GROUP = re.compile(r"^([^./]*)(?:\.[^/]*)?/")


class ValidatorMissing(Exception):
    """kubernetes-validate is not installed: Kubernetes edits cannot be checked, so none is written."""

    def __init__(self) -> None:
        super().__init__(
            "Kubernetes edits are validated against the Kubernetes API schema before they are written, "
            f"and the schemas are not installed: {INSTALL_HINT}"
        )


class UnsupportedVersion(ValueError):
    """A Kubernetes version for which no schemas are installed."""


class SchemaProblem(BaseModel):
    """One value a schema refuses: which document, where in it, and what the schema says."""

    model_config = ConfigDict(frozen=True)

    document: str  # "Deployment/api", or "compose file"
    path: str  # "spec.replicas"; "" for the document itself
    message: str

    def __str__(self) -> str:
        return f"{self.document}: {self.path or '(document)'}: {self.message}"


def path_of(parts: Iterable[Any]) -> str:
    """``spec.containers[0].image`` from a jsonschema error's ``absolute_path``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out


def _problems(validator: jsonschema.protocols.Validator, doc: Any, label: str) -> list[SchemaProblem]:
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return [SchemaProblem(document=label, path=path_of(e.absolute_path), message=e.message) for e in errors]


# ------------------------------------------------------------------------------------------ Kubernetes


def _kv() -> Any:
    try:
        import kubernetes_validate.utils as kv
    except ImportError as exc:
        raise ValidatorMissing() from exc
    return kv


@lru_cache(maxsize=1)
def kubernetes_versions() -> tuple[str, ...]:
    """The Kubernetes releases (``major.minor``) whose schemas are installed, oldest first."""
    kv = _kv()
    seen = dict.fromkeys(kv.major_minor(v) for v in kv.all_versions())
    return tuple(sorted(seen, key=lambda v: tuple(int(x) for x in v.split("."))))


def kubernetes_version(value: str) -> str:
    """``1.33`` from ``1.33``, ``v1.33`` or ``1.33.2``; :class:`UnsupportedVersion` when no schemas are
    installed for it (the message lists those that are)."""
    m = _VERSION.match(value.strip())
    if m is None:
        raise UnsupportedVersion(f"--kubernetes-version {value!r}: expected a version like 1.33")
    version = f"{m.group(1)}.{m.group(2)}"
    known = kubernetes_versions()
    if version not in known:
        raise UnsupportedVersion(
            f"--kubernetes-version {value}: no schemas installed for it; installed: {known[0]} to {known[-1]}"
        )
    return version


@lru_cache(maxsize=4)
def _definitions(folder: str) -> Any:
    return _kv().schema_contents(f"kubernetes-json-schema/{folder}/_definitions.json", folder)


@lru_cache(maxsize=256)
def _k8s_validator(version: str, kind: str, api_version: str) -> jsonschema.protocols.Validator | None:
    """The strict validator of one kind (None when the release has no schema for it: a custom
    resource, or an API version it no longer serves)."""
    from referencing import Registry, Resource

    kv = _kv()
    folder = f"v{version}.0-local-strict"
    group = _GROUP.sub(r"\1-", api_version)
    name = f"{kind.lower()}-{group}.json"
    try:
        schema = kv.schema_contents(f"kubernetes-json-schema/{folder}/{name}", version)
    except FileNotFoundError:
        return None
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(_definitions(folder)) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def is_kubernetes_object(doc: Any) -> bool:
    """A mapping with a string ``apiVersion`` and ``kind`` that is not a kustomize file."""
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("apiVersion"), str)
        and isinstance(doc.get("kind"), str)
        and not doc["apiVersion"].startswith("kustomize.config.k8s.io/")
    )


def label(doc: Any) -> str:
    """``Deployment/api``: how a document is named in problems."""
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    kind = doc.get("kind") if isinstance(doc, dict) else None
    return f"{kind}/{name}" if kind else "document"


def _expanded(docs: Iterable[Any]) -> Iterable[Any]:
    """Each document, and in place of a ``kind: List`` each of its items (each an object of its own)."""
    for doc in docs:
        items = doc.get("items") if isinstance(doc, dict) and doc.get("kind") == "List" else None
        if isinstance(items, list):
            yield from items
        else:
            yield doc


def validate_kubernetes(
    docs: Iterable[Any], version: str = DEFAULT_KUBERNETES_VERSION
) -> list[SchemaProblem]:
    """Every problem the Kubernetes ``version`` API schema finds in ``docs``: the items of a
    ``kind: List`` each as an object; documents that are not Kubernetes objects are passed over; an
    object whose kind the release has no schema for is one problem, since it cannot be checked.
    Raises :class:`ValidatorMissing` without kubernetes-validate."""
    out: list[SchemaProblem] = []
    for doc in _expanded(docs):
        if not is_kubernetes_object(doc):
            continue
        validator = _k8s_validator(version, doc["kind"], doc["apiVersion"])
        if validator is None:
            message = f"no schema for {doc['kind']} {doc['apiVersion']} in Kubernetes {version}"
            out.append(SchemaProblem(document=label(doc), path="", message=message))
            continue
        out.extend(_problems(validator, doc, label(doc)))
    return out


# --------------------------------------------------------------------------------------------- Compose


@lru_cache(maxsize=1)
def _compose_validator() -> jsonschema.protocols.Validator:
    text = resources.files("redline.fix").joinpath("schemas/compose-spec.json").read_text("utf-8")
    return jsonschema.Draft7Validator(json.loads(text))


def validate_compose(doc: Any) -> list[SchemaProblem]:
    """Every problem the Compose Specification's schema finds in one Compose file's document."""
    return _problems(_compose_validator(), doc, "compose file")


# ---------------------------------------------------------------------------------------------- edits


def problems_of(doc: Any, *, compose: bool, version: str = DEFAULT_KUBERNETES_VERSION) -> list[SchemaProblem]:
    """A document's problems: as a Compose file's, or as a Kubernetes object's (else none)."""
    if compose:
        return validate_compose(doc) if isinstance(doc, dict) else []
    return validate_kubernetes([doc], version)


def introduced(
    before: Sequence[Any],
    after: Sequence[Any],
    *,
    compose: bool,
    version: str = DEFAULT_KUBERNETES_VERSION,
    known: dict[int, set[SchemaProblem]] | None = None,
) -> list[SchemaProblem]:
    """The problems an edit introduced: of each document of ``after`` that differs from the document at
    the same position in ``before`` (documents past its end are new), those the document before did not
    have. ``known`` caches the problems of ``before``'s documents by position, across calls."""
    known = {} if known is None else known
    out: list[SchemaProblem] = []
    for i, doc in enumerate(after):
        prev = before[i] if i < len(before) else None
        if prev == doc:
            continue
        if i not in known:
            known[i] = set(problems_of(prev, compose=compose, version=version)) if prev is not None else set()
        out += [p for p in problems_of(doc, compose=compose, version=version) if p not in known[i]]
    return out


__all__ = [
    "DEFAULT_KUBERNETES_VERSION",
    "INSTALL_HINT",
    "SchemaProblem",
    "UnsupportedVersion",
    "ValidatorMissing",
    "introduced",
    "is_kubernetes_object",
    "kubernetes_version",
    "kubernetes_versions",
    "label",
    "path_of",
    "problems_of",
    "validate_compose",
    "validate_kubernetes",
]
