"""Apply typed edits to YAML text, round-trip: comments, key order, quoting and indentation are kept.

Only the documents an edit touches are re-emitted (by ruamel.yaml, with the indentation detected from the
file); every other document of a multi-document file stays byte-for-byte as it was. Applying the same
edits twice changes nothing the second time: ``set`` of an equal value, ``add`` of an item already
present and ``remove`` of something absent are no-ops.

This module changes text only. Which fixes to apply, validation, and writing files belong to
:mod:`redline.fix.engine`.
"""

from __future__ import annotations

import copy
import io
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from redline.fix.edits import DocRef, Edit, Match, NewObject, Op, dump, path_text


class EditError(Exception):
    """An edit that cannot be made where it points: no such document, container or list item."""


_DOC_START = re.compile(r"^---(?:[ \t].*)?$|^\.\.\.[ \t]*$", re.MULTILINE)


@dataclass
class _Doc:
    """One document of a file: its original text, and its parsed tree once something edits it."""

    head: str  # the separator line that opened it ("" for the first document)
    text: str
    tree: Any = None
    changed: bool = False


@dataclass
class YamlFile:
    """A YAML file split into documents, edited in place, rendered back with untouched documents verbatim."""

    text: str
    docs: list[_Doc] = field(default_factory=list)
    appended: list[str] = field(default_factory=list)
    # Parsed documents shared by every YamlFile of this same text (document index -> pristine tree):
    # each file edits its own deep copy, which is several times faster than parsing the text again.
    shared: dict[int, Any] | None = None

    @classmethod
    def parse(cls, text: str, shared: dict[int, Any] | None = None) -> YamlFile:
        """``text`` split into documents; ``shared``: a cache of parsed documents to reuse (see above)."""
        out = cls(text=text, shared=shared)
        pos, head = 0, ""
        for m in _DOC_START.finditer(text):
            out.docs.append(_Doc(head=head, text=text[pos : m.start()]))
            end = m.end() + 1 if m.end() < len(text) and text[m.end()] == "\n" else m.end()
            head, pos = text[m.start() : end], end
        out.docs.append(_Doc(head=head, text=text[pos:]))
        return out

    # ------------------------------------------------------------------ reading

    def _yaml(self, doc_text: str) -> YAML:
        y = YAML()
        y.preserve_quotes = True
        y.width = 4096
        y.brace_single_entry_mapping_in_flow_sequence = True
        mapping, sequence, offset = detect_indent(doc_text)
        y.indent(mapping=mapping, sequence=sequence, offset=offset)
        return y

    def tree(self, i: int) -> Any:
        d = self.docs[i]
        if d.tree is None and self.shared is not None and i in self.shared:
            d.tree = copy.deepcopy(self.shared[i])
        if d.tree is None:
            try:
                d.tree = self._yaml(d.text).load(d.text)
            except YAMLError as exc:
                raise EditError(f"document {i + 1} does not parse: {str(exc).splitlines()[0]}") from exc
            if self.shared is not None:
                self.shared[i] = copy.deepcopy(d.tree)
        return d.tree

    def find(self, ref: DocRef) -> int:
        """Index of the document ``ref`` names: the Kubernetes object by kind, name (and namespace)."""
        return self.locate(ref)[0]

    def locate(self, ref: DocRef) -> tuple[int, Any]:
        """The document ``ref`` names and the object in it: the document itself, or the item of a
        ``kind: List`` document (``kubectl`` writes several objects as one List) that is the object."""
        hits: list[tuple[int, Any]] = []
        for i, d in enumerate(self.docs):
            if not d.text.strip() or not _may_be(d.text, ref):
                continue
            tree = self.tree(i)
            if ref.kind is None:
                if isinstance(tree, dict):
                    hits.append((i, tree))
                continue
            for obj in _objects(tree):
                if _is(obj, ref):
                    hits.append((i, obj))
        if len(hits) != 1:
            what = f"{ref.kind}/{ref.name}" if ref.kind else "a mapping"
            raise EditError(
                f"{ref.file} holds {len(hits)} documents that are {what}: cannot tell where to edit"
            )
        return hits[0]

    # ------------------------------------------------------------------ editing

    def apply(self, edit: Edit) -> bool:
        """Make one edit; True when the document changed."""
        i, obj = self.locate(edit.doc)
        changed = _apply(obj, edit)
        self.docs[i].changed |= changed
        return changed

    def append(self, document: dict[str, Any]) -> bool:
        """Append a new document, unless one of the same kind and name is already in the file."""
        kind, name = document.get("kind"), (document.get("metadata") or {}).get("name")
        for i, d in enumerate(self.docs):
            if not (d.text.strip() and f"{name}" in d.text):
                continue
            tree = self.tree(i)
            same = isinstance(tree, dict) and tree.get("kind") == kind
            if same and str((tree.get("metadata") or {}).get("name")) == str(name):
                return False
        self.appended.append(dump(document))
        return True

    def render(self) -> str:
        out = []
        for d in self.docs:
            body = d.text
            if d.changed:
                stream = io.StringIO()
                self._yaml(d.text).dump(d.tree, stream)
                body = _keep_leading(d.text, stream.getvalue())
            out.append(d.head + body)
        text = "".join(out)
        for extra in self.appended:
            if not text.strip():  # a new (or empty) file: the document alone, no separator before it
                text = extra
                continue
            if not text.endswith("\n"):
                text += "\n"
            text += "---\n" + extra
        return text

    @property
    def changed(self) -> bool:
        return any(d.changed for d in self.docs) or bool(self.appended)


def _objects(tree: Any) -> list[Any]:
    """The objects a document holds: itself, or the items of a ``kind: List``."""
    if isinstance(tree, dict) and tree.get("kind") == "List" and isinstance(tree.get("items"), list):
        return [item for item in tree["items"] if isinstance(item, dict)]
    return [tree]


def _is(obj: Any, ref: DocRef) -> bool:
    """Whether ``obj`` is the Kubernetes object ``ref`` names (a namespace stated on both must agree)."""
    if not isinstance(obj, dict) or obj.get("kind") != ref.kind:
        return False
    meta = obj.get("metadata") or {}
    if not isinstance(meta, dict) or str(meta.get("name")) != ref.name:
        return False
    ns = meta.get("namespace")
    return not (ref.namespace and ns is not None and str(ns) != ref.namespace)


def _may_be(text: str, ref: DocRef) -> bool:
    """Cheap text test before parsing a document: it names the kind and the name somewhere."""
    return ref.kind is None or (ref.kind in text and (ref.name or "") in text)


def _keep_leading(original: str, dumped: str) -> str:
    """ruamel drops blank lines before the first key; keep the document's own leading lines."""
    lead = original[: len(original) - len(original.lstrip("\n"))]
    return lead + dumped


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as ruamel.yaml wants them, read off the document's own nesting."""
    mapping: int | None = None
    offset: int | None = None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for prev, cur in itertools.pairwise(lines):
        pi = len(prev) - len(prev.lstrip(" "))
        ci = len(cur) - len(cur.lstrip(" "))
        if not prev.rstrip().endswith(":") or prev.lstrip().startswith("- "):
            continue
        if cur.lstrip().startswith("- "):
            offset = ci - pi if offset is None else offset
        elif mapping is None and ci - pi in (2, 3, 4):
            mapping = ci - pi
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    off = 0 if offset is None else max(0, offset)
    return mapping, off + 2, off


# ------------------------------------------------------------------------------ path walking


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _to_rt(value: Any) -> Any:
    """Plain values as ruamel's round-trip types, so they dump in block style like their neighbours."""
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = _to_rt(v)
        return m
    if isinstance(value, list):
        return CommentedSeq([_to_rt(v) for v in value])
    if isinstance(value, str) and _only_a_string_in_yaml_12(value):
        return SingleQuotedScalarString(value)  # "22:22", "yes", "on": strings to every reader
    return value


# YAML 1.1 readers (PyYAML, the scan's own) resolve plain 22:22 to an integer and yes/on to true; ruamel
# writes YAML 1.2, where they are strings, so it would write them plain. Such a string is quoted here;
# ruamel quotes by itself what YAML 1.2 would not read as a string ("10", "true").
_YAML_11 = yaml.resolver.Resolver()
_YAML_12 = VersionedResolver(version=(1, 2))
_STR = "tag:yaml.org,2002:str"


def _only_a_string_in_yaml_12(value: str) -> bool:
    implicit = (True, False)
    in_11 = _YAML_11.resolve(yaml.ScalarNode, value, implicit)
    return in_11 != _STR and _YAML_12.resolve(ScalarNode, value, implicit) == _STR


_Move = tuple[Any, Any, Any]  # (mapping or list, the old last key or index, the new one)


def _put(node: Any, key: Any, value: Any, moves: list[_Move]) -> None:
    """``node[key] = value``, noting in ``moves`` when a new key goes after the old last one."""
    if key not in node and len(node) and isinstance(node, CommentedMap):
        moves.append((node, next(reversed(node)), key))
    node[key] = value


def _push(seq: Any, value: Any, moves: list[_Move]) -> None:
    """``seq.append(value)``, noting in ``moves`` that the new item goes after the old last one."""
    if len(seq) and isinstance(seq, CommentedSeq):
        moves.append((seq, len(seq) - 1, len(seq)))
    seq.append(value)


def _pass_on(container: Any, old: Any, new: Any) -> None:
    """The full comment lines (and blank lines) after the old last entry of ``container`` belong to what
    came after it, as the file was read: they go after the new last entry instead, so the new lines do
    not land below them. Either entry's comment sits under its last value (:func:`_leaf`)."""
    owner, key, slot = _leaf(container, old)
    entry = owner.ca.items.get(key)
    token = entry[slot] if entry and len(entry) > slot else None
    if token is None:
        return
    head, sep, tail = token.value.partition("\n")
    if not tail:
        return
    moved = copy.copy(token)
    moved.value = "\n" + tail
    if head.strip():
        token.value = head + sep
    else:
        entry[slot] = None
    owner, key, slot = _leaf(container, new)
    fresh: list[Any] = [None, None, None, None]
    fresh[slot] = moved
    owner.ca.items[key] = fresh


def _leaf(container: Any, key: Any) -> tuple[Any, Any, int]:
    """Where the comment after ``container[key]`` is kept: on its last scalar, in its last collection."""
    while True:
        value = container[key]
        if isinstance(value, CommentedMap) and value:
            container, key = value, next(reversed(value))
        elif isinstance(value, CommentedSeq) and value:
            container, key = value, len(value) - 1
        else:
            return container, key, 2 if isinstance(container, CommentedMap) else 0


def _step(node: Any, part: Any, create: bool, where: str, moves: list[_Move]) -> Any:
    if isinstance(part, Match):
        if not isinstance(node, list):
            raise EditError(f"{where} is not a list")
        for item in node:
            if isinstance(item, dict) and str(item.get(part.key)) == part.value:
                return item
        raise EditError(f"{where} has no item with {part.key}: {part.value}")
    if isinstance(part, int):
        if not isinstance(node, list) or not -len(node) <= part < len(node):
            raise EditError(f"{where} has no item {part}")
        return node[part]
    if not isinstance(node, dict):
        raise EditError(f"{where} is not a mapping")
    if part not in node or node[part] is None:
        if not create:
            raise EditError(f"{where} has no key {part}")
        _put(node, part, CommentedMap(), moves)
    return node[part]


def _apply(tree: Any, edit: Edit) -> bool:
    moves: list[_Move] = []
    changed = _edit(tree, edit, moves)
    if changed and moves:
        _pass_on(*moves[0])  # the outermost new entry: everything under it is new
    return changed


def _edit(tree: Any, edit: Edit, moves: list[_Move]) -> bool:
    *parents, last = edit.path
    node = tree
    for depth, part in enumerate(parents):
        where = path_text(edit.path[:depth]) or "the document"
        node = _step(node, part, edit.op is not Op.REMOVE, where, moves)
    where = path_text(tuple(parents)) or "the document"
    if edit.op is Op.SET:
        if isinstance(last, Match | int):
            raise EditError(f"set needs a key at the end of {path_text(edit.path)}")
        if not isinstance(node, dict):
            raise EditError(f"{where} is not a mapping")
        if last in node and _plain(node[last]) == _plain(edit.value):
            return False
        _put(node, last, _to_rt(edit.value), moves)
        return True
    if edit.op is Op.ADD:
        seq = _step(node, last, False, where, moves) if isinstance(last, Match | int) else None
        if seq is None:
            if not isinstance(node, dict):
                raise EditError(f"{where} is not a mapping")
            if last not in node or node[last] is None:
                _put(node, last, CommentedSeq(), moves)
            seq = node[last]
        if not isinstance(seq, list):
            raise EditError(f"{path_text(edit.path)} is not a list")
        if any(_plain(item) == _plain(edit.value) for item in seq):
            return False
        _push(seq, _to_rt(edit.value), moves)
        return True
    return _remove(node, last)


def _remove(node: Any, last: Any) -> bool:
    if isinstance(last, Match):
        if not isinstance(node, list):
            return False
        for i, item in enumerate(node):
            if isinstance(item, dict) and str(item.get(last.key)) == last.value:
                del node[i]
                return True
        return False
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    if isinstance(node, list) and isinstance(last, int) and -len(node) <= last < len(node):
        del node[last]
        return True
    return False


@dataclass(frozen=True)
class SourceText:
    """A file's text as read, normalised to ``\\n`` line ends for editing; its byte-order mark and CRLF
    line ends are kept apart and put back by :meth:`encode`, so an edit changes only what it edits."""

    text: str
    crlf: bool = False
    bom: bool = False

    @classmethod
    def decode(cls, raw: bytes) -> SourceText:
        """Raises ``UnicodeDecodeError`` for a file that is not UTF-8."""
        bom = raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig" if bom else "utf-8")
        crlf = "\r\n" in text
        return cls(text=text.replace("\r\n", "\n") if crlf else text, crlf=crlf, bom=bom)

    def encode(self, text: str) -> bytes:
        """``text`` (an edited version of :attr:`text`) as bytes with this file's line ends and BOM."""
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8")


def apply_to_text(text: str, edits: list[Edit]) -> tuple[str, bool]:
    """The text after ``edits`` (all on this one file), and whether anything changed."""
    f = YamlFile.parse(text)
    for e in edits:
        f.apply(e)
    return (f.render(), True) if f.changed else (text, False)


def new_object_text(obj: NewObject) -> str:
    """The text of a new file holding ``obj``'s document."""
    return dump(obj.document)


__all__ = ["EditError", "SourceText", "YamlFile", "apply_to_text", "detect_indent", "new_object_text"]
