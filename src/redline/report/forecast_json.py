"""`redline forecast --format json`: the :class:`~redline.forecast.Forecast`, plus what was not read.

Keys are the Forecast model's (see ``forecast/result.py``) and ``skipped``:
``[{"file", "line", "kind", "reason"}]``, gating kinds first, the same array scan and review JSON carry.
"""

from __future__ import annotations

import json

from redline.forecast.result import Forecast
from redline.model import Skipped
from redline.report import skipped as not_read


def render(result: Forecast, skipped: list[Skipped] | None = None) -> str:
    data = result.model_dump(mode="json")
    data["skipped"] = not_read.to_json(skipped or [])
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
