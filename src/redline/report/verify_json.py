"""`redline verify --format json`: the :class:`~redline.verify.VerifyResult`, plus what was not read.

Keys are the VerifyResult model's (``verify/result.py``; docs/verify.md lists them) and ``skipped``, the
same array scan, review and forecast JSON carry.
"""

from __future__ import annotations

import json

from redline.model import Skipped
from redline.report import skipped as not_read
from redline.verify.result import Calibration, VerifyResult

__all__ = ["render", "render_calibration"]


def render(result: VerifyResult, skipped: list[Skipped] | None = None) -> str:
    data = result.model_dump(mode="json", by_alias=True)
    data["skipped"] = not_read.to_json(skipped or [])
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def render_calibration(result: Calibration) -> str:
    return json.dumps(result.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n"
