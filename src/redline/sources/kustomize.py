"""kustomization.yaml: which files a kustomization includes, and what it would change that a scan does not.

redline reads the files a kustomization lists (they are on disk, and the walk reads them anyway) but does
not run kustomize: patches, name prefixes, image overrides and generators are reported as "not applied" so
nobody mistakes the scan for ``kustomize build`` output. Files that belong only to a kustomize
*Component* (``kind: Component``) are opt-in features, not the base system, and are skipped with that
reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.model import SkipKind
from redline.sources.diagnostics import Collector

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_TRANSFORMS = (
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
    "images",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "replicas",
    "configMapGenerator",
    "secretGenerator",
    "helmCharts",
)


@dataclass
class Kustomization:
    path: Path
    rel: str
    is_component: bool
    namespace: str | None
    resources: list[Path] = field(default_factory=list)  # files and directories, resolved
    components: list[Path] = field(default_factory=list)


def read(doc: Any, path: Path, rel: str, out: Collector) -> Kustomization | None:
    if not isinstance(doc, dict):
        out.skip(rel, "kustomization is not a mapping")
        return None
    k = Kustomization(
        path=path,
        rel=rel,
        is_component=doc.get("kind") == "Component",
        namespace=doc.get("namespace") if isinstance(doc.get("namespace"), str) else None,
    )
    for key in ("resources", "bases"):
        items = doc.get(key)
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, str):
                continue
            if "://" in item or item.startswith(("github.com/", "git@")):
                out.skip(rel, f"remote kustomize resource {item} not fetched", kind=SkipKind.NOT_RENDERED)
                continue
            k.resources.append((path.parent / item).resolve())
    for item in doc.get("components") or [] if isinstance(doc.get("components"), list) else []:
        if isinstance(item, str):
            k.components.append((path.parent / item).resolve())
    applied = [t for t in _TRANSFORMS if doc.get(t)]
    if applied and not k.is_component:  # an opt-in Component's patches matter only where it is enabled
        out.warn(
            rel,
            getattr(doc, "key_lines", {}).get(applied[0]),
            f"kustomize {', '.join(applied)} not applied: redline reads the files as written; "
            "scan the output of `kustomize build` to see the result",
        )
    return k


def component_files(kustomizations: list[Kustomization]) -> dict[Path, str]:
    """Files that belong to kustomize Components only: path -> the Component's kustomization file."""
    base: set[Path] = set()
    optional: dict[Path, str] = {}
    for k in kustomizations:
        for res in k.resources:
            if k.is_component:
                optional.setdefault(res, k.rel)
            else:
                base.add(res)
    return {p: rel for p, rel in optional.items() if p not in base}


def namespaces(kustomizations: list[Kustomization]) -> dict[Path, str]:
    """Files whose objects a kustomization puts in a namespace (the first kustomization that says so)."""
    result: dict[Path, str] = {}
    for k in kustomizations:
        if k.namespace and not k.is_component:
            for res in k.resources:
                result.setdefault(res, k.namespace)
    return result


def unlisted_files(kustomizations: list[Kustomization], files: list[Path]) -> dict[Path, str]:
    """YAML files that sit beside a kustomization.yaml but that no kustomization lists.

    ``kubectl apply -k`` deploys only what a kustomization lists, so a manifest left out of the list
    (Online Boutique's loadgenerator.yaml) is not part of the system that directory describes.
    """
    listed: set[Path] = set()
    for k in kustomizations:
        listed.update(k.resources)
    governed = {k.path.parent: k.rel for k in kustomizations if not k.is_component}
    result: dict[Path, str] = {}
    for f in files:
        owner = governed.get(f.parent)
        if owner is not None and f.name not in KUSTOMIZATION_NAMES and f.resolve() not in listed:
            result[f] = owner
    return result
