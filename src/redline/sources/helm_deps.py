"""A Helm chart's dependencies, resolved offline the way ``helm dependency build`` would leave them.

``helm template`` refuses a chart whose Chart.yaml (``requirements.yaml`` for apiVersion v1) lists a
dependency that ``charts/`` does not hold. What ``helm dependency build`` then ``helm template`` would
print is rendered from a temporary copy of the chart (the user's folder is never written to):

* a ``file://`` dependency is copied from the folder it names into the copy's ``charts/``; its
  templates are cited by their real files (``../../cart/chart/templates/deployment.yaml``);
* a remote dependency whose ``condition`` (or ``tags``) is false with the effective values renders
  nothing: it is left out of the copy's dependency list;
* a remote dependency that is enabled cannot be fetched offline: it is left out too, and a
  ``not-rendered`` entry names it (its objects are not in the scan).

A warning says how each dependency was resolved. Values for conditions: the chart's values.yaml, each
``--values`` file, then each ``--set`` of a plain ``a.b=value`` form (what a condition reads).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from redline.model import SkipKind
from redline.sources.registry import ScanState

MAX_COPY_FILES = 5_000  # files copied from one chart or one file:// dependency
MAX_COPY_BYTES = 50 * 1024 * 1024
MAX_DEPENDENCIES = 500  # dependencies looked at in one chart
_SKIPPED_DIRS = {".git", "node_modules"}


@dataclass
class Prepared:
    """The chart to render and where its resolved dependencies' files really are."""

    path: Path  # the user's chart, or a temporary copy with its dependencies in charts/
    subcharts: dict[str, str] = field(default_factory=dict)  # "charts/<name>/" -> real folder, as cited


@dataclass(frozen=True)
class Dependency:
    name: str
    alias: str | None
    repository: str
    condition: str | None
    tags: tuple[str, ...]
    raw: dict[str, Any]

    @property
    def called(self) -> str:
        return self.alias or self.name


def prepare(chart: Path, rel: str, scan: ScanState, tmp: Path) -> Prepared | None:
    """The chart as ``helm dependency build`` would leave it (in ``tmp`` when anything is missing from
    charts/), or None when it cannot be prepared (a skip says why)."""
    out = scan.out
    holder, doc, deps = _declared(chart)
    present = _present(chart)
    missing = [d for d in deps if d.name not in present]
    if not missing or holder is None:
        return Prepared(chart)
    values = _values(chart, scan)
    copy = tmp / chart.name
    problem = _copy_tree(chart, copy)
    if problem is not None:
        out.skip(rel, f"Helm chart: {problem}; not rendered", kind=SkipKind.NOT_RENDERED)
        return None
    prepared = Prepared(copy)
    dropped: set[str] = set()
    notes: list[str] = []
    for dep in missing:
        if dep.repository.startswith("file://"):
            note = _local(dep, chart, copy, prepared, scan, rel)
        else:
            note = _remote(dep, values, rel, scan)
        if not note.startswith("from "):
            dropped.add(dep.called)
        notes.append(f"{dep.called} {note}")
    doc["dependencies"] = [d.raw for d in deps if d.called not in dropped]
    (copy / holder).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    out.warn(rel, None, "Helm chart dependencies resolved offline: " + "; ".join(notes))
    return prepared


def _declared(chart: Path) -> tuple[str | None, dict[str, Any], list[Dependency]]:
    """The file that lists the dependencies (Chart.yaml, or requirements.yaml for apiVersion v1), its
    parsed document, and the dependencies. A file that does not parse lists none (helm will say why)."""
    for holder in ("Chart.yaml", "requirements.yaml"):
        try:
            doc = yaml.safe_load((chart / holder).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("dependencies"), list):
            deps = [_dependency(d) for d in doc["dependencies"][:MAX_DEPENDENCIES]]
            return holder, doc, [d for d in deps if d is not None]
    return None, {}, []


def _dependency(raw: Any) -> Dependency | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return None
    tags = raw.get("tags")
    return Dependency(
        name=raw["name"],
        alias=raw["alias"] if isinstance(raw.get("alias"), str) else None,
        repository=str(raw.get("repository") or ""),
        condition=raw["condition"] if isinstance(raw.get("condition"), str) else None,
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        raw=raw,
    )


def _present(chart: Path) -> set[str]:
    """Names of the charts ``charts/`` holds: folders by their Chart.yaml name, archives by file name."""
    names: set[str] = set()
    folder = chart / "charts"
    if not folder.is_dir():
        return names
    for entry in sorted(folder.iterdir())[:MAX_DEPENDENCIES]:
        if entry.is_dir() and not entry.is_symlink():
            names.add(_chart_name(entry) or entry.name)
        elif entry.name.endswith(".tgz"):
            names.add(entry.name[: -len(".tgz")].rsplit("-", 1)[0])
    return names


def _chart_name(folder: Path) -> str | None:
    try:
        doc = yaml.safe_load((folder / "Chart.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None
    name = doc.get("name") if isinstance(doc, dict) else None
    return name if isinstance(name, str) else None


def _local(dep: Dependency, chart: Path, copy: Path, prepared: Prepared, scan: ScanState, rel: str) -> str:
    """Copy a ``file://`` dependency into the copy's charts/; the note says from where (or why not)."""
    source = (chart / dep.repository[len("file://") :]).resolve()
    if _chart_name(source) != dep.name:
        why = "holds no Chart.yaml" if not (source / "Chart.yaml").is_file() else "holds another chart"
        reason = f"dependency {dep.called} ({dep.repository}) {why}: its objects are not in this scan"
        scan.out.skip(rel, f"Helm chart: {reason}", kind=SkipKind.NOT_RENDERED)
        return f"not found at {dep.repository}"
    problem = _copy_tree(source, copy / "charts" / dep.called)
    if problem is not None:
        scan.out.skip(rel, f"Helm chart: dependency {dep.called}: {problem}", kind=SkipKind.NOT_RENDERED)
        return f"not copied ({problem})"
    cited = scan.rel(source)
    prepared.subcharts[f"charts/{dep.called}/"] = "" if cited == "." else cited + "/"
    return f"from {dep.repository} ({cited})"


def _remote(dep: Dependency, values: dict[str, Any], rel: str, scan: ScanState) -> str:
    """A remote dependency: left out, silently when it is off (it renders nothing), else with a skip."""
    off = _disabled(dep, values)
    if off is not None:
        return f"left out: {off} (it renders nothing)"
    where = dep.repository or "no repository"
    scan.out.skip(
        rel,
        f"Helm chart: dependency {dep.called} (repository {where}) is not in charts/ and cannot be "
        "fetched offline: its objects are not in this scan; run `helm dependency build`",
        kind=SkipKind.NOT_RENDERED,
    )
    return f"not rendered: {where} cannot be fetched offline"


def _disabled(dep: Dependency, values: dict[str, Any]) -> str | None:
    """Why helm would leave ``dep`` out with these values, or None when it is enabled. As helm: the first
    condition path that holds a boolean decides; else its tags (off when every tag it has is false)."""
    for path in (p.strip() for p in (dep.condition or "").split(",") if p.strip()):
        value = _lookup(values, path)
        if isinstance(value, bool):
            return None if value else f"condition {path} is false"
    tags = values.get("tags")
    if dep.tags and isinstance(tags, dict):
        states = [tags.get(t) for t in dep.tags]
        if all(s is False for s in states):
            return f"tags {', '.join(dep.tags)} are false"
    return None


def _lookup(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _values(chart: Path, scan: ScanState) -> dict[str, Any]:
    """The values conditions are read from: values.yaml, each --values file, each plain --set."""
    merged: dict[str, Any] = {}
    for path in (chart / "values.yaml", *scan.options.helm_values):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
            continue
        if isinstance(doc, dict):
            merged = _merge(merged, doc)
    for assignment in scan.options.helm_set:
        for item in assignment.split(","):
            key, eq, text = item.partition("=")
            if eq and key:
                over: dict[str, Any] = {}
                node = over
                *head, last = key.split(".")
                for part in head:
                    node = node.setdefault(part, {})
                node[last] = {"true": True, "false": False}.get(text, text)
                merged = _merge(merged, over)
    return merged


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _copy_tree(source: Path, target: Path) -> str | None:
    """Copy a chart folder (no symlinks followed, no .git); a reason when it is too big to copy."""
    files = size = 0
    for folder, dirs, names in os.walk(source, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        into = target / Path(folder).relative_to(source)
        into.mkdir(parents=True, exist_ok=True)
        for name in names:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            files += 1
            size += path.stat().st_size
            if files > MAX_COPY_FILES or size > MAX_COPY_BYTES:
                return f"{source.name} holds more than {MAX_COPY_FILES} files or {MAX_COPY_BYTES >> 20} MB"
            shutil.copyfile(path, into / name)
    return None
