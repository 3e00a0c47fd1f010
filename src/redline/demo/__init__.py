"""The reference system: small asyncio services on 127.0.0.1 whose capacity is known by construction.

``python -m redline.demo --config single|back-bound|few-front`` runs one of the configurations in
:mod:`redline.demo.systems`; each comes with its ``redline.yaml`` (``systems/<config>/redline.yaml``).
The docs and tests use it to show ``redline verify`` and ``redline calibrate``; see docs/verify.md.
"""

from __future__ import annotations

from redline.demo.systems import SYSTEMS, Call, Config, Pool, Service, SystemSpec, redline_yaml

__all__ = ["SYSTEMS", "Call", "Config", "Pool", "Service", "SystemSpec", "redline_yaml"]
