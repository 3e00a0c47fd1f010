"""redline: find where a backend system breaks, from the files it already has.

The public surface is small and re-exported here (httpx-style)::

    import redline
    system = redline.scan("path/")          # -> redline.System
"""

from __future__ import annotations

from redline.model import Component, Edge, Kind, Source, System
from redline.sources.scan import ScanError, scan

__version__ = "0.1.0"

__all__ = ["Component", "Edge", "Kind", "ScanError", "Source", "System", "__version__", "scan"]
