"""`redline generate`: SLO alerts, scaling policies, dashboards and runbooks written from the model.

Names load on first use (PEP 562): the redline.yaml reader imports :mod:`redline.generate.selectors`
and should not pay for the generators, Jinja2 or the forecast it never uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redline.generate.engine import GenerateInputError, check_out, generate
    from redline.generate.result import Artifact, GenerateResult

__all__ = ["Artifact", "GenerateInputError", "GenerateResult", "check_out", "generate"]

_WHERE = {
    "Artifact": "redline.generate.result",
    "GenerateResult": "redline.generate.result",
    "GenerateInputError": "redline.generate.engine",
    "check_out": "redline.generate.engine",
    "generate": "redline.generate.engine",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'redline.generate' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
