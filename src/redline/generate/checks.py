"""Checks of the written files by the real tools, each bounded in time.

* ``promtool check rules`` on every rule file, and on the PromQL of every dashboard panel and of the
  sloth spec (each expression as a recording rule, Grafana's ``$__range`` and sloth's ``{{.window}}``
  replaced by a duration);
* ``promtool test rules`` on the SLO alert tests;
* HPAs and PDBs against the Kubernetes API schema (kubernetes-validate, offline, strict: an unknown
  field fails); a KEDA ScaledObject is a custom resource the schema does not hold, so only its required
  fields are checked;
* dashboards read into Grafana's own typed models (grafana-foundation-sdk) and written back: every key
  and value written must survive, so a misspelt or misplaced field fails. No Grafana server is
  installable here (Debian and npm ship none), so this is the import check that can run.

A tool that is not installed is a check not run (``passed: None``), said with what to install.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from redline.generate.result import CheckResult
from redline.generate.yamlout import dump

__all__ = ["PROMTOOL_TIMEOUT_S", "run_checks"]

PROMTOOL_TIMEOUT_S = 300
_VARS = {"$__range": "1h", "$__rate_interval": "5m", "$__interval": "1m", "{{.window}}": "5m"}


def _promtool() -> str | None:
    return shutil.which("promtool")


def _run(args: list[str], what: str) -> tuple[bool, str]:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=PROMTOOL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return False, f"{what}: no answer within {PROMTOOL_TIMEOUT_S} s"
    text = (done.stdout + done.stderr).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    tail = " | ".join(lines[-6:])
    return done.returncode == 0, tail


def run_checks(out: Path, files: dict[str, str]) -> list[CheckResult]:
    """Check the files just written under ``out`` (``files``: path relative to ``out`` -> text)."""
    results: list[CheckResult] = []
    rules = sorted(
        p
        for p in files
        if p.startswith("prometheus/")
        and p.endswith(".yaml")
        and "/tests/" not in p
        and p != "prometheus/sloth.yaml"
    )
    tests = sorted(p for p in files if p.startswith("prometheus/tests/"))
    exprs = _expressions(files)
    promtool = _promtool()
    if rules or tests or exprs:
        if promtool is None:
            results.append(
                CheckResult(
                    name="prometheus rules",
                    tool="promtool",
                    passed=None,
                    detail="promtool is not installed (Debian: apt-get install prometheus)",
                )
            )
        else:
            results.extend(_prometheus(promtool, out, rules, tests, exprs))
    kube = sorted(p for p in files if p.startswith("kubernetes/"))
    if kube:
        results.append(_kubernetes(files, kube))
    boards = sorted(p for p in files if p.startswith("grafana/"))
    if boards:
        results.append(_grafana(files, boards))
    return results


def _prometheus(
    promtool: str, out: Path, rules: list[str], tests: list[str], exprs: list[tuple[str, str]]
) -> list[CheckResult]:
    results = []
    if rules:
        ok, detail = _run(
            [promtool, "check", "rules", *(str(out / p) for p in rules)], "promtool check rules"
        )
        results.append(
            CheckResult(
                name="prometheus rules",
                tool="promtool check rules",
                passed=ok,
                detail=f"{', '.join(rules)}: {detail}",
            )
        )
    if tests:
        # One promtool per test file, side by side: each evaluates its rules for days of samples.
        with ThreadPoolExecutor(max_workers=len(tests)) as pool:
            runs = list(
                pool.map(
                    lambda p: _run([promtool, "test", "rules", str(out / p)], "promtool test rules"), tests
                )
            )
        results.append(
            CheckResult(
                name="SLO alert tests",
                tool="promtool test rules",
                passed=all(ok for ok, _ in runs),
                detail="; ".join(f"{p}: {detail}" for p, (_, detail) in zip(tests, runs, strict=True)),
            )
        )
    if exprs:
        doc = {
            "groups": [
                {
                    "name": "check",
                    "rules": [{"record": f"redline:check:{i}", "expr": e} for i, (_, e) in enumerate(exprs)],
                }
            ]
        }
        with tempfile.TemporaryDirectory(prefix="redline-check-") as tmp:
            path = Path(tmp) / "expressions.yaml"
            path.write_text(dump(doc), encoding="utf-8")
            ok, detail = _run([promtool, "check", "rules", str(path)], "promtool check rules")
            detail = detail.replace(str(path), "the expressions")
        where = sorted({w for w, _ in exprs})
        results.append(
            CheckResult(
                name="PromQL of dashboards and sloth spec",
                tool="promtool check rules",
                passed=ok,
                detail=f"{len(exprs)} expressions from {', '.join(where)}: {detail}",
            )
        )
    return results


def _substitute(expr: str) -> str:
    for var, value in _VARS.items():
        expr = expr.replace(var, value)
    return expr


def _expressions(files: dict[str, str]) -> list[tuple[str, str]]:
    """(file, expression) for every PromQL expression outside the rule files."""
    out: list[tuple[str, str]] = []
    for path in sorted(files):
        if path.startswith("grafana/"):
            board = json.loads(files[path])
            for panel in board.get("panels", []):
                for target in panel.get("targets", []):
                    out.append((path, _substitute(target["expr"])))
        elif path == "prometheus/sloth.yaml":
            spec = yaml.safe_load(files[path])
            for s in spec.get("slos", []):
                for query in s["sli"]["events"].values():
                    out.append((path, _substitute(query)))
    return out


def _kubernetes(files: dict[str, str], paths: list[str]) -> CheckResult:
    try:
        import kubernetes_validate
    except ImportError:
        return CheckResult(
            name="scaling objects",
            tool="kubernetes-validate",
            passed=None,
            detail="kubernetes-validate is not installed: pip install 'redline[validate]'",
        )
    version = kubernetes_validate.latest_version()
    problems: list[str] = []
    checked = 0
    for path in paths:
        doc = yaml.safe_load(files[path])
        if doc.get("kind") == "ScaledObject":
            missing = [k for k in ("scaleTargetRef", "triggers") if not doc.get("spec", {}).get(k)]
            if missing:
                problems.append(f"{path}: ScaledObject without {', '.join(missing)}")
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
            checked += 1
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as exc:
            problems.append(f"{path}: {getattr(exc, 'message', exc)}")
    keda = len(paths) - checked - sum(1 for p in problems if "ScaledObject" in p)
    detail = f"{checked} objects valid against Kubernetes {version} (strict)"
    if keda:
        detail += f"; {keda} KEDA ScaledObject(s) checked for required fields only (a CRD the schema lacks)"
    if problems:
        detail = "; ".join(problems)
    return CheckResult(name="scaling objects", tool="kubernetes-validate", passed=not problems, detail=detail)


def _survives(written: Any, read: Any, where: str, problems: list[str]) -> None:
    """Every key and value of ``written`` is in ``read`` unchanged (``read`` may add defaults)."""
    if isinstance(written, dict):
        if not isinstance(read, dict):
            problems.append(f"{where}: not an object after the round trip")
            return
        for key, value in written.items():
            if key not in read:
                problems.append(f"{where}.{key}: dropped (not in Grafana's schema here)")
            else:
                _survives(value, read[key], f"{where}.{key}", problems)
    elif isinstance(written, list):
        if not isinstance(read, list) or len(read) != len(written):
            problems.append(f"{where}: list changed")
            return
        for i, (a, b) in enumerate(zip(written, read, strict=True)):
            _survives(a, b, f"{where}[{i}]", problems)
    elif written != read:
        problems.append(f"{where}: {written!r} became {read!r}")


def _grafana(files: dict[str, str], paths: list[str]) -> CheckResult:
    try:
        from grafana_foundation_sdk.cog.encoder import JSONEncoder
        from grafana_foundation_sdk.cog.plugins import register_default_plugins
        from grafana_foundation_sdk.models.dashboard import Dashboard
    except ImportError:
        return CheckResult(
            name="dashboards",
            tool="grafana-foundation-sdk",
            passed=None,
            detail="grafana-foundation-sdk is not installed: pip install grafana-foundation-sdk",
        )
    register_default_plugins()
    problems: list[str] = []
    panels = 0
    for path in paths:
        written = json.loads(files[path])
        read = json.loads(json.dumps(Dashboard.from_json(written), cls=JSONEncoder))
        _survives(written, read, path, problems)
        panels += len(written.get("panels", []))
    detail = (
        f"{len(paths)} dashboard(s), {panels} panels read into Grafana's dashboard model and written back "
        "unchanged"
        if not problems
        else "; ".join(problems[:10])
    )
    return CheckResult(name="dashboards", tool="grafana-foundation-sdk", passed=not problems, detail=detail)
