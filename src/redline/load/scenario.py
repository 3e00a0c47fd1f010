"""Scenario files: a weighted mix of requests, CSV variables, expected statuses.

Example::

    target: http://127.0.0.1:8080
    headers: {Accept: application/json}
    data: products.csv            # columns become ${variables}; rows are used in turn
    requests:
      - name: list
        path: /products?page=${page}
        weight: 3
        expect: 200
      - name: create
        method: POST
        path: /products
        body: '{"sku": "${sku}"}'
        headers: {Content-Type: application/json}
        expect: [201, 409]
    load:                          # optional defaults; command-line options win
      rate: 100
      duration: 30s
      profile: baseline
      stages: "10s:50,20s:100"
      thresholds: ["p95<200ms", "errors<1%"]

Every error names the file and, for YAML, the line, because a scenario is edited by hand.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

from redline.load.http import RequestTemplate, parse_header

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_ROWS = 10_000
_LINE = "__line__"


class ScenarioError(ValueError):
    """A missing or malformed scenario or CSV file: exit code 2."""


@dataclass
class Scenario:
    path: Path
    target: str | None
    templates: list[RequestTemplate]
    rows: list[dict[str, str]] = field(default_factory=list)
    load: dict[str, Any] = field(default_factory=dict)


@functools.cache
def _line_loader() -> type[yaml.SafeLoader]:
    """A SafeLoader that remembers the line of every mapping (for error messages).

    Built on first use: PyYAML costs ~10 ms to import and most runs name no scenario file.
    """
    import yaml

    class _LineLoader(yaml.SafeLoader):
        pass

    def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
        mapping: dict[str, Any] = dict(loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]
        mapping[_LINE] = node.start_mark.line + 1
        return mapping

    _LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    return _LineLoader


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file (and its CSV)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"scenario file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc}") from None
    import yaml

    try:
        doc = yaml.load(text, Loader=_line_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{where}: malformed YAML: {problem}") from None
    if not isinstance(doc, dict):
        raise ScenarioError(f"{path}:1: a scenario must be a mapping with a 'requests' list")
    return _build(path, doc)


def _err(path: Path, node: Any, message: str) -> ScenarioError:
    line = node.get(_LINE, 1) if isinstance(node, dict) else 1
    return ScenarioError(f"{path}:{line}: {message}")


def _str_map(path: Path, node: dict[str, Any], key: str) -> tuple[tuple[str, str], ...]:
    value = node.get(key) or {}
    if not isinstance(value, dict):
        raise _err(path, node, f"'{key}' must be a mapping of header names to values")
    out = []
    for name, val in value.items():
        if name == _LINE:
            continue
        try:
            out.append(parse_header(f"{name}: {val}"))
        except ValueError as exc:
            raise _err(path, node, str(exc)) from None
    return tuple(out)


def _build(path: Path, doc: dict[str, Any]) -> Scenario:
    unknown = set(doc) - {"target", "headers", "data", "requests", "load", _LINE}
    if unknown:
        raise _err(path, doc, f"unknown key(s) {', '.join(sorted(unknown))}")
    target = doc.get("target")
    if target is not None and not isinstance(target, str):
        raise _err(path, doc, "'target' must be a URL string")
    common = _str_map(path, doc, "headers")
    reqs = doc.get("requests")
    if not isinstance(reqs, list) or not reqs:
        raise _err(path, doc, "'requests' must be a non-empty list")
    templates = [_template(path, node, i, common) for i, node in enumerate(reqs)]
    rows: list[dict[str, str]] = []
    if doc.get("data") is not None:
        if not isinstance(doc["data"], str):
            raise _err(path, doc, "'data' must be a CSV file path")
        rows = _read_csv(path.parent / doc["data"])
    columns = set(rows[0]) if rows else set()
    for tpl, node in zip(templates, reqs, strict=True):
        for var in _VAR.findall(
            tpl.path + tpl.body.decode("utf-8", "replace") + "".join(v for _, v in tpl.headers)
        ):
            if var not in columns:
                raise _err(
                    path, node, f"request {tpl.name!r} uses ${{{var}}} but no CSV column has that name"
                )
    load = doc.get("load") or {}
    if not isinstance(load, dict):
        raise _err(path, doc, "'load' must be a mapping")
    bad = set(load) - {
        "rate",
        "users",
        "think",
        "duration",
        "profile",
        "stages",
        "arrival",
        "connections",
        "thresholds",
        _LINE,
    }
    if bad:
        raise _err(path, load, f"unknown load option(s) {', '.join(sorted(bad))}")
    load = {k: v for k, v in load.items() if k != _LINE}
    return Scenario(path, target, templates, rows, load)


def _template(path: Path, node: Any, i: int, common: tuple[tuple[str, str], ...]) -> RequestTemplate:
    if not isinstance(node, dict):
        raise ScenarioError(f"{path}: requests[{i}] must be a mapping with at least 'path'")
    unknown = set(node) - {"name", "method", "path", "url", "weight", "expect", "headers", "body", _LINE}
    if unknown:
        raise _err(path, node, f"requests[{i}]: unknown key(s) {', '.join(sorted(unknown))}")
    req_path = node.get("path", node.get("url"))
    if not isinstance(req_path, str) or not req_path:
        raise _err(path, node, f"requests[{i}]: 'path' is required (e.g. /products)")
    weight = node.get("weight", 1)
    if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
        raise _err(path, node, f"requests[{i}]: 'weight' must be a positive number")
    expect_raw = node.get("expect")
    expect: frozenset[int] | None = None
    if expect_raw is not None:
        codes = expect_raw if isinstance(expect_raw, list) else [expect_raw]
        if not all(isinstance(c, int) and 100 <= c <= 599 for c in codes):
            raise _err(path, node, f"requests[{i}]: 'expect' must be a status code or a list of them")
        expect = frozenset(codes)
    body = node.get("body", "")
    if not isinstance(body, str):
        raise _err(path, node, f"requests[{i}]: 'body' must be a string")
    headers = common + _str_map(path, node, "headers")
    method = str(node.get("method", "GET")).upper()
    return RequestTemplate(
        str(node.get("name", f"{method} {req_path}")),
        method,
        req_path,
        headers,
        body.encode("utf-8"),
        float(weight),
        expect,
    )


def _read_csv(csv_path: Path) -> list[dict[str, str]]:
    try:
        with csv_path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            rows: list[dict[str, str]] = []
            for row in reader:
                if len(rows) >= MAX_ROWS:
                    break
                rows.append({k: v for k, v in row.items() if k is not None})
    except FileNotFoundError:
        raise ScenarioError(f"CSV data file not found: {csv_path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(f"cannot read CSV data file {csv_path}: {exc}") from None
    if not rows:
        raise ScenarioError(f"CSV data file {csv_path} has a header but no rows")
    return rows


def substitute(text: str, row: dict[str, str]) -> str:
    return _VAR.sub(lambda m: row.get(m.group(1), ""), text)


def expand(tpl: RequestTemplate, row: dict[str, str]) -> RequestTemplate:
    """The template with one CSV row's values filled in."""
    return RequestTemplate(
        tpl.name,
        tpl.method,
        substitute(tpl.path, row),
        tuple((n, substitute(v, row)) for n, v in tpl.headers),
        substitute(tpl.body.decode("utf-8"), row).encode("utf-8"),
        tpl.weight,
        tpl.expect,
    )


def uses_variables(tpl: RequestTemplate) -> bool:
    return bool(
        _VAR.search(tpl.path + tpl.body.decode("utf-8", "replace") + "".join(v for _, v in tpl.headers))
    )
