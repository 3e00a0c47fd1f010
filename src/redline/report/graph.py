"""The dependency graph as Mermaid or Graphviz DOT text, for READMEs, pull requests and `dot -Tsvg`."""

from __future__ import annotations

import re

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


def mermaid(system: System, classes: dict[str, str] | None = None) -> str:
    """``graph LR`` with one node per component (shape by kind) and one arrow per edge.

    ``classes`` maps component names to a Mermaid class name (the review report colours nodes by their
    worst finding); startup-only edges (Compose ``depends_on``) are dotted.
    """
    lines = ["graph LR"]
    for c in system.components:
        left, right = _SHAPES_MERMAID[c.kind]
        replicas = f" ×{c.replicas}" if c.replicas is not None else ""
        lines.append(f'  {node_id(c.name)}{left}"{_label(c.name)}{replicas}"{right}')
    for e in system.edges:
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
        lines.append(f"  class {node_id(name)} {cls}")
    return "\n".join(lines) + "\n"


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
