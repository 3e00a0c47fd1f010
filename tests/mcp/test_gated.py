"""A server started with --allow-write and --allow-load, over stdio: fix writes, generate writes into the
folder the client names, load goes to loopback only and is bounded; paths stay inside --root."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from tests.conftest import EXAMPLES, ok_server
from tests.mcp.conftest import run_session


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    with ok_server() as port:
        yield port


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, http_port: int) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("root")
    shutil.copytree(EXAMPLES / "shop" / "kubernetes", root / "shop")
    calls: dict[str, tuple[str, dict[str, Any]]] = {
        "fix": ("fix", {"path": "shop", "select": ["AV006"], "write": True}),
        "generate": ("generate", {"path": "shop", "out": "generated", "only": ["runbooks"]}),
        "generate_outside": ("generate", {"path": "shop", "out": "../elsewhere"}),
        "load": ("load", {"url": f"http://127.0.0.1:{http_port}/", "rate": 20, "duration_s": 1}),
        "load_remote": ("load", {"url": "http://10.1.2.3/", "rate": 20}),
        "verify_remote": ("verify", {"path": "shop", "targets": {"web": "http://192.168.1.1/"}}),
    }

    async def script(client: Client) -> dict[str, Any]:
        out: dict[str, Any] = {"tools": (await client.list_tools()).tools}
        for key, (name, args) in calls.items():
            out[key] = await client.call_tool(name, args)
        return out

    out = run_session(["--allow-write", "--allow-load", "--root", str(root)], None, script, cwd=root)
    out["root"] = root
    return out


def test_write_tools_are_no_longer_read_only(session: dict[str, Any]) -> None:
    hints = {t.name: t.annotations.read_only_hint for t in session["tools"]}
    assert [n for n, ro in hints.items() if not ro] == ["fix", "generate", "verify", "load"]


def test_fix_writes_its_validated_changes(session: dict[str, Any]) -> None:
    result = session["fix"]
    assert not result.is_error, result.content[0].text
    fix = result.structured_content
    assert fix["written"] is True
    assert fix["totals"] == {"applied": 5, "would_apply": 0, "skipped_unsafe": 0, "advice": 0, "rejected": 0}
    assert [f["file"] for f in fix["files"]] == [
        "cart.yaml",
        "catalog.yaml",
        "gateway.yaml",
        "orders.yaml",
        "payments.yaml",
    ]
    for name in ("cart", "catalog", "gateway", "orders", "payments"):
        assert "topologySpreadConstraints:" in (session["root"] / "shop" / f"{name}.yaml").read_text()
    assert "topologySpreadConstraints" not in (EXAMPLES / "shop" / "kubernetes" / "cart.yaml").read_text()


def test_generate_writes_into_the_named_folder_only(session: dict[str, Any]) -> None:
    result = session["generate"]
    assert not result.is_error, result.content[0].text
    gen = result.structured_content
    assert gen["out"] == "generated" and gen["only"] == ["runbooks"]
    written = sorted(p.relative_to(session["root"] / "generated").as_posix()
                     for p in (session["root"] / "generated").rglob("*") if p.is_file())  # fmt: skip
    assert written == sorted(f["path"] for f in gen["files"]) and "runbooks/README.md" in written
    assert "outside the server's root" in session["generate_outside"].content[0].text
    assert not (session["root"].parent / "elsewhere").exists()


def test_load_goes_to_loopback_only(session: dict[str, Any]) -> None:
    result = session["load"]
    assert not result.is_error, result.content[0].text
    load = result.structured_content
    assert (load["model"], load["errors"], load["exit_code"]) == ("open", 0, 0)
    assert load["requests"] == load["responses"] > 0 and load["latency_ms"]["p50"] is not None
    for key in ("load_remote", "verify_remote"):
        assert session[key].is_error
        assert (
            "load goes only to loopback addresses (127.0.0.1, ::1, localhost)" in session[key].content[0].text
        )
