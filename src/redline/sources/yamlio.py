"""Reading YAML safely, fast, and with line numbers.

Scan speed is parsing speed, so parsing goes through libyaml (``yaml.CSafeLoader``). Every mapping comes
back as a :class:`LineDict`, a ``dict`` that also remembers the line of each key, so readers can point
every fact at ``file:line`` without a second pass.

Hostile input is stopped before it can cost anything:

* alias bombs ("billion laughs") are caught by measuring the *expanded* size of the composed node graph,
  memoised per node, so the check is linear in the document, never exponential;
* a value nested deeper than :data:`MAX_DEPTH` levels is dropped (a gap, see below); a text that could
  nest deeper than :data:`C_COMPOSE_DEPTH` is composed by :func:`_compose_bounded`, an iterative
  composer that cuts such values off, because libyaml's C composer recurses once per level and
  overflows the C stack (a segmentation fault, measured between 20,000 and 30,000 levels on an 8 MB
  stack: a 100 KB file of ``[`` crashed the scan);
  nesting beyond :data:`MAX_PARSE_DEPTH` refuses the document from there (parsing it costs n² time);
* tags other than the standard ones and Compose's ``!reset``/``!override`` are read as plain values,
  and a value that does not fit its tag is dropped, each with a problem reported (line, message);
* keys are strings as written (``5: x`` has the key ``"5"``): Kubernetes and Compose read keys as
  strings; a key written twice is reported with both lines;
* what the platforms would refuse the file for (a list or mapping used as a key, a value nested too
  deep) is dropped alone and reported as a *gap* (line, message): the caller records it as a gating
  skip, so the user knows the file is not as the platform would see it, while every other value is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

try:
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

MAX_DEPTH = 200
C_COMPOSE_DEPTH = 2_000
"""Texts that may nest deeper than this go through :func:`_compose_bounded` instead of libyaml's
recursive C composer (measured on an 8 MB stack: 20,000 levels compose, 30,000 crash the process; a
thread with a smaller stack crashes sooner)."""
MAX_PARSE_DEPTH = 10_000
"""Beyond this depth the document is refused: libyaml's scanner takes time quadratic in flow nesting
(0.14 s at 10,000 levels, 4.3 s at 50,000, measured), so a deeper text is not parsed further."""
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


class TaggedDict(LineDict):
    """A mapping written with Compose's ``!reset`` or ``!override`` tag (see :func:`tag_of`)."""

    __slots__ = ("tag",)


class TaggedList(LineList):
    """A sequence written with Compose's ``!reset`` or ``!override`` tag (see :func:`tag_of`)."""

    __slots__ = ("tag",)


class TaggedStr(str):
    """A scalar written with Compose's ``!reset`` tag; its text is kept (see :func:`tag_of`)."""

    tag: str


def tag_of(value: Any) -> str | None:
    """``"!reset"`` or ``"!override"`` for a value Compose tagged so, else None.

    Tagged values are ordinary mappings, lists and strings underneath, so every reader that does not
    know Compose's tags (Kubernetes, rules) reads them as untagged, as the platforms do.
    """
    return getattr(value, "tag", None)


Problem = tuple[int | None, str]
"""A value the YAML layer had to change or drop: (1-based line, message)."""


class _Loader(_BaseLoader):
    """libyaml's parser and composer; :func:`_build` constructs the data (the scalar and merge-key helpers
    of PyYAML's SafeConstructor are reused from here)."""

    problems: list[Problem]
    gaps: list[Problem]
    text: str


def _check_node(root: yaml.Node) -> None:
    """Refuse alias bombs without expanding anything.

    The composed graph shares one node per anchor, so a bomb is small as a graph and huge as a tree.
    ``expanded`` memoises each node's tree size by id; the walk is iterative (no recursion limit) and
    counts values nested too deep too (:func:`_build` drops them; counting them keeps the bound simple).
    """
    expanded: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
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
        stack.append((node, True))
        for child in _children(node):
            if id(child) not in expanded:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_STD = "tag:yaml.org,2002:"
_STR = _STD + "str"
_MAP = _STD + "map"
_SEQ = _STD + "seq"
_MERGE = _STD + "merge"
_NULL = _STD + "null"
_SCALARS = {
    _STD + "int": "construct_yaml_int",
    _STD + "float": "construct_yaml_float",
    _STD + "bool": "construct_yaml_bool",
}
# Standard scalar tags whose text is kept as a string (they are only ever shown).
_TEXT_TAGS = {_STD + "timestamp", _STD + "binary", _STD + "value", _STD + "yaml", _MERGE}
# Standard collection tags read as the plain collection they are written as.
_PAIRS_TAGS = {_STD + "omap", _STD + "pairs"}
_COMPOSE_TAGS = {"!reset", "!override"}


def _short(tag: str) -> str:
    return "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag


def _line(node: yaml.Node | yaml.Event) -> int:
    """The 1-based line a node or event starts on."""
    mark: Any = node.start_mark
    return int(mark.line) + 1


def _build(loader: _Loader, node: yaml.Node, memo: dict[int, Any], depth: int) -> Any:
    """Construct plain data from a composed node: PyYAML's SafeConstructor semantics for the standard tags,
    without its generic machinery (generators, deep-construct bookkeeping, per-node dispatch tables).

    It is the scan's hottest function: about three times faster than ``construct_document``. Timestamps
    and binary stay strings (they are only ever shown); merge keys (``<<``) go through PyYAML's own
    ``flatten_mapping``. Compose's ``!reset``/``!override`` give :class:`TaggedDict`/:class:`TaggedList`/
    :class:`TaggedStr`; any other tag is read as if untagged, with a problem recorded. A value that does
    not fit its tag (``!!bool maybe``) becomes None, with a problem recorded. Shared (aliased) nodes build
    once.
    """
    key = id(node)
    if key in memo:
        return memo[key]
    if depth > MAX_DEPTH:
        loader.gaps.append((_line(node), f"a value nested deeper than {MAX_DEPTH} levels; value dropped"))
        return None
    tag = node.tag
    if isinstance(node, yaml.ScalarNode):
        if tag == _STR:
            value: Any = node.value
        elif tag == _NULL:
            value = None
        elif tag in _SCALARS:
            value = _construct(loader, node)
        else:
            value = _odd_scalar(loader, node)
        memo[key] = value
        return value
    if isinstance(node, yaml.SequenceNode):
        seq = LineList() if tag == _SEQ else _odd_collection(loader, node, LineList, TaggedList)
        seq.line = _line(node)
        memo[key] = seq
        for child in node.value:
            seq.append(_build(loader, child, memo, depth + 1))
            seq.item_lines.append(child.start_mark.line + 1)
        if tag in _PAIRS_TAGS:
            memo[key] = _pairs(loader, seq)
            return memo[key]
        return seq
    if isinstance(node, yaml.MappingNode):
        explicit = len(node.value)
        if any(k.tag == _MERGE for k, _ in node.value):
            explicit = _flatten(loader, node)
        mapping = LineDict() if tag == _MAP else _odd_collection(loader, node, LineDict, TaggedDict)
        mapping.line = _line(node)
        memo[key] = mapping
        kept = 0
        for key_node, value_node in node.value:
            if key_node.tag == _STR and key_node.__class__ is yaml.ScalarNode:
                k = key_node.value
            elif isinstance(key_node, yaml.ScalarNode):
                k = str(key_node.value)  # `5: x` has the key "5": Kubernetes and Compose read keys as strings
            else:
                _collection_key(loader, key_node)
                continue
            mapping[k] = _build(loader, value_node, memo, depth + 1)
            mapping.key_lines[k] = key_node.start_mark.line + 1
            kept += 1
        if len(mapping) < kept or explicit != len(node.value):
            _duplicates(loader, node.value[len(node.value) - explicit :])
        return mapping
    raise YamlError(f"unknown YAML node {type(node).__name__}", _line(node))


def _odd_scalar(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """A scalar with a tag other than str/null/int/float/bool."""
    tag = node.tag
    if tag in _TEXT_TAGS:
        return node.value
    if tag == "!reset":
        text = TaggedStr(node.value)
        text.tag = tag
        return text
    if tag != "!override":
        loader.problems.append((_line(node), f"unknown tag {_short(tag)}: read as an untagged value"))
    plain_style = not node.style  # libyaml gives '' (PyYAML None) for a plain scalar
    implicit = loader.resolve(yaml.ScalarNode, node.value, (plain_style, not plain_style))
    if implicit == _NULL:
        return None
    if implicit in _SCALARS:
        return _construct(loader, yaml.ScalarNode(implicit, node.value, node.start_mark, node.end_mark))
    return node.value


def _construct(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """An int, float or bool scalar; None, with a problem, when its text does not fit its tag."""
    try:
        return getattr(loader, _SCALARS[node.tag])(node)
    except (ValueError, KeyError, IndexError, OverflowError):  # IndexError: `!!int ''`, `!!float ''`
        loader.problems.append(
            (_line(node), f"{node.value[:60]!r} cannot be read as {_short(node.tag)}; value dropped")
        )
        return None


def _odd_collection(loader: _Loader, node: yaml.Node, plain: type, tagged: type) -> Any:
    """The container for a sequence or mapping written with a non-default tag."""
    tag = node.tag
    if tag in _COMPOSE_TAGS:
        container = tagged()
        container.tag = tag
        return container
    if tag not in _PAIRS_TAGS and tag != _STD + "set":
        what = "mapping" if plain is LineDict else "sequence"
        loader.problems.append((_line(node), f"tag {_short(tag)} on a {what}: read as an untagged {what}"))
    return plain()


def _pairs(loader: _Loader, seq: LineList) -> Any:
    """``!!omap``/``!!pairs``: a sequence of one-key mappings read as the ordered mapping it stands for."""
    if not all(isinstance(item, dict) and len(item) == 1 for item in seq):
        loader.problems.append((seq.line, "!!omap/!!pairs items must be one-key mappings: read as a list"))
        return seq
    mapping = LineDict()
    mapping.line = seq.line
    for item, line in zip(seq, seq.item_lines, strict=True):
        ((k, v),) = item.items()
        mapping[k] = v
        mapping.key_lines[k] = item.key_lines.get(k, line)
    return mapping


def _collection_key(loader: _Loader, node: yaml.Node) -> None:
    """Record a gap for a sequence or mapping used as a mapping key (``[x, y]: 1``): the entry is dropped.

    Kubernetes and Compose refuse such a file; dropping only the entry keeps every other value, and the
    gap (a gating skip for the caller) keeps the user from trusting a file the platform would refuse.
    A Helm template's ``{{ .Values.x }}`` parses as such a key: the caller recognises it from the line.
    """
    what = "mapping" if isinstance(node, yaml.MappingNode) else "sequence"
    start = node.start_mark.index
    written = " ".join(loader.text[start : min(node.end_mark.index, start + 200)].split())
    written = written if len(written) <= 40 else written[:37] + "..."
    loader.gaps.append(
        (
            _line(node),
            f"{written}: a {what} used as a mapping key; entry dropped "
            "(Kubernetes and Compose refuse such a file)",
        )
    )


def _flatten(loader: _Loader, node: yaml.MappingNode) -> int:
    """Apply merge keys (``<<``) with PyYAML's own ``flatten_mapping``; a merge of something that is not a
    mapping is dropped with a problem. Returns how many pairs at the end of ``node.value`` were written
    in the mapping itself (the rest came from merges)."""
    explicit = sum(1 for k, _ in node.value if k.tag != _MERGE)
    try:
        loader.flatten_mapping(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or node.start_mark
        loader.problems.append((mark.line + 1, f"merge key (<<): {exc.problem}; merge dropped"))
        node.value = [(k, v) for k, v in node.value if k.tag != _MERGE]
    return explicit


def _duplicates(loader: _Loader, pairs: list[tuple[yaml.Node, yaml.Node]]) -> None:
    """Report keys written twice in one mapping, naming both lines (the later value is the one read)."""
    first: dict[Any, int] = {}
    for key_node, _ in pairs:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        k = key_node.value
        line = _line(key_node)
        if k in first:
            loader.problems.append(
                (
                    line,
                    f"duplicate key {k!r} (lines {first[k]} and {line}): YAML forbids it; "
                    "the later value is used",
                )
            )
        first[k] = line


def load_documents(
    text: str, problems: list[Problem] | None = None, gaps: list[Problem] | None = None
) -> Iterator[Any]:
    """Yield each document of a YAML stream as plain data (LineDict/LineList for collections).

    Raises :class:`YamlError` with the failing line on malformed input; documents before the error have
    already been yielded, so a reader keeps what it could read. Values that cost only themselves (a
    duplicate key, an unknown tag, ``!!bool maybe``) are appended to ``problems`` as (line, message);
    values dropped because the platforms would refuse the file for them (a list used as a key, a value
    nested deeper than :data:`MAX_DEPTH`) are appended to ``gaps``. Either way the document is still read.
    """
    loader = _Loader(text)
    loader.problems = problems if problems is not None else []
    loader.gaps = gaps if gaps is not None else []
    loader.text = text
    # Only anchors can make a document bigger than its text, so only then is the expansion walk needed.
    check = _ANCHOR.search(text) is not None
    nodes = _bounded_nodes(loader) if _may_nest_deeper(text, C_COMPOSE_DEPTH) else _nodes(loader)
    try:
        while True:
            try:
                node = next(nodes, None)
                if node is None:
                    break
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                raise YamlError(_describe(exc), mark.line + 1 if mark else None) from None
            except yaml.YAMLError as exc:
                raise YamlError(str(exc).splitlines()[0] if str(exc) else "malformed YAML") from None
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
    finally:
        loader.dispose()


def _may_nest_deeper(text: str, depth: int) -> bool:
    """Whether ``text`` could hold a value nested ``depth`` levels deep (a sound, cheap over-estimate).

    Flow nesting costs a ``[`` or ``{`` per level. Block nesting costs indentation or an indicator
    (``- ``, ``? ``, ``: ``) on the line, at most two levels per column (a sequence may sit at its
    mapping key's indentation), so it is bounded by twice the longest line.
    """
    flow = text.count("[") + text.count("{")
    if flow >= depth:
        return True
    longest = (depth - flow) // 2
    return re.search(f"^[^\n]{{{longest}}}", text, re.MULTILINE) is not None  # anchored: linear time


_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _nodes(loader: _Loader) -> Iterator[yaml.Node]:
    """Each document's root node, composed by libyaml (recursively, in C)."""
    while loader.check_node():
        yield loader.get_node()


def _bounded_nodes(loader: _Loader) -> Iterator[yaml.Node]:
    """Each document's root node, composed by :func:`_compose_bounded` (no recursion at all)."""
    while (event := loader.get_event()) is not None and not isinstance(event, yaml.StreamEndEvent):
        if isinstance(event, yaml.DocumentStartEvent):
            yield _compose_bounded(loader)


def _compose_bounded(loader: _Loader) -> yaml.Node:
    """Compose a document from parser events, iteratively (libyaml's parser keeps its own stack).

    Gives the nodes libyaml's composer gives, except that a collection deeper than ``MAX_DEPTH + 1``
    levels is composed empty (its events are read and dropped): :func:`_build` drops it as too deep and
    reports it, so no depth of input can exhaust a stack. An anchor inside a dropped collection names
    null (the value it named was dropped, and reported).
    """
    anchors: dict[str, yaml.Node] = {}
    open_: list[list[Any]] = []  # [collection node, pending mapping key node or None]
    root: yaml.Node | None = None
    skipped = 0  # depth inside a collection cut off for depth
    while True:
        event: Any = loader.get_event()  # PyYAML's stubs type events loosely: their fields are read as is
        if isinstance(event, yaml.DocumentEndEvent):
            break
        if skipped:
            if isinstance(event, yaml.CollectionStartEvent):
                skipped += 1
                if len(open_) + skipped > MAX_PARSE_DEPTH:  # libyaml scans deep flow nesting in n² time
                    raise YamlError(
                        f"nesting deeper than {MAX_PARSE_DEPTH:,} levels; not read from here",
                        _line(event),
                    )
            elif isinstance(event, _CLOSE):
                skipped -= 1
            if getattr(event, "anchor", None) is not None and not isinstance(event, yaml.AliasEvent):
                anchors[event.anchor] = yaml.ScalarNode(_NULL, "", event.start_mark, event.end_mark)
            continue
        if isinstance(event, _CLOSE):
            open_.pop()[0].end_mark = event.end_mark
            continue
        node = _event_node(loader, event, anchors)
        if open_:
            _attach(open_[-1], node)
        else:
            root = node
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_) > MAX_DEPTH:
                skipped = 1
            else:
                open_.append([node, None])
    if root is None:  # pragma: no cover - the parser always gives a document a node
        raise YamlError("empty document")
    return root


def _event_node(loader: _Loader, event: Any, anchors: dict[str, yaml.Node]) -> yaml.Node:
    """The node an event starts (or, for an alias, the node it names), registering its anchor."""
    start: Any = event.start_mark
    if isinstance(event, yaml.AliasEvent):
        if event.anchor not in anchors:
            raise yaml.composer.ComposerError(None, None, "found undefined alias", start)
        return anchors[event.anchor]
    node: yaml.Node
    kind = {yaml.ScalarEvent: yaml.ScalarNode, yaml.SequenceStartEvent: yaml.SequenceNode}.get(
        type(event), yaml.MappingNode
    )
    value = event.value if isinstance(event, yaml.ScalarEvent) else None
    tag = event.tag if event.tag not in (None, "!") else loader.resolve(kind, value, event.implicit)
    if kind is yaml.ScalarNode:
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, style=event.style)
    else:  # the end mark is set when the collection closes
        node = kind(tag, [], event.start_mark, event.start_mark, flow_style=event.flow_style)
    if event.anchor is not None:
        if event.anchor in anchors:  # as libyaml's composer does
            raise yaml.composer.ComposerError(
                "found duplicate anchor; first occurrence",
                anchors[event.anchor].start_mark,
                "second occurrence",
                event.start_mark,
            )
        anchors[event.anchor] = node
    return node


def _attach(parent: list[Any], node: yaml.Node) -> None:
    """Add ``node`` to an open collection: an item, a mapping key, or the value of the pending key."""
    collection = parent[0]
    if isinstance(collection, yaml.SequenceNode):
        collection.value.append(node)
    elif parent[1] is None:
        parent[1] = node
    else:
        collection.value.append((parent[1], node))
        parent[1] = None


def _describe(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    text = "; ".join(parts) if parts else "malformed YAML"
    if "\\t" in text or "'\\t'" in text or "tab" in text.lower():
        text += " (YAML forbids tabs for indentation)"
    return f"malformed YAML: {text}"
