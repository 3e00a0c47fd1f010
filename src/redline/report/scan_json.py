"""`redline scan --format json`: the System, with stable keys other commands and tests read.

Top-level keys: ``name``, ``root``, ``components``, ``edges``, ``unresolved``, ``objects``, ``entrypoints``,
``slo``, ``growth``, ``files``, ``skipped``, ``warnings``, ``defaults``. Every key is always present
(``null`` when unknown), so consumers never need to guess whether a key was dropped or a value was unknown.
``skipped`` is ``[{"file", "line", "kind", "reason"}]``, gating kinds first (the same array review and
forecast JSON carry).

The text is produced in pieces (:func:`render_parts`): one per component, edge, object, file, warning,
each dumped, masked and encoded on its own, so a 50,000-object scan never holds its whole JSON tree or
text at once. The pieces joined are exactly the indented rendering of :func:`to_dict`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydantic_core
from pydantic import BaseModel

from redline._gc import paused_gc
from redline.model import System
from redline.model.secrets import mask_tree
from redline.report import skipped

#: System fields rendered as records, one piece each (lists of models); ``skipped`` is added as dicts.
_RECORDS = frozenset({"components", "edges", "unresolved", "objects", "entrypoints", "files", "warnings"})
#: Indentation of a record inside its top-level array (pydantic_core indents by 2 per level).
_ITEM_INDENT = "\n    "


def to_dict(system: System) -> dict[str, Any]:
    """The whole report as one masked tree (what :func:`render_parts` renders piece by piece)."""
    data = system.model_dump(mode="json", by_alias=True)
    data.pop("defaults", None)
    data["defaults"] = system.defaults
    data["skipped"] = skipped.to_json(system.skipped)
    return mask_tree(data)  # env values by name, ConfigMap/Secret data, arguments, URLs: never in full


def render(system: System) -> str:
    """The report as one string (small systems, tests); the CLI writes :func:`render_parts` as it goes."""
    return "".join(render_parts(system))


def render_parts(system: System) -> Iterator[str]:
    """The JSON text of :func:`to_dict`, indented by 2, in pieces whose concatenation is that text.

    pydantic_core's encoder writes what ``json.dumps(indent=2, ensure_ascii=False)`` does, 5x faster (an
    indented json.dumps runs in pure Python); only small floats are spelled out (0.00001, not 1e-05).
    Each record is masked as :func:`mask_tree` masks it inside the whole tree (a record is a mapping:
    nothing around it changes how it is masked).
    """
    with paused_gc():  # millions of new dicts and no cycles: collector passes over them doubled the time
        fields = _fields(system)
        small = mask_tree({k: v for k, v in fields if not isinstance(v, _Records)})
        yield "{"
        for i, (key, value) in enumerate(fields):
            head = ("\n  " if i == 0 else ",\n  ") + _encode(key) + ": "
            if not isinstance(value, _Records) or not value.items:
                shown = small[key] if not isinstance(value, _Records) else []
                yield head + _encode(shown).replace("\n", "\n  ")
                continue
            yield head + "["
            for j, item in enumerate(value.items):
                record = item.model_dump(mode="json", by_alias=True) if isinstance(item, BaseModel) else item
                yield (
                    ("" if j == 0 else ",")
                    + _ITEM_INDENT
                    + _encode(mask_tree(record)).replace("\n", _ITEM_INDENT)
                )
            yield "\n  ]"
        yield "\n}\n"


class _Records:
    """A top-level list rendered one record at a time."""

    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items


def _fields(system: System) -> list[tuple[str, Any]]:
    """The top-level keys in :func:`to_dict`'s order, each with its JSON-ready value or its records."""
    out: list[tuple[str, Any]] = []
    for name, field in type(system).model_fields.items():
        key = field.alias or name
        if name == "defaults":
            continue  # last, as it is given (to_dict moves it there)
        if name == "skipped":
            out.append((key, _Records(skipped.to_json(system.skipped))))
        elif name in _RECORDS:
            out.append((key, _Records(getattr(system, name))))
        else:
            out.append((key, system.model_dump(mode="json", by_alias=True, include={name})[key]))
    out.append(("defaults", system.defaults))
    return out


def _encode(value: Any) -> str:
    return pydantic_core.to_json(value, indent=2).decode()
