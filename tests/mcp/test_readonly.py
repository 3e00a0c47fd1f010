"""A read-only `redline mcp` over stdio, driven by the SDK's client: the tools with their schemas, every
read-only tool on the example shop with exact answers, the gates refusing, resources, prompts, and the
history of the session."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

import redline
from redline.history import HistoryStore
from tests.conftest import EXAMPLES, REPO
from tests.mcp.conftest import run_session

SHOP = "examples/shop/kubernetes"
TOOLS = [
    "scan", "review", "forecast", "explain_rule", "dependents", "blast_radius", "paths", "fix", "generate",
    "verify", "load",
]  # fmt: skip

CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "scan": ("scan", {"path": SHOP, "limit": 5}),
    "scan_page3": ("scan", {"path": SHOP, "offset": 10, "limit": 5}),
    "review_high": ("review", {"path": SHOP, "min_severity": "high", "limit": 5}),
    "review_postgres": ("review", {"path": SHOP, "component": "postgres", "select": ["AV"]}),
    "forecast": ("forecast", {"path": SHOP, "growth": 10, "limit": 3}),
    "explain_rule": ("explain_rule", {"code": "AV002"}),
    "dependents": ("dependents", {"path": SHOP, "component": "postgres"}),
    "blast_postgres": ("blast_radius", {"path": SHOP, "component": "postgres"}),
    "blast_orders": ("blast_radius", {"path": SHOP, "component": "orders"}),
    "paths": ("paths", {"path": SHOP, "entry": "web", "component": "postgres"}),
    "fix": ("fix", {"path": SHOP, "select": ["AV006"], "limit": 2}),
    # refused or impossible: each an error result with a message that says what to do
    "fix_write": ("fix", {"path": SHOP, "write": True}),
    "generate": ("generate", {"path": SHOP, "out": "out"}),
    "verify": ("verify", {"path": SHOP, "targets": {"web": "http://127.0.0.1:9/"}}),
    "load": ("load", {"url": "http://127.0.0.1:9/", "rate": 10}),
    "outside": ("scan", {"path": "../"}),
    "unknown": ("blast_radius", {"path": SHOP, "component": "postgre"}),
    "review_unknown": ("review", {"path": SHOP, "component": "cartt"}),
    "bad_limit": ("scan", {"path": SHOP, "limit": 500}),
}


async def _script(client: Client) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tools": (await client.list_tools()).tools,
        "templates": (await client.list_resource_templates()).resource_templates,
        "resources": (await client.list_resources()).resources,
        "prompts": (await client.list_prompts()).prompts,
        "instructions": client.instructions,
    }
    for key, (name, args) in CALLS.items():
        out[key] = await client.call_tool(name, args)
    out["review_md"] = await client.read_resource(f"redline://review/{SHOP}")
    out["model_json"] = await client.read_resource(f"redline://model/{SHOP}")
    out["incident"] = await client.get_prompt("incident", {"path": SHOP, "component": "postgres"})
    return out


def _tree() -> str:
    digest = hashlib.sha256()
    for f in sorted((EXAMPLES / "shop" / "kubernetes").iterdir()):
        digest.update(f.name.encode() + f.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    history = tmp_path_factory.mktemp("mcp") / "history.sqlite"
    before = _tree()
    out = run_session([], history, _script)
    out["history"] = history
    out["unchanged"] = _tree() == before
    return out


def _ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def _error(result: Any) -> str:
    assert result.is_error and result.structured_content is None
    text: str = result.content[0].text
    return text


def test_tools_are_listed_with_input_and_output_schemas(session: dict[str, Any]) -> None:
    tools = {t.name: t for t in session["tools"]}
    assert list(tools) == TOOLS
    for t in tools.values():
        assert t.description and t.input_schema["type"] == "object" and t.output_schema["type"] == "object"
    blast = tools["blast_radius"]
    assert blast.input_schema["required"] == ["path", "component"]
    assert set(blast.output_schema["required"]) >= {"component", "fails", "degrades", "unaffected"}
    assert tools["scan"].input_schema["properties"]["limit"]["maximum"] == 200
    assert tools["review"].input_schema["$defs"]["Severity"]["enum"] == ["critical", "high", "medium", "low"]
    # fix returns diffs and generate refuses on a read-only server; verify and load send requests
    assert [n for n, t in tools.items() if t.annotations.read_only_hint] == TOOLS[:9]
    assert "writes nothing" in session["instructions"] and "sends no load" in session["instructions"]


def test_scan_pages_the_components(session: dict[str, Any]) -> None:
    first, last = _ok(session["scan"]), _ok(session["scan_page3"])
    assert (first["system"], first["path"], first["files_read"], first["edges_total"]) == (
        "shop",
        SHOP,
        9,
        16,
    )
    assert first["entrypoints"] == [
        {"name": "web", "component": "gateway", "rps": 300.0, "inferred": False, "reason": None}
    ]
    assert [c["name"] for c in first["components"]] == [
        "api.stripe.com",
        "cart",
        "catalog",
        "frontend",
        "gateway",
    ]
    assert first["page"] == {"offset": 0, "limit": 5, "total": 14, "next_offset": 5}
    assert [c["name"] for c in last["components"]] == ["rabbitmq", "redis", "smtp.sendgrid.net", "worker"]
    assert last["page"] == {"offset": 10, "limit": 5, "total": 14, "next_offset": None}
    frontend = first["components"][3]
    assert (frontend["defined_at"], frontend["replicas"]) == ("frontend.yaml:1", 3)
    assert [(c["callee"], c["count"], c["evidence"][0]) for c in frontend["calls"]] == [
        ("cart", 1.0, "redline.yaml:26 redline.yaml calls cart"),
        ("catalog", 2.0, "redline.yaml:25 redline.yaml calls catalog"),
        ("orders", 0.1, "redline.yaml:27 redline.yaml calls orders"),
    ]


def test_review_filters_and_pages(session: dict[str, Any]) -> None:
    high = _ok(session["review_high"])
    assert high["summary"] == {"critical": 0, "high": 9, "medium": 0, "low": 0}
    assert high["page"] == {"offset": 0, "limit": 5, "total": 9, "next_offset": 5}
    assert (high["rules_run"], high["entrypoints"], high["skipped"], high["errors"]) == (
        83,
        ["gateway"],
        [],
        [],
    )
    first = high["findings"][0]
    assert (first["rule"], first["component"], first["where"], first["severity"]) == (
        "AV002", "postgres", "datastores.yaml:1", "high",
    )  # fmt: skip
    postgres = _ok(session["review_postgres"])
    assert [(f["rule"], f["where"]) for f in postgres["findings"]] == [("AV002", "datastores.yaml:1")]
    assert postgres["summary"] == {"critical": 0, "high": 1, "medium": 0, "low": 0}


def test_forecast_is_the_library_forecast(session: dict[str, Any]) -> None:
    from redline.forecast import forecast

    fc = forecast(redline.scan(EXAMPLES / "shop" / "kubernetes"), growth=10)
    got = _ok(session["forecast"])
    assert got["growth"]["target_rps"] == 3000.0 and got["breached"] is True
    assert got["entrypoints"] == [e.model_dump(mode="json") for e in fc.entrypoints]
    assert got["components"] == [c.model_dump(mode="json") for c in fc.components[:3]]
    assert got["page"] == {"offset": 0, "limit": 3, "total": 14, "next_offset": 3}


def test_explain_rule(session: dict[str, Any]) -> None:
    rule = _ok(session["explain_rule"])
    assert (rule["code"], rule["name"], rule["category"], rule["severity"]) == (
        "AV002", "single-instance-datastore", "availability", "high",
    )  # fmt: skip
    assert list(rule["sections"]) == ["What it does", "Why it matters", "Example", "Fix", "Trade-offs"]


def test_dependents_of_postgres(session: dict[str, Any]) -> None:
    deps = _ok(session["dependents"])
    assert [c["caller"] for c in deps["callers"]] == ["catalog", "nightly-report", "orders", "worker"]
    assert deps["callers"][0]["evidence"] == [
        "redline.yaml:33 redline.yaml calls postgres",
        "catalog.yaml:38 env DATABASE_HOST=postgres (from ConfigMap catalog-config)",
    ]
    assert deps["callers"][2]["evidence"][1] == (
        "orders.yaml:21 env DATABASE_URL=postgres://orders:****@postgres.default.svc.cluster.local:5432/orders"
    )
    assert deps["upstream"] == [
        "catalog",
        "frontend",
        "gateway",
        "ingress/shop",
        "nightly-report",
        "orders",
        "worker",
    ]
    assert deps["entrypoints"] == ["web"]


def test_blast_radius_of_postgres_names_every_entry_point_that_needs_it(session: dict[str, Any]) -> None:
    blast = _ok(session["blast_postgres"])
    assert [f["entrypoint"] for f in blast["fails"]] == ["web"]
    assert (blast["degrades"], blast["unaffected"], blast["notes"]) == ([], [], [])
    web = blast["fails"][0]
    assert [(h["caller"], h["callee"]) for h in web["path"]] == [
        ("gateway", "frontend"), ("frontend", "catalog"), ("catalog", "postgres"),
    ]  # fmt: skip
    assert (web["calls_per_request"], web["cut_off"]) == (4.4, [])  # 1×2×2 via catalog + 1×0.1×4 via orders
    assert blast["dependents"] == ["catalog", "nightly-report", "orders", "worker"]
    orders = _ok(session["blast_orders"])
    assert orders["fails"] == []
    (web,) = orders["degrades"]
    assert (web["entrypoint"], web["calls_per_request"]) == ("web", 0.1)
    assert web["cut_off"] == ["api.stripe.com", "payments", "rabbitmq"]
    assert "frontend → orders (count 0.1)" in web["reason"]


def test_paths_from_web_to_postgres(session: dict[str, Any]) -> None:
    paths = _ok(session["paths"])
    assert (paths["entry_component"], paths["total"], paths["truncated"]) == ("gateway", 2, False)
    got = [
        ([h["callee"] for h in p["hops"]], p["calls_per_request"], p["every_request"]) for p in paths["paths"]
    ]
    assert got == [
        (["frontend", "catalog", "postgres"], 4.0, True),
        (["frontend", "orders", "postgres"], 0.4, False),
    ]


def test_fix_returns_diffs_and_writes_nothing(session: dict[str, Any]) -> None:
    fix = _ok(session["fix"])
    assert fix["written"] is False and session["unchanged"]
    assert fix["totals"] == {"applied": 0, "would_apply": 5, "skipped_unsafe": 0, "advice": 0, "rejected": 0}
    assert (fix["findings_before"], fix["findings_after"]) == (67, 62)
    assert [f["file"] for f in fix["files"]] == ["cart.yaml", "catalog.yaml"]
    assert fix["page"] == {"offset": 0, "limit": 2, "total": 5, "next_offset": 2}
    assert fix["files"][0]["diff"].startswith("--- a/cart.yaml\n+++ b/cart.yaml\n")
    assert "topologySpreadConstraints:" in fix["files"][0]["diff"]


def test_gates_refuse_with_a_message_that_says_what_to_do(session: dict[str, Any]) -> None:
    assert "started with `redline mcp --allow-write`; call fix without write" in _error(session["fix_write"])
    assert "generate writes files only on a server started with" in _error(session["generate"])
    assert "verify and load run only on a server started with `redline mcp --allow-load`" in _error(
        session["verify"]
    )
    assert "verify and load run only" in _error(session["load"])
    assert f"../: outside the server's root {REPO}" in _error(session["outside"])
    assert "no component 'postgre' in shop; did you mean postgres?" in _error(session["unknown"])
    assert "no component 'cartt' in shop; did you mean cart?" in _error(session["review_unknown"])
    assert "limit" in _error(session["bad_limit"])


def test_resources_and_prompts(session: dict[str, Any]) -> None:
    assert [t.uri_template for t in session["templates"]] == [
        "redline://model/{+path}",
        "redline://review/{+path}",
    ]
    assert [str(r.uri) for r in session["resources"]] == ["redline://rules"]
    review = session["review_md"].contents[0]
    assert review.mime_type == "text/markdown" and review.text.startswith(
        "## redline review\n\n**67 findings**"
    )
    model = json.loads(session["model_json"].contents[0].text)
    assert (model["name"], len(model["components"]), len(model["edges"])) == ("shop", 14, 16)
    assert [p.name for p in session["prompts"]] == ["architecture_review", "capacity_plan", "incident"]
    text = session["incident"].messages[0].content.text
    assert text.startswith("Incident: `postgres` is down in the system in `examples/shop/kubernetes`.")
    assert "`blast_radius` with path `examples/shop/kubernetes` and component `postgres`" in text


def test_every_call_is_in_the_history(session: dict[str, Any]) -> None:
    with HistoryStore(Path(session["history"])) as store:
        runs = list(reversed(store.runs(limit=100)))
    recorded = [k for k in CALLS if k != "bad_limit"]  # the SDK refuses a bad argument before the tool runs
    calls = [f"mcp:{CALLS[k][0]}" for k in recorded]
    assert [r.command for r in runs] == [*calls, "mcp:review-resource", "mcp:model", "mcp"]
    codes = {key: r.exit_code for key, r in zip(recorded, runs[: len(recorded)], strict=True)}
    assert [k for k, code in codes.items() if code == 2] == [
        "fix_write", "generate", "verify", "load", "outside", "unknown", "review_unknown",
]  # fmt: skip
    assert runs[0].target == str(REPO / SHOP) and runs[0].counts["components"] == 14
    assert runs[2].findings == 67 and runs[2].options["min_severity"] == "high"
    assert runs[-1].exit_code == 0 and runs[-1].duration_s > runs[0].duration_s
