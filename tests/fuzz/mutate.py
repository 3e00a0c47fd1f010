"""Where a YAML text can be hit, and the hits: values, tags, keys and bytes.

A :class:`Slot` is a node of the unmutated text (a value or a key) with its character span and its path
from the document root. A :class:`Unit` is what owns components: a Kubernetes document, a Compose
service, a redline.yaml component. A :class:`Mutation` says what was changed and which units it may
legitimately cost; everything else must survive it.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

import yaml

PathKey = str | int


class Flavour(enum.StrEnum):
    """What a file is, which decides its units."""

    KUBERNETES = "kubernetes"
    COMPOSE = "compose"
    NATIVE = "native"


class Broken(enum.StrEnum):
    """How far a mutated file is from YAML, which decides how much of it a reader can keep."""

    NO = "no"  # it composes: only the hit value may be lost
    SYNTAX = "syntax"  # a syntax error at a line: the documents before it must still be read
    STREAM = "stream"  # not UTF-8, or characters YAML forbids anywhere (YAML 1.2 §5.1): no YAML stream


class Hit(enum.StrEnum):
    """What a mutation replaced."""

    VALUE = "value"  # a value node's text replaced by a flow snippet
    TAG = "tag"  # a tag put in front of a value
    KEY = "key"  # a mapping key's text replaced
    BYTES = "bytes"  # raw bytes: truncation, NUL, invalid UTF-8, tabs, control characters
    SAME = "same"  # a byte change that keeps the YAML meaning (CRLF, a BOM): nothing may be lost


@dataclass(frozen=True)
class Slot:
    """A node of the text: ``start``/``end`` are character indexes, ``line`` is 1-based."""

    doc: int
    path: tuple[PathKey, ...]
    start: int
    end: int
    line: int
    is_key: bool
    tag_at: int  # where a tag goes to tag this value (after the key's colon, or the node start)
    siblings: tuple[str, ...] = ()  # the other keys of the mapping (for duplicate keys)


@dataclass(frozen=True)
class Unit:
    """What owns components: its document, path prefix and line span (1-based, inclusive)."""

    name: str
    doc: int
    prefix: tuple[PathKey, ...]
    first: int
    last: int


@dataclass(frozen=True)
class Mutation:
    """A change to one file: the new bytes, what was hit, where, and the units it may cost."""

    data: bytes
    hit: Hit
    line: int
    slot: Slot | None
    snippet: str
    broken: Broken

    def describe(self) -> str:
        where = (
            f"doc {self.slot.doc} path {'.'.join(map(str, self.slot.path)) or '<root>'}" if self.slot else ""
        )
        return f"{self.hit.value} at line {self.line} {where}: {self.snippet[:120]!r}"


_MAX_SNIPPET_PATH = 64


def _key(node: yaml.Node) -> PathKey:
    return node.value if isinstance(node, yaml.ScalarNode) else "?"


def _visible_end(text: str, start: int, end: int) -> int:
    """Block collections end on the next token's line: keep the span to its last visible character."""
    return start + len(text[start:end].rstrip())


@functools.lru_cache(maxsize=256)
def slots(text: str) -> tuple[Slot, ...]:
    """Every value and key node of ``text`` (composed, not constructed: unknown tags are fine)."""
    found: list[Slot] = []
    for doc, root in enumerate(yaml.compose_all(text, Loader=yaml.SafeLoader)):
        if root is None:
            continue
        stack: list[tuple[yaml.Node, tuple[PathKey, ...], int]] = [(root, (), root.start_mark.index)]
        while stack:
            node, path, tag_at = stack.pop()
            start = node.start_mark.index
            found.append(
                Slot(
                    doc,
                    path,
                    start,
                    _visible_end(text, start, node.end_mark.index),
                    node.start_mark.line + 1,
                    False,
                    tag_at,
                )
            )
            if isinstance(node, yaml.MappingNode):
                keys = tuple(str(k.value) for k, _ in node.value if isinstance(k, yaml.ScalarNode))
                for k, v in node.value:
                    if not isinstance(k, yaml.ScalarNode):
                        continue
                    colon = text.find(":", k.end_mark.index)
                    after = colon + 1 if 0 <= colon <= v.start_mark.index else v.start_mark.index
                    found.append(
                        Slot(
                            doc,
                            (*path, k.value),
                            k.start_mark.index,
                            k.end_mark.index,
                            k.start_mark.line + 1,
                            True,
                            after,
                            tuple(s for s in keys if s != k.value),
                        )
                    )
                    stack.append((v, (*path, k.value), after))
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    stack.append((item, (*path, i), item.start_mark.index))
    found.sort(key=lambda s: (s.start, s.is_key))
    return tuple(found)


@functools.lru_cache(maxsize=256)
def units(text: str, flavour: Flavour) -> tuple[Unit, ...]:
    """The component owners of ``text``: each Kubernetes document, or each Compose service / redline.yaml
    component (``services.X`` / ``components.X``)."""
    out: list[Unit] = []
    for doc, root in enumerate(yaml.compose_all(text, Loader=yaml.SafeLoader)):
        if not isinstance(root, yaml.MappingNode):
            continue
        if flavour is Flavour.KUBERNETES:
            out.append(Unit(f"doc{doc}", doc, (), root.start_mark.line + 1, root.end_mark.line + 1))
            continue
        top = "services" if flavour is Flavour.COMPOSE else "components"
        for k, v in root.value:
            if isinstance(k, yaml.ScalarNode) and k.value == top and isinstance(v, yaml.MappingNode):
                for name, body in v.value:
                    end = _visible_end(text, body.start_mark.index, body.end_mark.index)
                    last = text.count("\n", 0, end) + 1
                    out.append(Unit(str(_key(name)), doc, (top, _key(name)), name.start_mark.line + 1, last))
    return tuple(out)


# Paths (relative to a unit) where a change may cost the unit itself: its identity.
_IDENTITY: dict[Flavour, set[tuple[PathKey, ...]]] = {
    Flavour.KUBERNETES: {
        (),
        ("apiVersion",),
        ("kind",),
        ("metadata",),
        ("metadata", "name"),
        ("metadata", "namespace"),
    },
    Flavour.COMPOSE: {()},
    Flavour.NATIVE: {(), ("kind",)},
}


def may_cost(m: Mutation, unit: Unit, flavour: Flavour, text: str) -> bool:
    """Whether ``m`` may legitimately lose ``unit``'s components.

    A byte change or a YAML syntax error may cost the documents from the one it hits onward (the reader
    keeps those before it). A value, tag or key change costs at most the unit it is in, and that only when
    it hits the unit's identity (a Kubernetes document's apiVersion, kind, name or namespace; a Compose
    service or redline.yaml component as a whole), or the whole file when it hits the root.
    """
    if m.hit is Hit.SAME:
        return False
    if m.broken is Broken.STREAM:
        return True
    hit_doc = m.slot.doc if m.slot is not None else doc_at(text, m.line)
    if m.slot is None or m.broken is Broken.SYNTAX:  # from the document it hits onward
        return unit.doc >= hit_doc
    slot = m.slot
    if slot.doc != unit.doc:
        return False
    if len(slot.path) < len(unit.prefix) or (slot.is_key and len(slot.path) <= len(unit.prefix)):
        return slot.path == unit.prefix[: len(slot.path)]  # the root, `services:` or the unit's own key
    if slot.path[: len(unit.prefix)] != unit.prefix:
        return False
    rel = slot.path[len(unit.prefix) :]
    if slot.is_key:  # renaming a key of the identity's parents (a root key, a metadata key)
        return len(rel) <= 1 or (flavour is Flavour.KUBERNETES and rel[0] == "metadata" and len(rel) == 2)
    return rel in _IDENTITY[flavour]


def doc_at(text: str, line: int) -> int:
    """The index of the document of ``text`` holding ``line`` (the last one starting at or before it)."""
    return max((s.doc for s in slots(text) if not s.path and s.line <= line), default=0)


# What YAML 1.2 allows in a stream (§5.1, c-printable; a BOM is printable too).
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def broken(data: bytes) -> Broken:
    """How ``data`` fails to be YAML; composing only (constructing values is the reader's job)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Broken.STREAM
    if _NOT_PRINTABLE.search(text):
        return Broken.STREAM
    try:
        for _ in yaml.compose_all(text, Loader=yaml.CSafeLoader):
            pass
    except (yaml.YAMLError, ValueError, RecursionError):
        return Broken.SYNTAX
    return Broken.NO


def replace(text: str, slot: Slot, hit: Hit, snippet: str) -> Mutation:
    """Apply a value, tag or key hit on ``slot``."""
    if hit is Hit.TAG:
        new = f"{text[: slot.tag_at]} {snippet} {text[slot.tag_at :]}"
    else:
        new = text[: slot.start] + snippet + text[slot.end :]
    data = new.encode("utf-8", "surrogatepass")
    return Mutation(data, hit, slot.line, slot, snippet, broken(data))


def corrupt(data: bytes, offset: int, how: str) -> Mutation:
    """Apply a byte hit at ``offset`` (see :data:`BYTE_HITS`)."""
    offset = max(0, min(offset, len(data)))
    line = data.count(b"\n", 0, offset) + 1
    if how == "truncate":
        new = data[:offset]
    elif how == "crlf":
        return Mutation(data.replace(b"\n", b"\r\n"), Hit.SAME, 1, None, how, Broken.NO)
    elif how == "bom":
        return Mutation(b"\xef\xbb\xbf" + data, Hit.SAME, 1, None, how, Broken.NO)
    elif how == "tab-indent":
        start = data.rfind(b"\n", 0, offset) + 1
        new = data[:start] + b"\t" + data[start:]
    else:
        new = data[:offset] + BYTE_HITS[how] + data[offset:]
    return Mutation(new, Hit.BYTES, line, None, how, broken(new))


BYTE_HITS: dict[str, bytes] = {
    "nul": b"\x00",
    "invalid-utf8": b"\xff\xfe",
    "lone-continuation": b"\x80",
    "overlong": b"\xc0\xaf",
    "surrogate": b"\xed\xa0\x80",
    "tab": b"\t",
    "escape": b"\x1b[31m",
    "cr": b"\r",
    "bom-inside": b"\xef\xbb\xbf",
    "line-separator": "\u2028".encode(),
    "doc-separator": b"\n---\n",
    "doc-end": b"\n...\n",
    "colon": b": ",
    "dash": b"\n- ",
}
BYTE_HOWS = ("truncate", "crlf", "bom", "tab-indent", *BYTE_HITS)
