"""`redline generate --format json`: the :class:`~redline.generate.result.GenerateResult`, plus what was
not read.

Keys are the result model's (``generate/result.py``): ``system``, ``out``, ``only``, ``files``
(``path``, ``artifact``, ``what``), ``alerts`` (``name``, ``subject``, ``severity``, ``priority``,
``runbook``), ``skipped_artifacts`` (``artifact``, ``subject``, ``what``, ``reason``), ``checks``
(``name``, ``tool``, ``passed``, ``detail``), ``notes``, ``generated``; and ``skipped``:
``[{"file", "line", "kind", "reason"}]``, the files the scan did not read (the array every report
carries).
"""

from __future__ import annotations

import json

from redline.generate.result import GenerateResult
from redline.model import Skipped
from redline.report import skipped as not_read


def render(result: GenerateResult, skipped: list[Skipped] | None = None) -> str:
    data = result.model_dump(mode="json")
    data["skipped_artifacts"] = data.pop("skipped")
    data["generated"] = result.generated
    data["skipped"] = not_read.to_json(skipped or [])
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
