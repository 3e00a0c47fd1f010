"""A fix is data, not text: typed edits to the user's own documents, each fix with a stated safety.

ruff's model, applied to infrastructure files. A rule builds a :class:`Fix` from the facts it used:

- :class:`Edit` sets, adds to or removes a value at a :data:`Path` inside one document (:class:`DocRef`):
  a Kubernetes object picked by kind and name in its file, or the Compose file itself;
- :class:`NewObject` is a whole new document (a PodDisruptionBudget, a NetworkPolicy) that belongs with a
  workload, written beside it or appended to its file;
- :class:`Safety` says who may apply it: ``safe`` fixes ``redline fix`` applies, ``unsafe`` ones change
  behaviour and need ``--unsafe-fixes``, and ``advice`` carries no edit because the change lives elsewhere.

The snippet a finding displays (:attr:`Fix.snippet`) is rendered from these same values by a YAML dumper,
so what a reader sees is what ``redline fix`` would write, and it always parses.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, computed_field


class Safety(StrEnum):
    """Who may apply a fix, as ruff marks its fixes."""

    SAFE = "safe"  # applied by `redline fix`: does not change what the system does, only how it is run
    UNSAFE = "unsafe"  # changes behaviour (replicas, probes, policies): applied only with --unsafe-fixes
    ADVICE = (
        "advice"  # no edit: the change lives elsewhere (an operator, a managed service, a chart's values)
    )


class Op(StrEnum):
    """What an :class:`Edit` does at its path."""

    SET = "set"  # create or replace the value (intermediate mappings are created)
    ADD = "add"  # append the value to the list at the path, unless an equal item is there
    REMOVE = "remove"  # delete the key, or the list item the last path part matches


class Match(BaseModel):
    """A path part that picks the list item whose ``key`` equals ``value`` (a container by its name)."""

    model_config = ConfigDict(frozen=True)

    key: str
    value: str

    def __str__(self) -> str:
        return f"[{self.key}={self.value}]"


PathPart = str | int | Match
Path = tuple[PathPart, ...]


def path_text(path: Path) -> str:
    """``spec.template.spec.containers[name=api].readinessProbe``: how a path reads in messages."""
    out = ""
    for part in path:
        if isinstance(part, Match):
            out += str(part)
        elif isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


class DocRef(BaseModel):
    """One document in one file: a Kubernetes object by kind, name and namespace, or a Compose file.

    ``file`` is as the model's sources write it (relative to the scanned root). ``name`` is the name as
    written in the file (``Component.object_name``), not a qualified ``group/name``.
    """

    model_config = ConfigDict(frozen=True)

    file: str
    platform: Literal["kubernetes", "compose"]
    kind: str | None = None  # Kubernetes kind; None for a Compose file
    name: str | None = None
    namespace: str | None = None

    def __str__(self) -> str:
        return f"{self.file} ({self.kind}/{self.name})" if self.kind else self.file


class Edit(BaseModel):
    """Set, add or remove a value at a path inside one document."""

    model_config = ConfigDict(frozen=True)

    doc: DocRef
    op: Op
    path: Path
    value: Any = None

    def describe(self) -> str:
        where = path_text(self.path)
        if self.op is Op.REMOVE:
            return f"remove {where} in {self.doc}"
        verb = "set" if self.op is Op.SET else "add to"
        return f"{verb} {where} in {self.doc}"


class NewObject(BaseModel):
    """A new document that belongs with a workload: written to ``file_name`` beside it, or appended to it."""

    model_config = ConfigDict(frozen=True)

    beside: DocRef
    file_name: str  # e.g. "cart-pdb.yaml", in the folder of ``beside.file``
    document: dict[str, Any]

    def describe(self) -> str:
        kind, name = self.document.get("kind"), (self.document.get("metadata") or {}).get("name")
        return f"create {kind}/{name} beside {self.beside}"


class Fix(BaseModel):
    """What a finding proposes: typed edits with a safety, or advice with an example."""

    model_config = ConfigDict(frozen=True)

    safety: Safety
    title: str  # one line: what the fix does ("add a tcpSocket readiness probe on :9090")
    edits: list[Edit] = Field(default_factory=list)
    creates: list[NewObject] = Field(default_factory=list)
    advice: str | None = None  # advice: what to do instead of an edit, and why no edit is offered
    example: Any = None  # advice: an illustrative document (rendered into the snippet, never written)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def snippet(self) -> str:
        """The YAML a reader sees: rendered from the edits themselves, so it always parses."""
        return render_snippet(self)

    @property
    def applicable(self) -> bool:
        return self.safety is not Safety.ADVICE and bool(self.edits or self.creates)

    def as_advice(self, why: str) -> Fix:
        """The same change, demoted to advice because it cannot be written where it would have to go."""
        example = self.example
        if example is None and (self.edits or self.creates):
            example = _example_of(self)
        return Fix(safety=Safety.ADVICE, title=self.title, advice=why, example=example)


def safe(title: str, *edits: Edit, creates: tuple[NewObject, ...] = ()) -> Fix:
    return Fix(safety=Safety.SAFE, title=title, edits=list(edits), creates=list(creates))


def unsafe(title: str, *edits: Edit, creates: tuple[NewObject, ...] = ()) -> Fix:
    return Fix(safety=Safety.UNSAFE, title=title, edits=list(edits), creates=list(creates))


def advice(title: str, what: str, example: Any = None) -> Fix:
    return Fix(safety=Safety.ADVICE, title=title, advice=what, example=example)


# ---------------------------------------------------------------------------------------------- rendering


class _Dumper(yaml.SafeDumper):
    """Block style, key order kept, lists indented under their key as kubectl writes them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def dump(value: Any) -> str:
    """YAML for a plain value, as a fix writes it (block style, insertion order)."""
    return yaml.dump(
        value, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096
    )


def _nest(path: Path, value: Any) -> Any:
    """``{'a': {'b': value}}`` for a path ``a.b``; list parts render as a one-item list (the item edited)."""
    out = value
    for part in reversed(path):
        if isinstance(part, Match):
            out = [{part.key: part.value, **out}] if isinstance(out, dict) else [{part.key: part.value}]
        elif isinstance(part, int):
            out = [out]
        else:
            out = {part: out}
    return out


def _tail(edit: Edit) -> tuple[Path, Path]:
    """Split a path into where it points (shown in a comment) and the last key (shown as YAML)."""
    path = edit.path
    # show the container (or list item) a path reaches into, so the snippet names what it edits
    cut = len(path) - 1
    for i in range(len(path) - 1, -1, -1):
        if isinstance(path[i], Match):
            cut = i + 1
            break
    if cut > len(path) - 1:
        cut = len(path) - 1
    return path[:cut], path[cut:]


def _example_of(fix: Fix) -> Any:
    docs: list[Any] = []
    for e in fix.edits:
        docs.append(_nest(e.path, [e.value] if e.op is Op.ADD else e.value))
    docs.extend(n.document for n in fix.creates)
    return docs[0] if len(docs) == 1 else docs


def render_snippet(fix: Fix) -> str:
    """Each edit as a comment naming the document and path, then the YAML it writes; new objects whole."""
    parts: list[str] = []
    for e in fix.edits:
        head, tail = _tail(e)
        where = f" at {path_text(head)}" if head else ""
        if e.op is Op.REMOVE:
            parts.append(f"# {e.doc}: remove {path_text(e.path)}\n")
            continue
        verb = "add to" if e.op is Op.ADD else "set"
        value = _nest(tail, [e.value] if e.op is Op.ADD else e.value)
        parts.append(f"# {e.doc}{where}: {verb} {path_text(tail)}\n" + dump(value))
    for n in fix.creates:
        parts.append(f"# new file {n.file_name} (or append to {n.beside.file})\n" + dump(n.document))
    if fix.safety is Safety.ADVICE:
        text = f"# advice: {fix.advice or fix.title}".replace("\n", "\n# ")
        body = "" if fix.example is None else _example_dump(fix.example)
        parts.append(text + "\n" + body)
    return "---\n".join(parts).rstrip("\n")


def _example_dump(example: Any) -> str:
    if isinstance(example, list) and example and all(isinstance(d, dict) for d in example):
        return "---\n".join(dump(d) for d in example)
    return dump(example)


__all__ = [
    "DocRef",
    "Edit",
    "Fix",
    "Match",
    "NewObject",
    "Op",
    "Path",
    "PathPart",
    "Safety",
    "advice",
    "dump",
    "path_text",
    "render_snippet",
    "safe",
    "unsafe",
]
