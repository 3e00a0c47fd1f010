"""The dependency graph as Mermaid or Graphviz DOT text, for READMEs, pull requests and `dot -Tsvg`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from redline.model import Kind, System

_SHAPES_MERMAID = {
    Kind.SERVICE: ("[", "]"),
    Kind.DATASTORE: ("[(", ")]"),
    Kind.CACHE: ("[(", ")]"),
    Kind.QUEUE: ("[[", "]]"),
    Kind.GATEWAY: ("{{", "}}"),
    Kind.EXTERNAL: ("([", "])"),
}
_SHAPES_DOT = {
    Kind.SERVICE: "box",
    Kind.DATASTORE: "cylinder",
    Kind.CACHE: "cylinder",
    Kind.QUEUE: "box3d",
    Kind.GATEWAY: "hexagon",
    Kind.EXTERNAL: "ellipse",
}


def node_id(name: str) -> str:
    """A Mermaid/DOT-safe identifier for a component name (names may hold '/', '.', ':')."""
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _label(text: str) -> str:
    return text.replace('"', "'")


def mermaid(system: System, classes: dict[str, str] | None = None, only: set[str] | None = None) -> str:
    """``graph LR`` with one node per component (shape by kind) and one arrow per edge.

    ``classes`` maps component names to a Mermaid class name (the review report colours nodes by their
    worst finding); startup-only edges (Compose ``depends_on``) are dotted. ``only``: draw just these
    components and the edges between them.
    """
    lines = ["graph LR"]
    for c in system.components:
        if only is not None and c.name not in only:
            continue
        left, right = _SHAPES_MERMAID[c.kind]
        replicas = f" ×{c.replicas}" if c.replicas is not None else ""
        lines.append(f'  {node_id(c.name)}{left}"{_label(c.name)}{replicas}"{right}')
    for e in system.edges:
        if only is not None and not (e.from_ in only and e.to in only):
            continue
        arrow = "-.->" if e.startup_only else "-->"
        label = ""
        if e.count is not None or e.timeout_s is not None:
            parts = []
            if e.count is not None:
                parts.append(f"×{e.count:g}")
            if e.timeout_s is not None:
                parts.append(f"{e.timeout_s * 1000:g}ms")
            label = f'|"{" ".join(parts)}"|'
        lines.append(f"  {node_id(e.from_)} {arrow}{label} {node_id(e.to)}")
    for name, cls in (classes or {}).items():
        if only is None or name in only:
            lines.append(f"  class {node_id(name)} {cls}")
    return "\n".join(lines) + "\n"


#: Mermaid's defaults: a diagram longer than ``maxTextSize`` characters, or with more than ``maxEdges``
#: edges, is not drawn (the reader sees an error box instead).
MERMAID_MAX_TEXT = 50_000
MERMAID_MAX_EDGES = 500


@dataclass(frozen=True)
class Drawing:
    """A Mermaid graph that fits, and what it leaves out."""

    text: str  # "" when not even the worst components fit
    shown: int  # components drawn
    total: int  # components in the system
    level: int | None  # the rank up to which components were kept (None: every component)


def mermaid_fitting(
    system: System,
    ranks: dict[str, int],
    classes: dict[str, str] | None = None,
    max_chars: int = MERMAID_MAX_TEXT,
    max_edges: int = MERMAID_MAX_EDGES,
) -> Drawing:
    """The whole graph when it fits in ``max_chars`` characters and ``max_edges`` edges; else only the
    components in ``ranks`` (those that carry findings, ranked 0 = worst), then only those ranked 0..2,
    0..1, 0: the first that fits. ``Drawing.text`` is "" when none does."""
    total = len(system.components)
    names = {c.name for c in system.components}
    levels: list[int | None] = [None, *sorted(set(ranks.values()), reverse=True)]
    for level in levels:
        only = None if level is None else {n for n, r in ranks.items() if r <= level and n in names}
        if only is not None and not only:
            break
        text = mermaid(system, classes, only)
        edges = sum(1 for e in system.edges if only is None or (e.from_ in only and e.to in only))
        if len(text) <= max_chars and edges <= max_edges:
            return Drawing(text, total if only is None else len(only), total, level)
    return Drawing("", 0, total, None)


def dot(system: System) -> str:
    """Graphviz DOT, ``rankdir=LR``."""
    lines = ["digraph system {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for c in system.components:
        replicas = f"\\n×{c.replicas}" if c.replicas is not None else ""
        lines.append(
            f'  {node_id(c.name)} [label="{_label(c.name)}{replicas}", shape={_SHAPES_DOT[c.kind]}];'
        )
    for e in system.edges:
        style = ' [style=dashed, label="depends_on"]' if e.startup_only else ""
        lines.append(f"  {node_id(e.from_)} -> {node_id(e.to)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"
