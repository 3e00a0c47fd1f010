"""Review outputs: JSON keys, SARIF validated against the official 2.1.0 schema, Markdown with Mermaid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

from redline.report import review_json, review_markdown, review_sarif, review_text
from redline.review.engine import Report, ReviewConfig, review
from redline.review.rule import REGISTRY, Category
from redline.sources.scan import scan

FIX = Path(__file__).parent / "fixtures"
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture(scope="module")
def system_and_report() -> tuple[object, Report]:
    system = scan(FIX / "AV003" / "positive.yaml")
    return system, review(system)


def test_json_keys(system_and_report: tuple[object, Report]) -> None:
    _, report = system_and_report
    data = json.loads(review_json.render(report))
    assert set(data) >= {"findings", "summary"}
    assert data["findings"], "fixture should produce findings"
    for f in data["findings"]:
        assert list(f) == list(review_json.FINDING_KEYS)
    assert {k: data["summary"][k] for k in ("critical", "high", "medium", "low")} == report.summary
    assert data["summary"]["total"] == len(report.findings)


def test_sarif_validates_against_official_schema(system_and_report: tuple[object, Report]) -> None:
    system, report = system_and_report
    doc = review_sarif.to_dict(report, getattr(system, "root", None))
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} == set(report.rules_run)
    for r in rules:
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert r["help"]["markdown"].startswith(f"## {r['id']}")
        assert r["properties"]["tags"][0] in {c.value for c in Category}
    levels = {res["ruleId"]: res["level"] for res in run["results"]}
    assert levels["AV003"] == "error"  # high
    for res in run["results"]:
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")


def test_sarif_fingerprints_stable_and_distinct(system_and_report: tuple[object, Report]) -> None:
    _, report = system_and_report
    a = review_sarif.to_dict(report)["runs"][0]["results"]
    moved = report.model_copy(
        update={"findings": [f.model_copy(update={"line": (f.line or 0) + 7}) for f in report.findings]}
    )
    b = review_sarif.to_dict(moved)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in a] == [r["partialFingerprints"] for r in b]
    prints = [r["partialFingerprints"]["redline/v1"] for r in a]
    assert len(set(prints)) == len(prints)


def test_sarif_whole_catalog_and_empty_report_validate() -> None:
    empty = Report(rules_run=sorted(REGISTRY), summary={"critical": 0, "high": 0, "medium": 0, "low": 0})
    doc = review_sarif.to_dict(empty)
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)
    assert doc["runs"][0]["results"] == []


def test_markdown_mermaid_colours_nodes_by_worst_finding(system_and_report: tuple[object, Report]) -> None:
    system, report = system_and_report
    md = review_markdown.render(report, system)  # type: ignore[arg-type]
    block = re.search(r"```mermaid\n(.*?)```", md, re.S)
    assert block, md
    graph = block.group(1)
    assert graph.startswith("graph LR")
    worst = report.worst_by_component()
    assert worst["gateway"].value == "high"
    assert re.search(r'n_gateway\S*"gateway', graph)
    assert "class n_gateway high" in graph
    assert re.search(r"n_web --> n_gateway", graph)
    for sev in ("critical", "high", "medium", "low"):
        assert f"classDef {sev} " in graph
    assert "| Severity | Findings |" in md
    assert "**AV003**" in md


def test_text_groups_by_severity(system_and_report: tuple[object, Report]) -> None:
    _, report = system_and_report
    console = Console(record=True, width=120, no_color=True)
    review_text.render(report, console)
    out = console.export_text()
    assert out.index("HIGH (") < out.index("MEDIUM (")
    assert "positive.yaml:22" in out  # gateway's Deployment
    assert "summary: 0 critical" in out and "why:" in out and "trade-off:" in out


def test_text_does_not_eat_brackets() -> None:
    report = review(scan(FIX / "SC004" / "positive.yaml"), ReviewConfig(select=["SC004"]))
    console = Console(record=True, width=200, no_color=True)
    review_text.render(report, console)
    assert "containers[name=api]" in console.export_text()  # inside the fix snippet; markup would drop it
