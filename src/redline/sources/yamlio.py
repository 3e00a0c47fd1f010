"""Reading YAML safely, fast, and with line numbers.

Scan speed is parsing speed, so parsing goes through libyaml (``yaml.CSafeLoader``). Every mapping comes
back as a :class:`LineDict`, a ``dict`` that also remembers the line of each key, so readers can point
every fact at ``file:line`` without a second pass.

Hostile input is stopped before it can cost anything:

* alias bombs ("billion laughs") are caught by measuring the *expanded* size of the composed node graph,
  memoised per node, so the check is linear in the document, never exponential;
* nesting deeper than :data:`MAX_DEPTH` is refused (libyaml itself would go on; Python's constructor
  would not);
* tags other than the standard ones and Compose's ``!reset``/``!override`` are read as plain values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

try:
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

MAX_DEPTH = 200
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s,\[\]{}]")
MAX_EXPANDED_NODES = 2_000_000


class YamlError(ValueError):
    """A document that could not be read, with the line it failed on (1-based) when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LineDict(dict[Any, Any]):
    """A mapping that knows the line of its own start and of each of its keys (1-based)."""

    __slots__ = ("key_files", "key_lines", "line")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int | None = None
        self.key_lines: dict[Any, int] = {}
        self.key_files: dict[Any, str] = {}  # set by merges (Compose overrides): the file a key came from

    def line_of(self, key: Any) -> int | None:
        """The line of ``key``, or the mapping's own line when the key is absent."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence that knows the line of each item (1-based)."""

    __slots__ = ("item_lines", "line")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line: int | None = None
        self.item_lines: list[int] = []


@dataclass(frozen=True)
class Tagged:
    """A value carrying a custom tag (Compose's ``!reset`` / ``!override``, or any unknown tag)."""

    tag: str
    value: Any


class _Loader(_BaseLoader):
    """libyaml's parser and composer; :func:`_build` constructs the data (the scalar and merge-key helpers
    of PyYAML's SafeConstructor are reused from here)."""


def _check_node(root: yaml.Node) -> None:
    """Refuse alias bombs and absurd nesting without expanding anything.

    The composed graph shares one node per anchor, so a bomb is small as a graph and huge as a tree.
    ``expanded`` memoises each node's tree size by id; the walk is iterative (no recursion limit).
    """
    expanded: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            total = 1 + sum(expanded[id(c)] for c in children)
            if total > MAX_EXPANDED_NODES:
                raise YamlError(
                    f"document expands to more than {MAX_EXPANDED_NODES:,} nodes through aliases "
                    "(a YAML alias bomb?); not expanded",
                    node.start_mark.line + 1,
                )
            expanded[key] = total
            continue
        if key in expanded:
            continue
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) not in expanded:
                stack.append((child, depth + 1, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_NULL = "tag:yaml.org,2002:null"
_SCALARS = {
    "tag:yaml.org,2002:int": "construct_yaml_int",
    "tag:yaml.org,2002:float": "construct_yaml_float",
    "tag:yaml.org,2002:bool": "construct_yaml_bool",
}


def _build(loader: _Loader, node: yaml.Node, memo: dict[int, Any], depth: int) -> Any:
    """Construct plain data from a composed node: PyYAML's SafeConstructor semantics for the standard tags,
    without its generic machinery (generators, deep-construct bookkeeping, per-node dispatch tables).

    It is the scan's hottest function: about three times faster than ``construct_document``. Timestamps
    and binary stay strings (they are only ever shown); merge keys (``<<``) go through PyYAML's own
    ``flatten_mapping``; any other tag becomes :class:`Tagged`. Shared (aliased) nodes build once.
    """
    key = id(node)
    if key in memo:
        return memo[key]
    if depth > MAX_DEPTH:
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
    tag = node.tag
    if isinstance(node, yaml.ScalarNode):
        if tag == _STR:
            value: Any = node.value
        elif tag == _NULL:
            value = None
        elif tag in _SCALARS:
            value = getattr(loader, _SCALARS[tag])(node)
        elif tag.startswith("tag:yaml.org,2002:"):
            value = node.value
        else:
            value = Tagged(tag, node.value)
        memo[key] = value
        return value
    if isinstance(node, yaml.SequenceNode):
        seq = LineList()
        seq.line = node.start_mark.line + 1
        memo[key] = seq
        for child in node.value:
            seq.append(_build(loader, child, memo, depth + 1))
            seq.item_lines.append(child.start_mark.line + 1)
        return seq if tag == _SEQ else Tagged(tag, seq)
    if isinstance(node, yaml.MappingNode):
        if any(k.tag == _MERGE for k, _ in node.value):
            loader.flatten_mapping(node)
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        memo[key] = mapping
        for key_node, value_node in node.value:
            k = _build(loader, key_node, memo, depth + 1)
            try:
                hash(k)
            except TypeError:
                raise YamlError("found an unhashable mapping key", key_node.start_mark.line + 1) from None
            mapping[k] = _build(loader, value_node, memo, depth + 1)
            mapping.key_lines[k] = key_node.start_mark.line + 1
        return mapping if tag == _MAP else Tagged(tag, mapping)
    raise YamlError(f"unknown YAML node {type(node).__name__}", node.start_mark.line + 1)


def load_documents(text: str) -> Iterator[Any]:
    """Yield each document of a YAML stream as plain data (LineDict/LineList for collections).

    Raises :class:`YamlError` with the failing line on malformed input; documents before the error have
    already been yielded, so a reader keeps what it could read.
    """
    loader = _Loader(text)
    # Only anchors can make a document bigger than its text, so only then is the expansion walk needed;
    # absurd nesting without anchors is caught as RecursionError by the constructor below.
    check = _ANCHOR.search(text) is not None
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                raise YamlError(_describe(exc), mark.line + 1 if mark else None) from None
            except yaml.YAMLError as exc:
                raise YamlError(str(exc).splitlines()[0] if str(exc) else "malformed YAML") from None
            except RecursionError:
                raise YamlError(f"nesting deeper than {MAX_DEPTH} levels") from None
            if node is None:
                continue
            if check:
                _check_node(node)
            try:
                yield _build(loader, node, {}, 0)
            except YamlError:
                raise
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                raise YamlError(_describe(exc), mark.line + 1 if mark else None) from None
            except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
                raise YamlError(f"cannot read value: {exc}", node.start_mark.line + 1) from None
            except RecursionError:
                raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1) from None
    finally:
        loader.dispose()


def _describe(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    text = "; ".join(parts) if parts else "malformed YAML"
    if "\\t" in text or "'\\t'" in text or "tab" in text.lower():
        text += " (YAML forbids tabs for indentation)"
    return f"malformed YAML: {text}"
