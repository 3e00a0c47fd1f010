"""``redline init``: a starter redline.yaml written from a scan, for the user to correct and complete.

It states what the scan inferred, each with where it came from, so that a reviewer can confirm or
delete it line by line: the entry points (with why each was chosen), every component with its kind, and
every runtime call with an ``# inferred from FILE:LINE`` comment. Startup-order edges (Compose
``depends_on``) are listed as comments: they are not calls until the user says so. Numbers nobody can
read from infrastructure files (rps, workers, service times) are commented-out placeholders marked
``TODO``, so the file validates exactly as written and states nothing invented.

No value of the scan is copied into the file, only names, kinds, file:line and evidence kinds, and the
whole text is masked (:func:`redline.model.secrets.mask_text`) besides: a secret cannot appear in it.
"""

from __future__ import annotations

import json
import re

from redline.model import Component, Edge, System
from redline.model.entrypoints import empty_graph_message, is_tooling
from redline.model.secrets import mask_text

#: Names written as plain YAML scalars; anything else is written double-quoted (JSON is valid YAML).
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]{0,252}")
#: Plain scalars YAML 1.1 reads as something other than a string.
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})

HEADER = (
    "# redline.yaml: a starter written by `redline init` from what `redline scan` inferred.\n"
    "# Check every line: delete what is wrong (or add the callee under `ignore_calls:`), add what is\n"
    "# missing. Lines marked TODO are placeholders: uncomment them with measured numbers.\n"
    "# Reference: docs/redline-yaml.md; schema for editors: `redline schema`.\n"
)


def scalar(text: str) -> str:
    """``text`` as a YAML scalar that reads back as the same string."""
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    """One comment line's text: no line breaks (a name cannot end the comment and start YAML)."""
    return " ".join(text.split())


def render(system: System) -> str:
    """The starter redline.yaml for ``system`` (already scanned: entry points inferred, edges found)."""
    lines = [HEADER.rstrip("\n")]
    empty = empty_graph_message(system)
    if empty is not None:
        lines.append(f"# NOTE: {_comment(empty)}")
    if system.name:
        lines.append(f"name: {scalar(system.name)}")
    lines += _entrypoints(system)
    lines.append("components:")
    for c in system.components:
        lines += _component(system, c)
    if not system.components:
        lines[-1] = "components: {}"
    return mask_text("\n".join(lines) + "\n")


def _entrypoints(system: System) -> list[str]:
    eps = system.entrypoints
    if not eps:
        return [
            "# No entry point was stated or inferred: name the components users call, for example",
            "# entrypoints:",
            "#   - {name: web, component: NAME, rps: 100}",
            "entrypoints: []",
        ]
    out = ["entrypoints:"]
    for e in eps:
        why = e.reason or (f"stated at {e.source}" if e.source else "stated")
        out.append(f"  # {'inferred' if e.inferred else 'stated'}: {_comment(why)}")
        out.append(f"  - name: {scalar(e.name)}")
        out.append(f"    component: {scalar(e.component)}")
        if e.rps is not None:
            out.append(f"    rps: {e.rps:g}")
        else:
            out.append("    # rps: 100  # TODO: requests per second this entry point takes at peak")
    return out


def _component(system: System, c: Component) -> list[str]:
    why = c.kind_reason or "kind"
    out = [f"  {scalar(c.name)}:", f"    kind: {c.kind.value}  # {_comment(why)} ({c.source})"]
    if c.tooling is not None:
        out.append(f"    tooling: {'true' if c.tooling else 'false'}")
    elif is_tooling(c):
        out.append("    tooling: true  # a load generator, dashboard or admin tool (by its name or image)")
    if c.entrypoint is not None:
        out.append(f"    entrypoint: {'true' if c.entrypoint else 'false'}")
    if c.workers is None:
        out.append("    # workers: 8  # TODO: requests one replica serves at once")
    if c.service_time_s is None:
        out.append("    # service_time: 20ms  # TODO: mean time a request holds a worker (own work only)")
    calls = [e for e in system.calls_from(c.name) if not e.startup_only and e.to != c.name]
    startup = [e for e in system.calls_from(c.name) if e.startup_only]
    if calls:
        out.append("    calls:")
        out += [f"      - to: {scalar(e.to)}  # {_evidence(e)}" for e in calls]
    out += [
        f"    # startup order only: {scalar(e.to)} ({_evidence(e)}); a call? add it to calls:"
        for e in startup
    ]
    return out


def _evidence(e: Edge) -> str:
    """``inferred from FILE:LINE (env)``: where and how, never the value (it may hold a secret)."""
    if not e.evidence:
        return "inferred"
    first = e.evidence[0]
    more = f", +{len(e.evidence) - 1} more" if len(e.evidence) > 1 else ""
    verb = "stated at" if first.kind == "declared" else "inferred from"
    return _comment(f"{verb} {first.source} ({first.kind}{more})")
