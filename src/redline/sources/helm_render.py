"""The child process that renders one Helm chart with helm-python-sdk (run as a script by helm.py, so it
imports nothing of redline: a chart costs one interpreter start and the render).

``python helm_render.py CHART [--values FILE]... [--set K=V]...`` prints ``{"templates": {template:
text}, "values": merged values}`` as JSON; on failure, Helm's error on stderr and exit 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RELEASE, NAMESPACE = "release-name", "default"  # what `helm template` uses when not told


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of values: maps merge key by key, anything else replaces (``null`` deletes)."""
    merged = dict(base)
    stack = [(merged, over)]
    while stack:
        into, src = stack.pop()
        for key, value in src.items():
            if value is None:
                into.pop(key, None)
            elif isinstance(value, dict) and isinstance(into.get(key), dict):
                into[key] = dict(into[key])
                stack.append((into[key], value))
            else:
                into[key] = value
    return merged


def main(argv: list[str]) -> int:
    """``python -m redline.sources.helm CHART [--values F]... [--set K=V]...``: JSON on stdout, the
    error (as helm words it) on stderr."""
    import helm_python as helm

    chart_dir, rest = argv[0], argv[1:]
    user: dict[str, Any] = {}
    try:
        for flag, arg in zip(rest[::2], rest[1::2], strict=True):
            if flag == "--values":
                user = _merge(user, helm.values_from_yaml(Path(arg).read_text(encoding="utf-8")))
            else:
                user = _merge(user, helm.parse_set_string(arg))
        with helm.Chart.load(chart_dir) as chart:
            missing = _missing_dependencies(chart)
            if missing:
                print(
                    f"found in Chart.yaml, but missing in charts/ directory: {', '.join(missing)}",
                    file=sys.stderr,
                )
                return 1
            templates = chart.render(user, name=RELEASE, namespace=NAMESPACE, is_install=True)
            merged = chart.merge_values(user)
    except (helm.HelmError, OSError, ValueError) as exc:
        print(str(exc).strip() or type(exc).__name__, file=sys.stderr)
        return 1
    json.dump({"templates": templates, "values": merged}, sys.stdout)
    return 0


def _missing_dependencies(chart: Any) -> list[str]:
    """Dependencies Chart.yaml declares that charts/ does not hold: helm template refuses to render."""
    declared = chart.metadata.get("dependencies") or []
    loaded = {d.get("name") for d in chart.dependencies}
    return [str(d.get("name")) for d in declared if isinstance(d, dict) and d.get("name") not in loaded]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
