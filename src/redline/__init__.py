"""redline: find where a backend system breaks, from the files it already has.

The public surface is small and re-exported here (httpx-style)::

    import redline
    system = redline.scan("path/")          # -> redline.System
    from redline.review import review       # -> findings
    from redline.forecast import forecast   # -> latency, saturation, replicas, availability, cost
    from redline.load import LoadConfig, run

Names are imported on first use (PEP 562), so a command that needs only one engine, and the load
generator's worker processes, do not pay for importing the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from redline.model import Component, Edge, Kind, Source, System
    from redline.sources.scan import ScanError, scan

_LAZY = {
    "Component": "redline.model",
    "Edge": "redline.model",
    "Kind": "redline.model",
    "Source": "redline.model",
    "System": "redline.model",
    "ScanError": "redline.sources.scan",
    "scan": "redline.sources.scan",
}

__all__ = ["Component", "Edge", "Kind", "ScanError", "Source", "System", "__version__", "scan"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'redline' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
