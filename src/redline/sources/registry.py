"""Readers of input formats, and the order a scan runs them in.

A reader turns one input format (Compose, Kubernetes, kustomize, Helm, redline.yaml, ...) into model facts,
each with its :class:`~redline.model.Source`. Every reader is a :class:`SourceReader` subclass registered
with :func:`register`; ``scan`` creates one instance of each per scan and calls its hooks, stage by stage,
readers in (:class:`Phase`, ``priority``, ``name``) order:

1. ``select``: take files whole by path, before any text is read (a Helm chart's folder), and hand new
   inputs to the readers after it with :meth:`ScanState.add_input` (the rendered templates).
2. ``claims`` / ``read``: every other file the walk found (:meth:`SourceReader.wants` decides which names
   the walk collects) is read as text and offered to the readers phase by phase; the first whose
   ``claims`` and ``read`` both say yes consumes it. Before a file reaches a reader of a later phase,
   the ``admit`` hook of every reader of the earlier phases may leave it out (kustomize: opt-in
   Components, files a kustomization does not list) or annotate it (:attr:`InputFile.namespace`).
3. ``build``: components and objects from everything read (Compose projects, Kubernetes duplicates).
4. names made unique (by ``scan``), then ``resolvers``: each platform's name resolution (its DNS).
5. ``link``: edges, with evidence, through :attr:`ScanState.builder` and :attr:`ScanState.resolver`.
6. ``finish``: after the edges are final (redline.yaml is applied here, last).

New readers live in the package :mod:`redline.sources.readers`: every module there is imported when the
default registry is first used, so a new format is one module (and its tests), nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from redline.model import Component, FileRead, K8sObject, System
from redline.sources.diagnostics import Collector
from redline.sources.discover import YAML_SUFFIXES, Discovery
from redline.sources.infer import EdgeBuilder, PlatformResolver, Resolver

if TYPE_CHECKING:
    from collections.abc import Callable


class Phase(IntEnum):
    """When a reader's hooks run relative to the others' (lower first, at every stage).

    * ``RENDER``: readers that take a folder whole and render it to documents (Helm charts). They run
      first so that rendered documents reach every later reader, as files on disk do.
    * ``LAYOUT``: files that say how to read the others: kustomizations (which files are opt-in, which
      namespace objects land in) and redline.yaml (claimed here, applied in ``finish``, after everything).
    * ``PLATFORM``: files that describe what runs: Compose, Kubernetes; later Terraform, OpenAPI, traces.
    * ``CONFIG``: what each service's own configuration states (needs the platform's components).
    """

    RENDER = 100
    LAYOUT = 200
    PLATFORM = 300
    CONFIG = 400


@dataclass(frozen=True)
class ScanOptions:
    """What the caller of ``scan`` asked for, as readers need it."""

    scanned: Path  # the folder scanned (a one-file scan: the file's folder)
    overlay: Path | None = None  # --overlay: a redline.yaml to apply instead of the one in ``scanned``
    max_file_bytes: int = 20 * 1024 * 1024
    render_helm: bool = True
    helm_values: tuple[Path, ...] = ()  # --values FILE, in order (later wins)
    helm_set: tuple[str, ...] = ()  # --set k=v, in order (later wins)


@dataclass(eq=False)
class InputFile:
    """One input: a file the walk found (read as text), or a document a reader rendered."""

    path: Path
    rel: str  # as cited in Sources: relative to the scan's root
    text: str
    namespace: str | None = None  # a LAYOUT reader's say: the objects of this file land in this namespace
    rendered: bool = False  # a renderer's output (Helm): its namespace-less objects land in a release's
    admitted: int = 0  # how many readers of earlier phases admitted it already (each asks once)
    parse: Callable[[str, str, Collector], list[Any]] | None = field(default=None, repr=False)
    _docs: list[Any] | None = field(default=None, repr=False)

    def documents(self, out: Collector) -> list[Any]:
        """The YAML documents of the text, parsed once (problems reported to ``out`` once)."""
        if self._docs is None:
            self._docs = self.parse(self.text, self.rel, out) if self.parse is not None else []
        return self._docs

    def release(self) -> None:
        """Drop the parsed documents (a scan never holds every file's YAML at once)."""
        self._docs = None

    @property
    def is_yaml(self) -> bool:
        return self.path.name.lower().endswith(YAML_SUFFIXES)


class ScanState:
    """One scan's shared state: what readers read into, and the services they share."""

    def __init__(self, found: Discovery, options: ScanOptions, out: Collector) -> None:
        self.found = found
        self.options = options
        self.out = out
        self.system = System(root=str(found.root))
        self.components: list[Component] = []
        self.objects: list[K8sObject] = []
        self.builder = EdgeBuilder()
        self.resolver = Resolver()
        self.added: list[InputFile] = []
        self.pending: list[InputFile] = []  # the inputs not yet consumed, while the phases offer them
        self.parse: Callable[[str, str, Collector], list[Any]] = lambda text, rel, out: []  # set by scan

    @property
    def root(self) -> Path:
        return self.found.root

    def rel(self, path: Path) -> str:
        return self.found.rel(path)

    def add_input(self, file: InputFile) -> None:
        """Hand a new input (a rendered document) to the readers of the phases after the caller's."""
        self.added.append(file)

    def file_read(self, rel: str, as_: str, objects: int) -> None:
        """Record that ``rel`` was read as ``as_`` (``compose``, ``kubernetes``, ...) with ``objects``."""
        self.system.files.append(FileRead(**{"file": rel, "as": as_, "objects": objects}))


class SourceReader:
    """One input format. Override the hooks the format needs; every default does nothing.

    Readers never raise on bad input: what they cannot use is ``scan.out.skip(...)`` (a whole file or a
    part from a line, with a :class:`~redline.model.SkipKind`) or ``scan.out.warn(...)`` with file:line.
    """

    #: Shown in reasons and docs; unique in a registry.
    name: ClassVar[str] = ""
    phase: ClassVar[Phase] = Phase.PLATFORM
    #: Order within a phase (lower first): Compose (10) claims a YAML file before Kubernetes (20).
    priority: ClassVar[int] = 50
    #: File name endings (lower case, with the dot) and exact file names the walk must collect.
    suffixes: ClassVar[tuple[str, ...]] = ()
    filenames: ClassVar[frozenset[str]] = frozenset()

    def wants(self, name: str) -> bool:
        """Whether the walk collects a file of this name for this reader."""
        return name in self.filenames or name.lower().endswith(self.suffixes)

    def select(self, scan: ScanState) -> set[Path]:
        """Files taken whole by path, before texts are read (never offered to any reader)."""
        return set()

    def claims(self, file: InputFile, scan: ScanState) -> bool:
        """Whether this reader should try ``file`` (by name: cheap); default: :meth:`wants` its name."""
        return self.wants(file.path.name)

    def read(self, file: InputFile, scan: ScanState) -> bool:
        """Read a claimed file; False when its content is not this format (the next reader tries)."""
        return False

    def admit(self, file: InputFile, scan: ScanState) -> bool:
        """Before ``file`` reaches a reader of a later phase: False leaves it out (record why)."""
        return True

    def build(self, scan: ScanState) -> None:
        """After every file was read: add components to ``scan.components``, objects to ``scan.objects``."""

    def resolvers(self, scan: ScanState) -> dict[str, PlatformResolver]:
        """Name resolution of the platforms this reader knows (``Component.platform`` -> resolver)."""
        return {}

    def link(self, scan: ScanState) -> None:
        """Add edges (``scan.builder``), resolving hosts with ``scan.resolver``; names are final."""

    def finish(self, scan: ScanState) -> None:
        """After edges are final, on ``scan.system`` (overlays)."""


def internal_error(exc: Exception) -> str:
    """The skip reason when a reader raised: a reader bug costs one file or project, never the scan."""
    return f"internal error while reading ({type(exc).__name__}: {exc}); please report it"


def order(readers: Iterable[SourceReader]) -> list[SourceReader]:
    """Readers in the order every stage calls them."""
    return sorted(readers, key=lambda r: (r.phase, r.priority, r.name))


@dataclass
class Registry:
    """Reader classes; one instance of each is created per scan."""

    classes: list[type[SourceReader]] = field(default_factory=list)

    def register(self, cls: type[SourceReader]) -> type[SourceReader]:
        """Add a reader class (usable as a class decorator); a second class of the same name replaces it."""
        if not cls.name:
            raise ValueError(f"{cls.__qualname__}: a reader needs a name")
        self.classes = [c for c in self.classes if c.name != cls.name] + [cls]
        return cls

    def unregister(self, name: str) -> None:
        self.classes = [c for c in self.classes if c.name != name]

    @contextmanager
    def registered(self, *classes: type[SourceReader]) -> Iterator[Registry]:
        """Register ``classes`` for the duration of a ``with`` block (tests)."""
        before = list(self.classes)
        for cls in classes:
            self.register(cls)
        try:
            yield self
        finally:
            self.classes = before

    def create(self) -> list[SourceReader]:
        """A fresh instance of every reader, in stage order."""
        return order(cls() for cls in self.classes)

    def names(self) -> Sequence[str]:
        return [r.name for r in self.create()]


#: The package whose modules are the built-in readers (each registers itself on import).
READERS_PACKAGE = "redline.sources.readers"
_REGISTRY = Registry()
_loaded = False


def default_registry() -> Registry:
    """The registry ``scan`` uses: every module of :mod:`redline.sources.readers`, imported once."""
    global _loaded
    if not _loaded:
        _loaded = True
        package = importlib.import_module(READERS_PACKAGE)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            importlib.import_module(f"{READERS_PACKAGE}.{info.name}")
    return _REGISTRY


def register(cls: type[SourceReader]) -> type[SourceReader]:
    """Register a reader class with the default registry (a class decorator)."""
    return _REGISTRY.register(cls)


__all__ = [
    "InputFile",
    "Phase",
    "Registry",
    "ScanOptions",
    "ScanState",
    "SourceReader",
    "default_registry",
    "internal_error",
    "order",
    "register",
]
