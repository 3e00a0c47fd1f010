"""`redline scan --format json`: the System, with stable keys other commands and tests read.

Top-level keys: ``name``, ``root``, ``components``, ``edges``, ``unresolved``, ``objects``, ``entrypoints``,
``slo``, ``growth``, ``files``, ``skipped``, ``warnings``. Every key is always present (``null`` when
unknown), so consumers never need to guess whether a key was dropped or a value was unknown.
"""

from __future__ import annotations

import json
from typing import Any

from redline.model import System


def to_dict(system: System) -> dict[str, Any]:
    data = system.model_dump(mode="json", by_alias=True)
    data.pop("defaults", None)
    data["defaults"] = system.defaults
    return data


def render(system: System) -> str:
    return json.dumps(to_dict(system), indent=2, ensure_ascii=False) + "\n"
