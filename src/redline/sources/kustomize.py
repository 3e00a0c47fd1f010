"""kustomization.yaml: which kustomizations are the system, and what ``kustomize build`` makes of them.

A scan builds the top-most kustomizations (those no other kustomization includes, and that do not lie
below the folder of another one) as kustomize does: resources (files and folders with their own
kustomization, recursively), the Components a kustomization lists, configMapGenerator/secretGenerator,
then the transformers in kustomize's order (strategic merge patches, ``patches``, namespace, name
prefix/suffix, labels, annotations, JSON 6902 patches, replicas, images) and, last, the references
kustomize renames with the names (ConfigMaps, Secrets, Services in Ingress backends, HPA targets, ...;
never a host in an env value, as kustomize does not). Every value a patch or transformer sets cites the
kustomization or patch file:line that set it (:mod:`redline.sources.kpatch`). Files that belong only to a
kustomize *Component* nobody enables are opt-in features, skipped with that reason.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.model import Provenance, SkipKind, Source
from redline.sources import kpatch
from redline.sources.diagnostics import Collector, Reader
from redline.sources.engines import split_image
from redline.sources.yamlio import LineDict, LineList, YamlError, load_documents

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: kustomization fields the builder does not apply (each named in a warning when a kustomization uses it).
_UNSUPPORTED = ("replacements", "vars", "helmCharts", "transformers", "generators", "openapi", "crds")


@dataclass
class Kustomization:
    path: Path
    rel: str
    is_component: bool
    namespace: str | None
    resources: list[Path] = field(default_factory=list)  # files and directories, resolved
    components: list[Path] = field(default_factory=list)
    patch_files: list[Path] = field(default_factory=list)  # patch and generator files it names, resolved


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
    for item, _line in _resource_items(doc):
        if _is_remote(item):
            out.skip(rel, f"remote kustomize resource {item} not fetched", kind=SkipKind.NOT_RENDERED)
            continue
        k.resources.append((path.parent / item).resolve())
    for item in doc.get("components") or [] if isinstance(doc.get("components"), list) else []:
        if isinstance(item, str):
            k.components.append((path.parent / item).resolve())
    k.patch_files = [(path.parent / item).resolve() for item in _patch_paths(doc)]
    unsupported = [t for t in _UNSUPPORTED if doc.get(t)]
    if unsupported and not k.is_component:  # an opt-in Component's fields matter only where it is enabled
        out.warn(
            rel,
            getattr(doc, "key_lines", {}).get(unsupported[0]),
            f"kustomize {', '.join(unsupported)} not applied by redline's builder: "
            "scan the output of `kustomize build` to see the result",
        )
    return k


def _patch_paths(doc: dict[Any, Any]) -> list[str]:
    """The files a kustomization's patches and generators name (never Kubernetes objects of their own)."""
    paths: list[str] = []
    for key in ("patches", "patchesJson6902"):
        items = doc.get(key)
        for entry in items if isinstance(items, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                paths.append(entry["path"])
    items = doc.get("patchesStrategicMerge")
    paths += [i for i in items if isinstance(i, str) and "\n" not in i] if isinstance(items, list) else []
    for key in ("configMapGenerator", "secretGenerator"):
        items = doc.get(key)
        for entry in items if isinstance(items, list) else []:
            for field_name in ("envs", "files"):
                values = entry.get(field_name) if isinstance(entry, dict) else None
                for v in values if isinstance(values, list) else []:
                    if isinstance(v, str):
                        paths.append(v.partition("=")[2] or v)
    return paths


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


#: At most this many kustomization files are followed out of the scanned folder (a bound on the walk).
MAX_FOLLOWED = 2_000


@dataclass
class Outside:
    """A resource a kustomization lists that lies outside the repository root: it is not read."""

    kustomization: Path  # the kustomization file that lists it
    line: int | None  # the line of the list item
    item: str  # the resource as written (``../../base``)


@dataclass
class Followed:
    """Files outside the scanned folder that its kustomizations pull in, and resources beyond the root."""

    files: list[Path] = field(default_factory=list)
    outside: list[Outside] = field(default_factory=list)


def follow(
    kustomizations: list[Path], scanned: Path, repo_root: Path, load: Callable[[Path], Any]
) -> Followed:
    """Follow the resources of ``kustomizations`` (files in the scanned folder) that lie outside it.

    An overlay (``resources: [../../base]``) is deployed with its base: ``kubectl apply -k`` reads the
    base's kustomization and the files it lists, transitively. Those files are read as long as they lie
    inside ``repo_root``; what lies beyond is returned in ``outside`` so the caller can say so. ``load``
    returns a kustomization file's parsed document (``None`` when unreadable). Bounded by
    :data:`MAX_FOLLOWED` kustomization files.
    """
    result = Followed()
    queue = list(kustomizations)
    seen = set(queue)
    files: set[Path] = set()
    while queue and len(seen) <= MAX_FOLLOWED:
        kfile = queue.pop(0)
        for item, line in _resource_items(load(kfile), ("resources", "bases", "components")):
            if _is_remote(item):
                continue
            target = (kfile.parent / item).resolve()
            if _within(target, scanned):
                continue
            if not _within(target, repo_root):
                result.outside.append(Outside(kfile, line, item))
                continue
            nested = _kustomization_in(target) if target.is_dir() else None
            if nested is not None and nested not in seen:
                seen.add(nested)
                queue.append(nested)
                result.files.append(nested)
            elif target.is_file() and target not in files:
                files.add(target)
                result.files.append(target)
    return result


def _resource_items(doc: Any, keys: tuple[str, ...] = ("resources", "bases")) -> list[tuple[str, int | None]]:
    """The string items of ``resources:`` and ``bases:`` (or ``keys``), each with its line (when known)."""
    if not isinstance(doc, dict):
        return []
    found: list[tuple[str, int | None]] = []
    for key in keys:
        items = doc.get(key)
        if not isinstance(items, list):
            continue
        lines = getattr(items, "item_lines", [])
        for i, item in enumerate(items):
            if isinstance(item, str):
                found.append((item, lines[i] if i < len(lines) else None))
    return found


def _is_remote(item: str) -> bool:
    return "://" in item or item.startswith(("github.com/", "git@"))


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _kustomization_in(folder: Path) -> Path | None:
    return next((folder / n for n in KUSTOMIZATION_NAMES if (folder / n).is_file()), None)


# ------------------------------------------------------------------------------------ which to build


@dataclass
class Plan:
    """The kustomizations a scan builds, and the ones it leaves out (with the one that encloses them)."""

    leaves: list[Kustomization] = field(default_factory=list)
    nested: dict[Path, str] = field(default_factory=dict)  # kustomization file -> rel of the enclosing leaf


def plan(kustomizations: list[Kustomization]) -> Plan:
    """The top-most kustomizations: none includes them (as a resource or Component), and none lies below
    another's folder. One below another's folder that the upper one does not include is an alternative
    build (Online Boutique's kustomize/tests/*): ``kubectl apply -k`` of the upper folder leaves it out."""
    included: set[Path] = set()
    for k in kustomizations:
        for res in (*k.resources, *k.components):
            included.add(res)
            included.update(res / n for n in KUSTOMIZATION_NAMES)
    roots = [k for k in kustomizations if not k.is_component and k.path.resolve() not in included]
    by_dir = {k.path.resolve().parent: k for k in roots}
    result = Plan()
    for k in roots:
        above = next((by_dir[d] for d in k.path.resolve().parent.parents if d in by_dir), None)
        if above is None:
            result.leaves.append(k)
        else:
            result.nested[k.path] = above.rel
    return result


def listed_by(kustomizations: list[Kustomization]) -> dict[Path, Kustomization]:
    """Every file or folder a kustomization lists (resources or components) -> the first that lists it."""
    result: dict[Path, Kustomization] = {}
    for k in kustomizations:
        for res in (*k.resources, *k.components):
            result.setdefault(res, k)
    return result


# ------------------------------------------------------------------------------------------ building

#: Kustomizations nested in one build (a deeper chain is cut with a warning).
MAX_DEPTH = 50
#: Kustomization visits per build (shared bases visited through many paths count each time).
MAX_VISITS = MAX_FOLLOWED
#: Objects per build (a bound on what transformers walk).
MAX_OBJECTS = 100_000

_WORKLOADS = ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "ReplicationController", "Job")
_CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "CSIDriver",
        "Node",
    }
)
_NOT_RENAMED = frozenset({"CustomResourceDefinition", "APIService"})  # kustomize keeps their names

Path_ = tuple[str, ...]  # a field path; "[]" steps into every item of a list
_TEMPLATE_LABELS: dict[str, list[Path_]] = {
    **{k: [("spec", "template", "metadata", "labels")] for k in _WORKLOADS},
    "CronJob": [
        ("spec", "jobTemplate", "metadata", "labels"),
        ("spec", "jobTemplate", "spec", "template", "metadata", "labels"),
    ],
}
# (path, create): kustomize's commonLabels field specs for selectors (create: false only sets existing maps)
_SELECTOR_LABELS: dict[str, list[tuple[Path_, bool]]] = {
    "Service": [(("spec", "selector"), True)],
    "ReplicationController": [(("spec", "selector"), True)],
    **{k: [(("spec", "selector", "matchLabels"), True)] for k in ("Deployment", "ReplicaSet", "DaemonSet")},
    "StatefulSet": [
        (("spec", "selector", "matchLabels"), True),
        (("spec", "volumeClaimTemplates", "[]", "metadata", "labels"), True),
    ],
    "Job": [(("spec", "selector", "matchLabels"), False)],
    "CronJob": [(("spec", "jobTemplate", "spec", "selector", "matchLabels"), False)],
    "PodDisruptionBudget": [(("spec", "selector", "matchLabels"), False)],
    "NetworkPolicy": [
        (("spec", "podSelector", "matchLabels"), False),
        (("spec", "ingress", "[]", "from", "[]", "podSelector", "matchLabels"), False),
        (("spec", "egress", "[]", "to", "[]", "podSelector", "matchLabels"), False),
    ],
}
_TEMPLATE_ANNOTATIONS: dict[str, list[Path_]] = {
    k: [tuple("annotations" if p == "labels" else p for p in path) for path in paths]
    for k, paths in _TEMPLATE_LABELS.items()
}


@dataclass
class BuiltObject:
    """One object of a build: its document (transformed), the file that defined it and the names and
    namespaces it had (kustomize matches patches and references against any of them)."""

    doc: LineDict
    file: str
    kind: str
    path: Path | None = None  # the resource file it came from; None when a generator made it
    names: list[str] = field(default_factory=list)
    namespaces: list[str | None] = field(default_factory=list)
    before: dict[str, tuple[Any, Source]] = field(default_factory=dict)  # replicas/image before transforms

    @property
    def name(self) -> str | None:
        return self.names[-1] if self.names else None

    @property
    def namespace(self) -> str | None:
        return self.namespaces[-1] if self.namespaces else None


@dataclass
class Build:
    """A kustomization built: its objects and every file the build read."""

    kustomization: Path
    rel: str
    objects: list[BuiltObject] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)  # the kustomization fields that changed something


@dataclass
class Files:
    """How a build reads files: parsed YAML documents (None when unreadable: the loader reports why), raw
    text (env files, generator files) and the name a path is cited by."""

    docs: Callable[[Path], list[Any] | None]
    text: Callable[[Path], str | None]
    rel: Callable[[Path], str]


def build(kfile: Path, files: Files, out: Collector) -> Build:
    """``kustomize build`` of the folder of ``kfile``, for what redline reads. Never raises: a patch that
    targets nothing, a missing resource, a bad JSON 6902 path or a cycle is a warning with file:line."""
    builder = _Builder(files, out, Build(kfile, files.rel(kfile)))
    acc: list[BuiltObject] = []
    builder.kustomization(kfile, (), acc, component=False)
    _rename_references(acc)
    builder.result.objects = acc
    return builder.result


def provenance(obj: BuiltObject) -> dict[str, Provenance]:
    """Where a build set the replica count and the main image, and what the files said before."""
    result: dict[str, Provenance] = {}
    spec = obj.doc.get("spec")
    if isinstance(spec, LineDict) and "replicas" in spec.key_files:
        result["replicas"] = _provenance(spec, "replicas", obj.before.get("replicas"))
    container = _main_container(obj.doc)
    if container is not None and "image" in container.key_files:
        result["image"] = _provenance(container, "image", obj.before.get("image"))
    return result


def _provenance(node: LineDict, key: str, before: tuple[Any, Source] | None) -> Provenance:
    source = Source(file=node.key_files[key], line=node.key_lines.get(key))
    overrode = f"{before[1]} said {before[0]}" if before is not None else None
    return Provenance(source=source, origin="kustomize", overrode=overrode)


_POD_CONTAINERS = (
    ("spec", "template", "spec", "containers"),
    ("spec", "containers"),
    ("spec", "jobTemplate", "spec", "template", "spec", "containers"),
)


def _main_container(doc: LineDict) -> LineDict | None:
    """The first non-init container with an image (the kubernetes reader's main image)."""
    for path in _POD_CONTAINERS:
        node: Any = doc
        for step in path:
            node = node.get(step) if isinstance(node, dict) else None
        for c in node if isinstance(node, list) else []:
            if isinstance(c, LineDict) and isinstance(c.get("image"), str):
                return c
    return None


class _Builder:
    def __init__(self, files: Files, out: Collector, result: Build) -> None:
        self.f, self.out, self.result = files, out, result
        self.visits = 0
        self.seen_files: set[Path] = set()

    def note(self, path: Path) -> None:
        if path not in self.seen_files:
            self.seen_files.add(path)
            self.result.files.append(path)

    def applied(self, what: str) -> None:
        if what not in self.result.applied:
            self.result.applied.append(what)

    def kustomization(
        self, kfile: Path, chain: tuple[Path, ...], acc: list[BuiltObject], *, component: bool
    ) -> None:
        """Accumulate ``kfile``'s build into ``acc`` (a Component works on its parent's ``acc``)."""
        rel = self.f.rel(kfile)
        if kfile in chain:
            cycle = " -> ".join(self.f.rel(k) for k in (*chain[chain.index(kfile) :], kfile))
            self.out.warn(rel, None, f"kustomization cycle ({cycle}): not followed again")
            return
        if len(chain) >= MAX_DEPTH or self.visits >= MAX_VISITS:
            self.out.warn(
                rel,
                None,
                f"kustomization nested too deep or visited too often: not read "
                f"(at most {MAX_DEPTH} levels, {MAX_VISITS} visits per build)",
            )
            return
        self.visits += 1
        docs = self.f.docs(kfile)
        doc = docs[0] if docs else None
        if not isinstance(doc, LineDict):
            return  # unreadable or not a mapping: reported when the file was read
        self.note(kfile)
        is_component = doc.get("kind") == "Component"
        if is_component != component:
            want = "a Component (`kind: Component`)" if component else "a Kustomization"
            self.out.warn(rel, doc.line_of("kind"), f"expected {want} here, as kustomize does; not read")
            return
        r = Reader(rel, self.out)
        chain = (*chain, kfile)
        ids = {_id(o) for o in acc}  # kept up to date while resources are added (no transform runs between)
        for item, line in _resource_items(doc):
            self.resource(kfile, item, line, chain, (acc, ids), r)
        for item, line in _resource_items(doc, ("components",)):
            self.component(kfile, item, line, chain, acc, r)
        _Generators(self, kfile, doc, r, acc).run()
        _Transformers(self, kfile, doc, r, acc).run()

    def resource(
        self,
        kfile: Path,
        item: str,
        line: int | None,
        chain: tuple[Path, ...],
        into: tuple[list[BuiltObject], set[_Id]],
        r: Reader,
    ) -> None:
        if _is_remote(item):
            return  # recorded as not-rendered when the kustomization was read
        target = (kfile.parent / item).resolve()
        if target.is_dir():
            nested = _kustomization_in(target)
            if nested is None:
                self.out.warn(r.file, line, f"resource {item}: a folder without a kustomization; not read")
                return
            sub: list[BuiltObject] = []
            self.kustomization(nested, chain, sub, component=False)
            self.add(into, sub, r, line)
            return
        if not target.exists():
            self.out.warn(r.file, line, f"resource {item}: no such file or folder; not read")
            return
        docs = self.f.docs(target)
        if docs is None:
            return  # unreadable: the loader said why
        self.note(target)
        self.add(into, _objects(docs, self.f.rel(target), target), r, line)

    def component(
        self,
        kfile: Path,
        item: str,
        line: int | None,
        chain: tuple[Path, ...],
        acc: list[BuiltObject],
        r: Reader,
    ) -> None:
        target = (kfile.parent / item).resolve()
        nested = _kustomization_in(target) if target.is_dir() else None
        if nested is None:
            self.out.warn(
                r.file, line, f"component {item}: no folder with a kustomization there; not applied"
            )
            return
        self.kustomization(nested, chain, acc, component=True)

    def add(
        self, into: tuple[list[BuiltObject], set[_Id]], new: list[BuiltObject], r: Reader, line: int | None
    ) -> None:
        """Append ``new`` to the objects in ``into`` (with their ids); an object already there (same kind,
        namespace, name) is refused, as kustomize refuses it, and so is anything past :data:`MAX_OBJECTS`."""
        acc, ids = into
        for obj in new:
            if len(acc) >= MAX_OBJECTS:
                self.out.warn(
                    r.file, line, f"more than {MAX_OBJECTS:,} objects in one build; the rest not read"
                )
                return
            if _id(obj) in ids:
                self.out.warn(
                    r.file,
                    line,
                    f"{obj.kind} {obj.name} is added twice (from {obj.file}); kept the first, "
                    "as kustomize refuses the second",
                )
                continue
            ids.add(_id(obj))
            acc.append(obj)


_Id = tuple[str, str, str]


def _id(obj: BuiltObject) -> _Id:
    return (obj.kind, obj.namespace or "default", obj.name or "")


def _objects(docs: list[Any], rel: str, path: Path) -> list[BuiltObject]:
    """The Kubernetes objects of a resource file (List kinds unpacked), each with what it said before."""
    result: list[BuiltObject] = []
    stack = list(reversed(docs))
    while stack:
        doc = stack.pop()
        if not isinstance(doc, LineDict) or not isinstance(doc.get("kind"), str):
            continue
        if doc["kind"].endswith("List") and isinstance(doc.get("items"), list):
            stack.extend(reversed(doc["items"]))
            continue
        meta = doc.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        ns = meta.get("namespace") if isinstance(meta, dict) else None
        obj = BuiltObject(
            doc=doc,
            file=rel,
            kind=doc["kind"],
            path=path,
            names=[name] if isinstance(name, str) else [],
            namespaces=[ns if isinstance(ns, str) else None],
        )
        spec = doc.get("spec")
        if isinstance(spec, LineDict) and "replicas" in spec:
            obj.before["replicas"] = (spec["replicas"], Source(file=rel, line=spec.line_of("replicas")))
        container = _main_container(doc)
        if container is not None:
            obj.before["image"] = (container["image"], Source(file=rel, line=container.line_of("image")))
        result.append(obj)
    return result


def _lists_named(doc: Any, names: tuple[str, ...]) -> list[LineList]:
    """Every list held under one of ``names`` anywhere in ``doc``, in document order (iterative walk)."""
    found: list[LineList] = []
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in reversed(list(node.items())):
                if k in names and isinstance(v, LineList):
                    found.append(v)
                else:
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(reversed(node))
    found.sort(key=lambda x: x.line or 0)
    return found


def _set(node: LineDict, key: str, value: Any, rel: str, line: int | None) -> None:
    """Set ``node[key]`` as written at ``rel``:``line`` (the kustomization or patch that set it)."""
    node[key] = value
    node.key_files[key] = rel
    if line is not None:
        node.key_lines[key] = line


def _walk_path(node: Any, path: Path_, create: bool) -> list[LineDict]:
    """The mappings at ``path`` ("[]" for every list item); missing mappings are made when ``create``."""
    current: list[Any] = [node]
    for step in path:
        following: list[Any] = []
        for n in current:
            if step == "[]":
                following.extend(x for x in n if isinstance(x, LineDict)) if isinstance(n, list) else None
            elif isinstance(n, LineDict):
                if n.get(step) is None and create:
                    made = LineDict()
                    made.line = n.line
                    n[step] = made
                value = n.get(step)
                if isinstance(value, dict | list):
                    following.append(value)
        current = following
    return [n for n in current if isinstance(n, LineDict)]


class _Generators:
    """configMapGenerator and secretGenerator: literals, env files and files become ConfigMaps/Secrets.

    Generated names are kept without kustomize's content-hash suffix: references to them are the same
    name either way (kustomize renames them together), and the hash would name nothing in the files."""

    def __init__(self, b: _Builder, kfile: Path, doc: LineDict, r: Reader, acc: list[BuiltObject]) -> None:
        self.b, self.kfile, self.doc, self.r, self.acc = b, kfile, doc, r, acc

    def run(self) -> None:
        for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for g in self.r.list(self.doc, key):
                if not isinstance(g, LineDict) or not self.r.str(g, "name"):
                    self.r.warn(self.doc, key, f"{key}: an entry without a name; ignored")
                    continue
                self.b.applied(key)
                self.generate(g, kind)

    def generate(self, g: LineDict, kind: str) -> None:
        r, name = self.r, self.r.str(g, "name") or ""
        data = LineDict()
        data.line = g.line
        sources: set[str] = set()
        for item, line in _str_items(r.list(g, "literals")):
            key, eq, value = item.partition("=")
            if not eq or not key:
                r.out.warn(r.file, line, f"literal {item!r}: expected KEY=VALUE; ignored")
                continue
            _set(data, key.strip(), _unquote(value), r.file, line)
            sources.add(r.file)
        envs = _str_items(r.list(g, "envs")) + (
            [(r.str(g, "env") or "", r.line(g, "env"))] if g.get("env") else []
        )
        for item, line in envs:
            sources.update(self.env_file(item, line, data))
        for item, line in _str_items(r.list(g, "files")):
            key, eq, path = item.partition("=")
            path = path if eq else key
            text = self.read(path, line)
            if text is not None:
                _set(data, Path(key).name if not eq else key, text, r.file, line)
                sources.add(r.file)
        self.place(g, kind, name, data, sources)

    def env_file(self, item: str, line: int | None, data: LineDict) -> set[str]:
        text = self.read(item, line)
        if text is None:
            return set()
        rel = self.b.f.rel((self.kfile.parent / item).resolve())
        for n, raw in enumerate(text.splitlines()[:10_000], start=1):
            row = raw.strip()
            if not row or row.startswith("#"):
                continue
            key, eq, value = row.partition("=")
            if not eq:
                self.r.out.warn(rel, n, f"env file line {row[:40]!r}: expected KEY=VALUE; ignored")
                continue
            _set(data, key.strip(), _unquote(value), rel, n)
        return {rel}

    def read(self, item: str, line: int | None) -> str | None:
        path = (self.kfile.parent / item).resolve()
        if not path.is_file():
            self.r.out.warn(self.r.file, line, f"generator file {item}: no such file; ignored")
            return None
        self.b.note(path)
        text = self.b.f.text(path)
        if text is None:
            self.r.out.warn(self.r.file, line, f"generator file {item}: {_UNREAD}; ignored")
        return text

    def place(self, g: LineDict, kind: str, name: str, data: LineDict, sources: set[str]) -> None:
        r = self.r
        file = next(iter(sources)) if len(sources) == 1 else r.file
        if file != r.file:  # one env file: the ConfigMap is that file, cited line by line
            data.key_files.clear()
        else:
            for k in data:
                if data.key_files.get(k) != r.file:  # an env file's key among literals: cite its listing
                    data.key_files[k] = r.file
                    data.key_lines[k] = g.line or 0
        ns = r.str(g, "namespace")
        behavior = r.str(g, "behavior") or "create"
        existing = next((o for o in self.acc if o.kind == kind and name in o.names), None)
        if behavior in ("merge", "replace"):
            if existing is None:
                r.warn(
                    g,
                    "behavior",
                    f"{kind} {name}: behavior {behavior} but no {kind} {name} to {behavior}; ignored",
                )
                return
            old = existing.doc.get("data")
            if behavior == "merge" and isinstance(old, LineDict):
                for k, v in data.items():
                    _set(old, k, v, data.key_files.get(k, file), data.key_lines.get(k))
            else:
                _set(existing.doc, "data", data, r.file, g.line)
            return
        if existing is not None:
            r.warn(g, "name", f"{kind} {name} already exists in this build; kustomize refuses a second one")
            return
        self.acc.append(self._object(g, kind, name, ns, data, file))

    def _object(
        self, g: LineDict, kind: str, name: str, ns: str | None, data: LineDict, file: str
    ) -> BuiltObject:
        meta = LineDict(name=name, **({"namespace": ns} if ns else {}))
        meta.line = g.line
        if kind == "Secret":
            encoded = LineDict((k, base64.b64encode(str(v).encode()).decode()) for k, v in data.items())
            encoded.line, encoded.key_lines, encoded.key_files = data.line, data.key_lines, data.key_files
            data = encoded
        doc = LineDict(apiVersion="v1", kind=kind, metadata=meta, data=data)
        if kind == "Secret":
            doc["type"] = self.r.str(g, "type") or "Opaque"
        doc.line = data.line if file == self.r.file else 1
        return BuiltObject(doc=doc, file=file, kind=kind, names=[name], namespaces=[ns])


def _str_items(items: LineList) -> list[tuple[str, int | None]]:
    lines = items.item_lines
    return [
        (str(v), lines[i] if i < len(lines) else items.line)
        for i, v in enumerate(items)
        if isinstance(v, str)
    ]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


class _Transformers:
    """A kustomization's transformers over everything accumulated so far, in kustomize's order."""

    def __init__(self, b: _Builder, kfile: Path, doc: LineDict, r: Reader, acc: list[BuiltObject]) -> None:
        self.b, self.kfile, self.doc, self.r, self.acc = b, kfile, doc, r, acc

    def run(self) -> None:
        self.strategic_merge_patches()
        self.patches()
        self.namespace()
        self.names()
        self.labels()
        self.annotations()
        self.json6902_patches()
        self.replicas()
        self.images()

    # --- patches

    def strategic_merge_patches(self) -> None:
        items = self.r.list(self.doc, "patchesStrategicMerge")
        for i, item in enumerate(items):
            line = items.item_lines[i] if i < len(items.item_lines) else items.line
            if not isinstance(item, str):
                self.r.out.warn(
                    self.r.file, line, "patchesStrategicMerge: expected a path or a patch; ignored"
                )
                continue
            inline = "\n" in item or not (self.kfile.parent / item).is_file()
            loaded = self.load(None if inline else item, item if inline else None, line)
            if loaded is not None:
                self.b.applied("patchesStrategicMerge")
                self.apply_strategic(loaded[0], loaded[1], None, line)

    def patches(self) -> None:
        for entry in self.r.list(self.doc, "patches"):
            if not isinstance(entry, LineDict):
                self.r.warn(self.doc, "patches", "patches: expected entries with path or patch; ignored")
                continue
            loaded = self.load(self.r.str(entry, "path"), self.r.str(entry, "patch"), entry.line, entry)
            if loaded is None:
                continue
            docs, rel = loaded
            target = entry.get("target") if isinstance(entry.get("target"), LineDict) else None
            self.b.applied("patches")
            if docs and isinstance(docs[0], list):
                self.apply_json6902(docs[0], rel, target, entry.line)
            else:
                self.apply_strategic(docs, rel, target, entry.line)

    def json6902_patches(self) -> None:
        for entry in self.r.list(self.doc, "patchesJson6902"):
            if not isinstance(entry, LineDict) or not isinstance(entry.get("target"), LineDict):
                self.r.warn(
                    self.doc, "patchesJson6902", "patchesJson6902: an entry without a target; ignored"
                )
                continue
            loaded = self.load(self.r.str(entry, "path"), self.r.str(entry, "patch"), entry.line, entry)
            if loaded is None:
                continue
            docs, rel = loaded
            if not docs or not isinstance(docs[0], list):
                self.r.out.warn(
                    self.r.file, entry.line, "patchesJson6902: the patch is not a list of operations"
                )
                continue
            self.b.applied("patchesJson6902")
            self.apply_json6902(docs[0], rel, entry["target"], entry.line)

    def load(
        self, path: str | None, inline: str | None, line: int | None, entry: LineDict | None = None
    ) -> tuple[list[Any], str] | None:
        """A patch's documents and the file they are cited by: a file, or text inline in the kustomization
        (parsed with its lines in the kustomization: a block scalar's text starts on the next line)."""
        if path is not None:
            target = (self.kfile.parent / path).resolve()
            if not target.is_file():
                self.r.out.warn(self.r.file, line, f"patch {path}: no such file; not applied")
                return None
            docs = self.b.f.docs(target)
            if docs is None:
                self.r.out.warn(self.r.file, line, f"patch {path}: {_UNREAD}; not applied")
                return None
            self.b.note(target)
            return [d for d in docs if d is not None], self.b.f.rel(target)
        if inline is None:
            self.r.out.warn(self.r.file, line, "patch: neither `path` nor `patch` given; ignored")
            return None
        start = entry.line_of("patch") if entry is not None else line
        problems: list[tuple[int | None, str]] = []
        try:
            docs = list(load_documents("\n" * (start or 0) + inline, problems, []))
        except YamlError as exc:
            self.r.out.warn(self.r.file, exc.line, f"inline patch: {exc.message}; not applied")
            return None
        for pline, message in problems:
            self.r.out.warn(self.r.file, pline, f"inline patch: {message}")
        return [d for d in docs if d is not None], self.r.file

    def apply_strategic(self, docs: list[Any], rel: str, target: LineDict | None, line: int | None) -> None:
        for patch in docs:
            if not isinstance(patch, LineDict):
                self.r.out.warn(rel, line, "strategic merge patch: expected a mapping; not applied")
                continue
            matched = self.select(target, line) if target is not None else self.by_patch(patch)
            if not matched:
                what = _describe(target) if target is not None else _describe_patch(patch)
                self.r.out.warn(rel, patch.line or line, f"patch targets nothing: no {what} in the build")
                continue
            body = _without(patch, ("apiVersion", "kind", "metadata"))
            meta = patch.get("metadata")
            if isinstance(meta, LineDict):  # kustomize patches the target, whatever name the patch gives
                body["metadata"] = _without(meta, ("name", "namespace"))
            for obj in matched:
                merged = kpatch.merge(obj.doc, kpatch.copied(body), rel, kpatch.is_builtin(obj.doc))
                if merged is None:
                    self.acc.remove(obj)
                elif merged is not obj.doc:  # `$patch: replace` of the whole object keeps its identity
                    for key in ("apiVersion", "kind", "metadata"):
                        if key in obj.doc:
                            merged[key] = obj.doc[key]
                    obj.doc = merged

    def apply_json6902(self, ops: list[Any], rel: str, target: LineDict | None, line: int | None) -> None:
        if target is None:
            self.r.out.warn(self.r.file, line, "a JSON 6902 patch needs a `target`; not applied")
            return
        matched = self.select(target, line)
        if not matched:
            self.r.out.warn(self.r.file, line, f"patch targets nothing: no {_describe(target)} in the build")
        for obj in matched:
            result, error, at = kpatch.apply_json6902(obj.doc, ops, rel)
            if error is not None:
                self.r.out.warn(
                    rel, at or line, f"JSON 6902 patch on {obj.kind} {obj.name}: {error}; not applied"
                )
                continue
            obj.doc = result

    def by_patch(self, patch: LineDict) -> list[BuiltObject]:
        meta = _mapping(patch.get("metadata"))
        kind, name, ns = patch.get("kind"), meta.get("name"), meta.get("namespace")
        return [
            o for o in self.acc if o.kind == kind and name in o.names and (ns is None or ns in o.namespaces)
        ]

    def select(self, target: LineDict, line: int | None) -> list[BuiltObject]:
        """The objects a patch ``target`` selects: kind, name, namespace (anchored patterns, as kustomize
        reads them), group/version, labelSelector and annotationSelector."""
        fields = {
            k: str(v) for k, v in target.items() if isinstance(v, str | int) and not isinstance(v, bool)
        }
        labels = _selector(fields.get("labelSelector"), self.r, target, "labelSelector")
        annotations = _selector(fields.get("annotationSelector"), self.r, target, "annotationSelector")
        if labels is None or annotations is None:
            return []
        return [o for o in self.acc if _selects(o, fields, labels, annotations)]

    # --- the rest, in kustomize's order

    def namespace(self) -> None:
        ns = self.r.str(self.doc, "namespace")
        if not ns:
            return
        self.b.applied("namespace")
        for obj in self.acc:
            if obj.kind in _CLUSTER_SCOPED:
                continue
            meta = _meta(obj.doc)
            _set(meta, "namespace", ns, self.r.file, self.doc.line_of("namespace"))
            obj.namespaces.append(ns)

    def names(self) -> None:
        prefix, suffix = self.r.str(self.doc, "namePrefix") or "", self.r.str(self.doc, "nameSuffix") or ""
        if not prefix and not suffix:
            return
        self.b.applied("namePrefix" if prefix else "nameSuffix")
        line = self.doc.line_of("namePrefix" if prefix else "nameSuffix")
        for obj in self.acc:
            if obj.kind in _NOT_RENAMED or obj.name is None:
                continue
            new = f"{prefix}{obj.name}{suffix}"
            _set(_meta(obj.doc), "name", new, self.r.file, line)
            obj.names.append(new)

    def labels(self) -> None:
        common = self.r.strmap(self.doc, "commonLabels")
        if common:
            self.b.applied("commonLabels")
            self.add_labels(common, self.doc.line_of("commonLabels"), selectors=True, templates=True)
        for entry in self.r.list(self.doc, "labels"):
            pairs = self.r.strmap(entry, "pairs") if isinstance(entry, LineDict) else {}
            if not pairs:
                continue
            self.b.applied("labels")
            selectors = self.r.bool(entry, "includeSelectors") or False
            templates = self.r.bool(entry, "includeTemplates") or False
            self.add_labels(
                pairs, entry.line_of("pairs"), selectors=selectors, templates=templates or selectors
            )

    def add_labels(
        self, pairs: dict[str, str], line: int | None, *, selectors: bool, templates: bool
    ) -> None:
        for obj in self.acc:
            targets = [_meta_map(obj.doc, "labels")]
            if templates:
                targets += [
                    m for p in _TEMPLATE_LABELS.get(obj.kind, []) for m in _walk_path(obj.doc, p, True)
                ]
            if selectors:
                targets += [
                    m
                    for p, create in _SELECTOR_LABELS.get(obj.kind, [])
                    for m in _walk_path(obj.doc, p, create)
                ]
            for m in targets:
                for k, v in pairs.items():
                    _set(m, k, v, self.r.file, line)

    def annotations(self) -> None:
        pairs = self.r.strmap(self.doc, "commonAnnotations")
        if not pairs:
            return
        self.b.applied("commonAnnotations")
        line = self.doc.line_of("commonAnnotations")
        for obj in self.acc:
            targets = [_meta_map(obj.doc, "annotations")]
            targets += [
                m for p in _TEMPLATE_ANNOTATIONS.get(obj.kind, []) for m in _walk_path(obj.doc, p, True)
            ]
            for m in targets:
                for k, v in pairs.items():
                    _set(m, k, v, self.r.file, line)

    def replicas(self) -> None:
        for entry in self.r.list(self.doc, "replicas"):
            name = self.r.str(entry, "name") if isinstance(entry, LineDict) else None
            count = self.r.int(entry, "count") if isinstance(entry, LineDict) else None
            if not name or count is None:
                self.r.warn(
                    self.doc, "replicas", "replicas: an entry without a name and a whole count; ignored"
                )
                continue
            matched = [o for o in self.acc if o.kind in _SCALED and name in o.names]
            if not matched:
                self.r.warn(
                    entry,
                    "name",
                    f"replicas: no Deployment, StatefulSet, ReplicaSet or "
                    f"ReplicationController named {name} in the build; not applied",
                )
            for obj in matched:
                self.b.applied("replicas")
                spec = _walk_path(obj.doc, ("spec",), True)[0]
                _set(spec, "replicas", count, self.r.file, entry.line_of("count"))

    def images(self) -> None:
        for entry in self.r.list(self.doc, "images"):
            name = self.r.str(entry, "name") if isinstance(entry, LineDict) else None
            if not name:
                self.r.warn(self.doc, "images", "images: an entry without a name; ignored")
                continue
            hits = 0
            for obj in self.acc:
                for containers in _lists_named(obj.doc, ("containers", "initContainers")):
                    for c in containers:
                        hits += self.retag(c, name, entry)
            if hits:
                self.b.applied("images")
            else:
                self.r.warn(entry, "name", f"images: no container runs {name}; not applied")

    def retag(self, container: Any, name: str, entry: LineDict) -> int:
        image = container.get("image") if isinstance(container, LineDict) else None
        if not isinstance(image, str):
            return 0
        repo, tag, digest = split_image(image)
        if repo != name:
            return 0
        new_name = self.r.str(entry, "newName") or repo
        suffix = (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
        if self.r.str(entry, "newTag"):
            suffix = f":{self.r.str(entry, 'newTag')}"
        if self.r.str(entry, "tagSuffix") and tag:
            suffix = f":{tag}{self.r.str(entry, 'tagSuffix')}"
        if self.r.str(entry, "digest"):
            suffix = f"@{self.r.str(entry, 'digest')}"
        key = next((k for k in ("digest", "newTag", "tagSuffix", "newName") if entry.get(k)), "name")
        _set(container, "image", new_name + suffix, self.r.file, entry.line_of(key))
        return 1


_UNREAD = "not read (outside the repository root, or unreadable: see what was not read)"
_SCALED = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})


def _meta(doc: LineDict) -> LineDict:
    return _walk_path(doc, ("metadata",), True)[0]


def _meta_map(doc: LineDict, key: str) -> LineDict:
    return _walk_path(doc, ("metadata", key), True)[0]


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _without(node: LineDict, keys: tuple[str, ...]) -> LineDict:
    copy = LineDict((k, v) for k, v in node.items() if k not in keys)
    copy.line, copy.key_lines = node.line, node.key_lines
    return copy


def _describe(target: LineDict) -> str:
    parts = [f"{k}={target[k]}" for k in ("kind", "name", "namespace", "labelSelector") if target.get(k)]
    return "object with " + ", ".join(parts) if parts else "object"


def _describe_patch(patch: LineDict) -> str:
    meta = _mapping(patch.get("metadata"))
    return f"{patch.get('kind')} {meta.get('name')}"


def _selects(obj: BuiltObject, fields: dict[str, str], labels: list[_Req], annotations: list[_Req]) -> bool:
    api = obj.doc.get("apiVersion")
    group, _, version = (api if isinstance(api, str) else "").rpartition("/")
    checks = (
        ("kind", [obj.kind]),
        ("name", obj.names),
        ("namespace", [n or "default" for n in obj.namespaces]),
        ("group", [group]),
        ("version", [version]),
    )
    for key, values in checks:
        pattern = fields.get(key)
        if pattern is not None and not any(_matches(pattern, v) for v in values):
            return False
    meta = _mapping(obj.doc.get("metadata"))
    return _meets(labels, meta.get("labels")) and _meets(annotations, meta.get("annotations"))


# A selector requirement: (key, operator, values); operator is "=", "!=", "exists", "!exists", "in", "notin".
_Req = tuple[str, str, tuple[str, ...]]


def _selector(text: str | None, r: Reader, node: LineDict, key: str) -> list[_Req] | None:
    """A label selector string (``app=web,tier!=db,env in (a,b),!legacy``); None when it cannot be read."""
    if not text:
        return []
    reqs: list[_Req] = []
    for part in _split_selector(text[:4_000]):
        part = part.strip()
        words = part.split()
        if (
            len(words) == 3
            and words[1] in ("in", "notin")
            and words[2].startswith("(")
            and words[2].endswith(")")
        ):
            reqs.append((words[0], words[1], tuple(v.strip() for v in words[2][1:-1].split(","))))
        elif "!=" in part:
            k, v = part.split("!=", 1)
            reqs.append((k.strip(), "!=", (v.strip(),)))
        elif "=" in part:
            k, v = part.replace("==", "=").split("=", 1)
            reqs.append((k.strip(), "=", (v.strip(),)))
        elif part.startswith("!") and part[1:].strip():
            reqs.append((part[1:].strip(), "!exists", ()))
        elif part and " " not in part:
            reqs.append((part, "exists", ()))
        else:
            r.warn(node, key, f"{key}: cannot read {part!r}; the patch is not applied")
            return None
    return reqs


def _split_selector(text: str) -> list[str]:
    """Split at commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth <= 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.replace(" in(", " in (") for p in parts if p.strip()]


def _meets(reqs: list[_Req], labels: Any) -> bool:
    have = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
    for key, op, values in reqs:
        value = have.get(key)
        ok = {
            "=": value == values[0] if values else False,
            "!=": value != values[0] if values else True,
            "exists": value is not None,
            "!exists": value is None,
            "in": value in values,
            "notin": value not in values,
        }[op]
        if not ok:
            return False
    return True


_PATTERN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:|()*^$")


def _matches(pattern: str, value: str) -> bool:
    """Whether ``value`` matches a kustomize target pattern, anchored as kustomize anchors it.

    kustomize reads these fields as regular expressions; the forms used in practice (a literal,
    ``.*``/``.`` wildcards, alternation ``a|b``, optionally in parentheses) are matched here by a glob
    matcher that takes time linear in the pattern times the value, never by backtracking. Any other
    regular expression syntax is compared literally."""
    if len(pattern) > 253 or len(value) > 253 or not set(pattern) <= _PATTERN_CHARS:
        return pattern == value
    body = pattern.removeprefix("^").removesuffix("$")
    if body.startswith("(") and body.endswith(")") and "(" not in body[1:-1]:
        body = body[1:-1]
    if "(" in body or ")" in body:
        return pattern == value
    for alternative in body.split("|"):
        if "*" in alternative.replace(".*", ""):
            continue  # another quantifier: not a form read here
        if _glob(alternative.replace(".*", "\0"), value):
            return True
    return False


def _glob(pattern: str, value: str) -> bool:
    """Glob match: ``\\0`` is any run, ``.`` any one character (the classic two-pointer algorithm)."""
    p = v = 0
    star, mark = -1, 0
    while v < len(value):
        if p < len(pattern) and pattern[p] != "\0" and (pattern[p] == "." or pattern[p] == value[v]):
            p, v = p + 1, v + 1
        elif p < len(pattern) and pattern[p] == "\0":
            star, mark, p = p, v, p + 1
        elif star >= 0:
            p, mark = star + 1, mark + 1
            v = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "\0":
        p += 1
    return p == len(pattern)


# ------------------------------------------------------------------------------------- name references

# (key holding the reference, the name field inside it or "" for the value itself, kind referred to)
_REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("configMapKeyRef", "name", "ConfigMap"),
    ("configMapRef", "name", "ConfigMap"),
    ("configMap", "name", "ConfigMap"),
    ("secretKeyRef", "name", "Secret"),
    ("secretRef", "name", "Secret"),
    ("secret", "secretName", "Secret"),
    ("secret", "name", "Secret"),
    ("persistentVolumeClaim", "claimName", "PersistentVolumeClaim"),
    ("serviceAccountName", "", "ServiceAccount"),
    ("serviceName", "", "Service"),
    ("service", "name", "Service"),
)


def _rename_references(acc: list[BuiltObject]) -> None:
    """Rename references to renamed objects, as kustomize's name-reference transformer does: ConfigMaps,
    Secrets, PVCs and ServiceAccounts in pod specs, Services in Ingress backends and StatefulSet
    ``serviceName``, HPA scale targets. Host names in env values and commands are never renamed."""
    renamed: dict[tuple[str, str], str] = {}
    for obj in acc:
        for old in obj.names[:-1]:
            renamed.setdefault((obj.kind, old), obj.names[-1])
    if not renamed:
        return
    for obj in acc:
        stack: list[Any] = [obj.doc]
        while stack:
            node = stack.pop()
            if isinstance(node, LineDict):
                _rename_in(node, renamed, obj.kind)
                stack.extend(v for v in node.values() if isinstance(v, dict | list))
            elif isinstance(node, list):
                stack.extend(v for v in node if isinstance(v, dict | list))


def _rename_in(node: LineDict, renamed: dict[tuple[str, str], str], owner_kind: str) -> None:
    for key, field_name, kind in _REFERENCES:
        value = node.get(key)
        if field_name == "" and isinstance(value, str):
            if key == "serviceName" and owner_kind not in ("StatefulSet", "Ingress"):
                continue
            node[key] = renamed.get((kind, value), value)
        elif isinstance(value, LineDict) and isinstance(value.get(field_name), str):
            value[field_name] = renamed.get((kind, value[field_name]), value[field_name])
    ref = node.get("scaleTargetRef")
    if (
        owner_kind == "HorizontalPodAutoscaler"
        and isinstance(ref, LineDict)
        and isinstance(ref.get("kind"), str)
        and isinstance(ref.get("name"), str)
    ):
        ref["name"] = renamed.get((ref["kind"], ref["name"]), ref["name"])


# ------------------------------------------------------------------------------------------- for scan

NOT_BUILT = "an alternative build: scan its folder to read it"


def left_out(
    kustomizations: list[Kustomization], the_plan: Plan, consumed: set[Path], files: list[Path]
) -> dict[Path, str]:
    """Why each of ``files`` that no build read is left out, for the files a kustomization governs: listed
    only by a Component nobody enables (opt-in), listed only by a kustomization no build includes, or
    beside a kustomization that does not list it (``kubectl apply -k`` leaves it out)."""
    optional = component_files(kustomizations)
    lister = listed_by(kustomizations)
    unlisted = unlisted_files(kustomizations, files)
    nested = {k.path.resolve().parent: rel for k in kustomizations if (rel := the_plan.nested.get(k.path))}
    patches = {p: k for k in kustomizations for p in k.patch_files}
    result: dict[Path, str] = {}
    for f in files:
        path = f  # discovered paths are resolved already
        if path in consumed:
            continue
        owner = optional.get(path) or next((rel for d, rel in optional.items() if d in path.parents), None)
        if path in patches:
            k = patches[path]
            why = "an opt-in Component no build enables" if k.is_component else "which no build includes"
            result[f] = f"a patch or generator file of {k.rel}, {why}"
        elif owner is not None:
            result[f] = f"part of the kustomize Component {owner}, an opt-in feature not in the base system"
        elif path in lister and lister[path].path in the_plan.nested:
            k = lister[path]
            result[f] = f"listed by {k.rel}, which {the_plan.nested[k.path]} does not include ({NOT_BUILT})"
        elif f in unlisted:
            result[f] = f"not listed in {unlisted[f]}: `kubectl apply -k` leaves it out"
        elif any(d in path.parents for d in nested):
            above = next(rel for d, rel in nested.items() if d in path.parents)
            result[f] = f"below a kustomization that {above} does not include ({NOT_BUILT})"
    return result


def scan_files(
    texts: dict[Path, str],
    root: Path,
    read: Callable[[Path, str, Collector], str | None],
    parse: Callable[[str, str, Collector], list[Any]],
    out: Collector,
    reported: set[Path],
) -> Files:
    """How a scan's builds read files: the texts the scan already holds, else the file on disk when it lies
    inside ``root``. A file that cannot be read is not reported here (the scan reports the files it walks;
    the builder warns about a patch or generator file it could not read); YAML problems of a file are
    reported once, however many builds read it (the paths in ``reported`` were reported already)."""

    def rel(path: Path) -> str:
        return path.relative_to(root).as_posix() if _within(path, root) else str(path)

    def text(path: Path) -> str | None:  # paths come resolved (as discovered, or resolved by the builder)
        if path in texts:
            return texts[path]
        if not _within(path, root):
            return None  # a resource there was reported by follow(); a patch or env file by the builder
        texts[path] = read(path, rel(path), Collector()) or ""
        return texts[path]

    def docs(path: Path) -> list[Any] | None:
        source = text(path)
        if source is None:
            return None
        sink = out if path not in reported else Collector()
        reported.add(path)
        return parse(source, rel(path), sink)

    return Files(docs=docs, text=text, rel=rel)
