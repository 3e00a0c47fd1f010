"""``redline verify``: the forecast against the running system, and how far apart they are.

Public API::

    from redline.verify import verify, replay
    result = verify(system, {"web": "http://127.0.0.1:8080/"}, at=(0.5, 0.7, 0.85), duration=20, warmup=5)
    result.verdict, result.entrypoints[0].saturation.measured_rps

See docs/verify.md for the method: the noise band, the trend test, the saturation search, and its limits.
"""

from __future__ import annotations

from redline.verify.engine import DEFAULT_AT, VerifyError, VerifyInterrupted, replay, verify
from redline.verify.result import EntrypointVerify, LoadPoint, Saturation, Step, Verdict, VerifyResult

__all__ = [
    "DEFAULT_AT",
    "EntrypointVerify",
    "LoadPoint",
    "Saturation",
    "Step",
    "Verdict",
    "VerifyError",
    "VerifyInterrupted",
    "VerifyResult",
    "replay",
    "verify",
]
