"""Review outputs: JSON keys, SARIF validated against the official 2.1.0 schema, Markdown with Mermaid."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console
from tests.conftest import samples_dir

from redline.report import review_concise, review_json, review_markdown, review_sarif, review_text
from redline.report.graph import node_id
from redline.report.review_groups import Stories, template
from redline.review.engine import Report, ReviewConfig, review
from redline.review.rule import REGISTRY, Category, Severity, arguments_fingerprint, secret_fingerprint
from redline.sources.scan import find_repo_root, scan

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


# ------------------------------------------------------------------------------ output that scales

SHOP = Path(__file__).parents[2] / "examples" / "shop"

SECRETS_COMPOSE = """\
services:
  api:
    image: example/api:1.0
    environment:
      DB_PASSWORD: "correct-horse-battery"
  worker:
    image: example/worker:1.0
    environment:
      DB_PASSWORD: "correct-horse-battery"
  admin:
    image: example/admin:1.0
    environment:
      ADMIN_PASSWORD: "another-secret-value"
  redis:
    image: redis:7.4
    command: ["redis-server", "--requirepass", "red-pass-9931"]
    healthcheck:
      test: ["CMD", "redis-cli", "-a", "red-pass-9931", "ping"]
"""


@pytest.fixture(scope="module")
def shop() -> tuple[object, Report]:
    system = scan(SHOP / "kubernetes")
    return system, review(system)


@pytest.fixture
def secrets_report(tmp_path: Path) -> Report:
    (tmp_path / "compose.yaml").write_text(SECRETS_COMPOSE)
    return review(scan(tmp_path), ReviewConfig(select=["SE"]))


def test_stories_group_identical_findings_of_the_shop(shop: tuple[object, Report]) -> None:
    _, report = shop
    groups = Stories(report.findings).groups(report.findings)
    assert [(g.rule, g.severity.value, len(g.findings)) for g in groups] == [
        ("RS002", "high", 3),
        ("AV002", "high", 1),
        ("AV002", "high", 1),
        ("AV009", "high", 1),
        ("RS004", "high", 1),
        ("SE002", "high", 1),
        ("SE014", "high", 1),
        ("RS003", "medium", 5),
        ("RS005", "medium", 5),
        ("AV004", "medium", 4),
        ("AV002", "medium", 1),
        ("OP001", "medium", 1),
        ("OP003", "medium", 1),
        ("RS005", "medium", 1),
        ("RS007", "medium", 1),
        ("SC001", "medium", 1),
        ("SE015", "medium", 1),
        ("SE007", "low", 10),
        ("OP010", "low", 8),
        ("AV006", "low", 5),
        ("OP002", "low", 5),
        ("SC001", "low", 4),
        ("OP005", "low", 1),
        ("OP007", "low", 1),
        ("OP013", "low", 1),
        ("OP014", "low", 1),
        ("OP015", "low", 1),
    ]
    se007 = next(g for g in groups if g.rule == "SE007")
    assert se007.headline == (
        "container `…` of `…` does not enforce a non-root user (no runAsNonRoot, no runAsUser): it runs as "
        "the image's USER, root for many images"
    )
    assert [f.component for f in se007.findings][:3] == ["cart", "catalog", "postgres"]
    # Two findings of one rule with different stories (a queue, a datastore) stay apart.
    av002 = [g for g in groups if g.rule == "AV002" and g.severity.value == "high"]
    assert [g.first.component for g in av002] == ["postgres", "rabbitmq"]


def test_story_template_abstracts_quotes_lists_and_numbers() -> None:
    assert (
        template("`a` runs 3 replicas, sees `b`, `c` and `d` at 0.5 s")
        == "`…` runs N replicas, sees `…` at N s"
    )


def test_one_finding_per_secret_value_lists_the_other_places(secrets_report: Report) -> None:
    assert [(f.rule, f.component, f.line, f.evidence) for f in secrets_report.findings] == [
        ("SE001", "api", 5, ["compose.yaml:9 the same value (SE001 on `worker`)"]),
        ("SE001", "admin", 13, []),
        ("SE017", "redis", 14, ["compose.yaml:17 the same value (SE018 on `redis`)"]),
    ]
    assert secrets_report.summary == {"critical": 0, "high": 3, "medium": 0, "low": 0}
    dumped = json.dumps(review_json.to_dict(secrets_report))
    assert "correct-horse" not in dumped and "red-pass-9931" not in dumped
    assert "fingerprint" not in dumped  # the digest stays inside the process


def test_every_place_of_a_secret_when_asked(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(SECRETS_COMPOSE)
    report = review(scan(tmp_path), ReviewConfig(select=["SE"]), one_secret_one_finding=False)
    assert [(f.rule, f.component, f.line, f.evidence) for f in report.findings] == [
        ("SE001", "api", 5, []),
        ("SE001", "worker", 9, []),
        ("SE001", "admin", 13, []),
        ("SE017", "redis", 14, []),
        ("SE018", "redis", 17, []),
    ]


def test_secret_fingerprint_is_keyed_and_never_the_value() -> None:
    digest = secret_fingerprint("hunter2-secret")
    assert digest == secret_fingerprint("'hunter2-secret' ")  # quotes and spaces are not the value
    assert digest != secret_fingerprint("hunter2-secreT")
    assert digest is not None and "hunter2" not in digest and len(digest) == 32
    assert digest != hashlib.sha256(b"hunter2-secret").hexdigest()[:32]  # not guessable offline
    assert arguments_fingerprint(["redis-server", "--requirepass", "hunter2-secret"]) == digest
    assert secret_fingerprint(None, "  ") is None


def test_concise_is_one_line_per_finding(secrets_report: Report) -> None:
    assert review_concise.render(secrets_report).splitlines() == [
        "compose.yaml:5 SE001 high api env `DB_PASSWORD` of container `api` in `api` holds a plaintext "
        "credential `co****`",
        "compose.yaml:13 SE001 high admin env `ADMIN_PASSWORD` of container `admin` in `admin` holds a "
        "plaintext credential `an****`",
        "compose.yaml:14 SE017 high redis container `redis` of `redis` passes a credential on its command "
        "line: `--requirepass re****`",
        f"summary: 0 critical, 3 high, 0 medium, 0 low ({len(report_rules('SE'))} rules run)",
    ]


def report_rules(prefix: str) -> list[str]:
    return [c for c in REGISTRY if c.startswith(prefix)]


def test_text_summary_comes_first_and_stories_list_places(shop: tuple[object, Report]) -> None:
    _, report = shop
    console = Console(file=io.StringIO(), width=100, no_color=True)
    review_text.render(report, console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    lines = out.splitlines()
    assert lines[:5] == [
        "redline review: 67 findings, fails --fail-on high",
        "  severity: 0 critical, 9 high, 21 medium, 37 low (83 rules run)",
        "  by rule: SE007 10, OP010 8, RS005 6, RS003 5, SC001 5, AV006 5, OP002 5, AV004 4, AV002 3, RS002 3, "
        "AV009 1, RS004 1, and 11 more rules",
        "  top components: orders (2 high, 5 medium, 4 low); frontend (2 high, 1 medium, 1 low); rabbitmq "
        "(2 high, 3 low); redis (1 high, 2 medium, 3 low); postgres (1 high, 3 low)",
        "",
    ]
    assert "── HIGH (9): 7 stories ──" in lines and "── LOW (37): 10 stories ──" in lines
    start = lines.index("SE007 run-as-non-root-not-enforced  [low]  10 places")
    places = lines[lines.index("  places:", start) + 1 :][:10]
    assert places[0] == "    cart.yaml:15  cart" and places[-1] == "    worker.yaml:16  worker"
    assert lines[-1] == "summary: 0 critical, 9 high, 21 medium, 37 low (83 rules run)"
    assert out.count("run-as-non-root-not-enforced") == 1  # one entry, not ten


def test_text_is_not_padded_or_cropped_off_a_terminal(shop: tuple[object, Report]) -> None:
    _, report = shop
    console = Console(file=io.StringIO(), width=60, no_color=True)  # a pipe: not a terminal
    review_text.render(report, console)
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert not [line for line in lines if line != line.rstrip()]  # no padding
    worker = next(f for f in report.findings if f.rule == "OP005")
    advice = worker.fix.snippet.splitlines()[0]
    assert len(advice) > 160 and f"    {advice}" in lines  # the snippet line, whole, on one line


def test_text_wraps_prose_but_never_a_snippet_on_a_terminal(shop: tuple[object, Report]) -> None:
    _, report = shop
    console = Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None)
    review_text.render(report, console)
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    worker = next(f for f in report.findings if f.rule == "OP005")
    advice = worker.fix.snippet.splitlines()[0]
    assert f"    {advice}" in lines
    long = [line for line in lines if len(line) > 80]
    assert long and all(line.startswith("    ") and line.strip() in worker_snippets(report) for line in long)


def worker_snippets(report: Report) -> set[str]:
    return {line.strip() for f in report.findings for line in f.fix.snippet.splitlines()}


def test_min_severity_filters_what_is_shown_not_the_gate(shop: tuple[object, Report]) -> None:
    system, _ = shop
    report = review(system, ReviewConfig(min_severity=Severity.HIGH, fail_on="medium"))  # type: ignore[arg-type]
    assert len(report.shown()) == 9 and len(report.findings) == 67 and report.failed()
    data = review_json.to_dict(report)
    assert len(data["findings"]) == 9
    assert {k: data["summary"][k] for k in ("total", "shown", "min_severity", "medium")} == {
        "total": 67,
        "shown": 9,
        "min_severity": "high",
        "medium": 21,
    }
    console = Console(file=io.StringIO(), width=200, no_color=True)
    review_text.render(report, console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "  not shown: 58 findings below high (--min-severity)" in out
    assert "MEDIUM (" not in out and "HIGH (9)" in out
    assert len(review_concise.render(report).splitlines()) == 9 + 1
    sarif = review_sarif.to_dict(report, getattr(system, "root", None))
    assert len(sarif["runs"][0]["results"]) == 9


def test_json_rows_name_their_story(shop: tuple[object, Report]) -> None:
    _, report = shop
    data = review_json.to_dict(report)
    assert data["format"] == "redline-review/1"
    groups = Counter(f["group"] for f in data["findings"])
    se007 = {f["group"] for f in data["findings"] if f["rule"] == "SE007"}
    assert len(se007) == 1 and groups[se007.pop()] == 10
    assert len(groups) == 27
    assert data["summary"]["by_rule"]["SE007"] == 10 and sum(data["summary"]["by_rule"].values()) == 67


def test_markdown_is_capped_and_says_what_it_left_out(shop: tuple[object, Report]) -> None:
    system, report = shop
    md = review_markdown.render(report, system, max_bytes=12_000)  # type: ignore[arg-type]
    assert len(md.encode()) <= 12_000
    note = next(line for line in md.splitlines() if line.startswith("> **"))
    shown = md.count("\n- **")
    left = int(re.match(r"> \*\*(\d+) more findings? in (\d+)", note).group(1))  # type: ignore[union-attr]
    assert shown < 27 and left > 0
    assert "`redline review --format sarif`" in note
    full = review_markdown.render(report, system)  # type: ignore[arg-type]
    assert full.count("\n- **") == 27 and "> **" not in full  # everything fits: nothing left out


MERMAID_NODE = re.compile(r'^  (n_\w+)(\[\(|\[\[|\{\{|\(\[|\[)"([^"]*)"(\)\]|\]\]|\}\}|\]\)|\])$')
MERMAID_EDGE = re.compile(r'^  (n_\w+) (-->|-\.->)(?:\|"[^"|]*"\|)? (n_\w+)$')
MERMAID_CLASS = re.compile(r"^  class (n_\w+) (critical|high|medium|low)$")
MERMAID_CLASSDEF = re.compile(r"^  classDef (critical|high|medium|low) [\w:#,]+$")
SHAPES = {"[": "]", "[(": ")]", "[[": "]]", "{{": "}}", "([": "])"}


def check_mermaid(text: str) -> tuple[int, int]:
    """Validate a ``graph LR`` block line by line; ``(nodes, edges)``. Every id used is declared first."""
    lines = text.splitlines()
    assert lines[0] == "graph LR"
    nodes: set[str] = set()
    edges = 0
    for line in lines[1:]:
        if m := MERMAID_NODE.match(line):
            assert SHAPES[m.group(2)] == m.group(4) and m.group(1) not in nodes, line
            nodes.add(m.group(1))
        elif m := MERMAID_EDGE.match(line):
            assert {m.group(1), m.group(3)} <= nodes, line
            edges += 1
        elif m := MERMAID_CLASS.match(line):
            assert m.group(1) in nodes, line
        else:
            assert MERMAID_CLASSDEF.match(line), line
    return len(nodes), edges


@pytest.fixture(scope="module")
def deathstarbench() -> tuple[object, Report, str]:
    system = scan(samples_dir("deathstarbench"))
    report = review(system)
    return system, report, review_markdown.render(report, system)


def test_markdown_of_deathstarbench_fits_a_comment_and_its_graph_renders(
    deathstarbench: tuple[object, Report, str],
) -> None:
    system, report, md = deathstarbench
    assert len(md.encode()) < 60_000
    block = re.search(r"```mermaid\n(.*?)\n```", md, re.S)
    assert block is not None
    graph = block.group(1)
    assert len(graph) < 50_000
    nodes, edges = check_mermaid(graph)
    assert edges <= 500
    total = len(system.components)  # type: ignore[attr-defined]
    assert nodes < total
    assert f"<sub>{nodes} of {total} components drawn: those with " in md
    classes = dict(re.findall(r"^  class (n_\w+) (\w+)$", graph, re.M))
    assert len(classes) == nodes  # every component drawn carries a finding: the collapse keeps only those
    level = re.search(r"components drawn: those with (\w+) or worse findings", md)
    assert level is not None  # the graph collapsed to a severity
    kept = Severity(level.group(1))
    worst = report.worst_by_component()
    assert {node_id(n) for n, sev in worst.items() if sev.at_least(kept)} == set(classes)
    left = re.search(r"> \*\*([\d,]+) more findings in ([\d,]+) more stories not shown\*\*", md)
    assert left is not None  # what did not fit is counted, with a pointer to SARIF and JSON
    listed = [line for line in md.splitlines() if line.startswith("- **")]
    shown = sum(int(m.group(1)) if (m := re.search(r"· ([\d,]+) places", line)) else 1 for line in listed)
    assert shown + int(left.group(1).replace(",", "")) == len(report.findings)


def test_sarif_uris_are_relative_to_the_git_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    deploy = tmp_path / "deploy" / "k8s"
    deploy.mkdir(parents=True)
    (deploy / "av003.yaml").write_text((FIX / "AV003" / "positive.yaml").read_text())
    (deploy / "notes.yaml").write_text("hello: world\n")  # ignored by design: a notification
    system = scan(deploy)
    report = review(system)
    doc = review_sarif.to_dict(report, system.root, str(find_repo_root(Path(system.root))))
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)
    run = doc["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"deploy/k8s/av003.yaml"}
    gateway = next(r for r in run["results"] if r["ruleId"] == "AV003")
    assert gateway["locations"][0]["physicalLocation"]["region"] == {"startLine": 22}
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "deploy/k8s/notes.yaml"


CHART = {
    "Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "values.yaml": "image: example/api:1.0\n",
    "templates/api.yaml": """\
{{- /* a comment that moves every rendered line away from its template line */ -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: {{ .Values.image }}
""",
}


def test_sarif_points_rendered_helm_findings_at_the_template_without_a_line(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    for name, text in CHART.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / name).write_text(text)
    system = scan(tmp_path)
    report = review(system, ReviewConfig(select=["OP005"]))
    assert [(f.rule, f.file) for f in report.findings] == [("OP005", "chart/templates/api.yaml")]
    doc = review_sarif.to_dict(report, system.root)
    (result,) = doc["runs"][0]["results"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": "chart/templates/api.yaml", "uriBaseId": "%SRCROOT%"}}
    line = report.findings[0].line
    assert result["properties"]["rendered_line"] == line
    assert f"(line {line} of the rendered template)" in result["message"]["text"]
