"""The MCP server on the official SDK (``mcp`` 2.3+, its ``MCPServer``): tools, resources and prompts.

Every tool is a typed function: its parameters are the input schema, its return type (a pydantic model
of :mod:`redline.mcp.result`, or the engines' own result types) the output schema, sent as structured
content. The tools run one at a time (one lock): each scans the files afresh, so an answer always
matches the files as they are. Each tool call is recorded in the run history as ``mcp:<tool>``.

Gates and bounds live in :mod:`redline.mcp.tools`; descriptions in :mod:`redline.mcp.catalog`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from redline import __version__
from redline.generate.result import GenerateResult
from redline.history.recorder import Recorder, recording
from redline.mcp import prompts
from redline.mcp.catalog import PROMPTS, RESOURCES, SERVER_NAME, Gate, tool
from redline.mcp.result import (
    BlastRadius,
    DependentsResult,
    FixView,
    ForecastView,
    LoadView,
    PathsResult,
    ReviewResult,
    RuleView,
    ScanResult,
)
from redline.mcp.tools import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_LOAD_S,
    MAX_RATE,
    ServerOptions,
    Toolbox,
    ToolInputError,
)
from redline.model.secrets import masked
from redline.review.rule import Severity
from redline.verify.result import VerifyResult

__all__ = ["build_server", "instructions"]

_T = TypeVar("_T")

PathArg = Annotated[
    str,
    Field(
        description="a folder or file of the system, relative to the server's root "
        "(e.g. examples/shop/kubernetes)"
    ),
]
ComponentArg = Annotated[str, Field(description="a component's name, as `scan` lists it (e.g. postgres)")]
Offset = Annotated[int, Field(ge=0, description="index of the first item of the page")]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"items per page, at most {MAX_LIMIT}")]
Codes = Annotated[list[str], Field(description="rule codes or prefixes, e.g. AV001 or AV")]


def instructions(options: ServerOptions) -> str:
    """What the server tells a client about itself when it connects."""
    writes = "writes files (fix with write, generate)" if options.allow_write else "writes nothing"
    loads = "sends load to loopback URLs (verify, load)" if options.allow_load else "sends no load"
    return (
        "redline answers questions about a backend system from its Compose, Kubernetes, kustomize and "
        "redline.yaml files: what it is made of (scan), what breaks and how to fix it (review, "
        "explain_rule, fix), what depends on what (dependents, blast_radius, paths) and where it breaks "
        "under load (forecast). Paths are relative to the server's root. Start with `scan`; cite the "
        f"file:line every answer carries; page long lists with offset and limit. This server {writes} and "
        f"{loads}. {prompts.METHOD}"
    )


class _Runner:
    """Runs tool and resource calls one at a time, records each in the history, masks each result."""

    def __init__(self, box: Toolbox) -> None:
        self.box = box
        self.lock = threading.Lock()

    def call(
        self,
        name: str,
        args: dict[str, Any],
        target: str | None,
        fn: Callable[[Recorder], _T],
        error: type[Exception] = ToolError,
    ) -> _T:
        record: AbstractContextManager[Recorder] = (
            recording(f"mcp:{name}", args, target) if self.box.options.record else nullcontext(Recorder())
        )
        with self.lock:
            try:
                with record as rec:
                    return masked(fn(rec))
            except ToolInputError as exc:
                raise error(str(exc)) from None


def build_server(options: ServerOptions) -> MCPServer:
    """The server: tools (gated by ``options``), resources and prompts."""
    box = Toolbox(options)
    run = _Runner(box)
    server: MCPServer = MCPServer(
        SERVER_NAME,
        title="redline",
        instructions=instructions(options),
        version=__version__,
        log_level="WARNING",
    )

    def register(name: str, fn: Callable[..., Any]) -> None:
        info = tool(name)
        read_only = info.gate is Gate.READ or (info.gate is not Gate.LOAD and not options.allow_write)
        hints = ToolAnnotations(
            read_only_hint=read_only, destructive_hint=False, idempotent_hint=read_only, open_world_hint=False
        )
        server.add_tool(
            fn, name=name, description=info.description, annotations=hints, structured_output=True
        )

    def scan(path: PathArg, offset: Offset = 0, limit: Limit = DEFAULT_LIMIT) -> ScanResult:
        args = {"path": path, "offset": offset, "limit": limit}
        return run.call("scan", args, box.target(path), lambda rec: box.scan(path, offset, limit, rec))

    def review(
        path: PathArg,
        select: Codes | None = None,
        ignore: Codes | None = None,
        min_severity: Annotated[
            Severity | None, Field(description="only findings this severe or worse")
        ] = None,
        component: Annotated[str | None, Field(description="only findings about this component")] = None,
        offset: Offset = 0,
        limit: Limit = DEFAULT_LIMIT,
    ) -> ReviewResult:
        args = {"path": path, "select": select, "ignore": ignore, "min_severity": min_severity,
                "component": component, "offset": offset, "limit": limit}  # fmt: skip
        return run.call(
            "review",
            args,
            box.target(path),
            lambda rec: box.review(
                path, select or [], ignore or [], min_severity, component, offset, limit, rec
            ),
        )

    def forecast(
        path: PathArg,
        growth: Annotated[
            float | None, Field(gt=0, le=1e6, description="target load as a multiple of today's")
        ] = None,
        rps: Annotated[
            float | None, Field(gt=0, description="target total load, requests per second")
        ] = None,
        entrypoints: Annotated[
            dict[str, float] | None, Field(description="entry point (or component) -> requests per second")
        ] = None,
        offset: Offset = 0,
        limit: Limit = DEFAULT_LIMIT,
    ) -> ForecastView:
        args = {"path": path, "growth": growth, "rps": rps, "entrypoints": entrypoints, "offset": offset,
                "limit": limit}  # fmt: skip
        return run.call(
            "forecast",
            args,
            box.target(path),
            lambda rec: box.forecast(path, growth, rps, entrypoints, offset, limit, rec),
        )

    def explain_rule(code: Annotated[str, Field(description="a rule code, e.g. AV001")]) -> RuleView:
        return run.call("explain_rule", {"code": code}, None, lambda rec: box.explain_rule(code))

    def dependents(path: PathArg, component: ComponentArg) -> DependentsResult:
        args = {"path": path, "component": component}
        return run.call(
            "dependents", args, box.target(path), lambda rec: box.dependents(path, component, rec)
        )

    def blast_radius(path: PathArg, component: ComponentArg) -> BlastRadius:
        args = {"path": path, "component": component}
        return run.call(
            "blast_radius", args, box.target(path), lambda rec: box.blast_radius(path, component, rec)
        )

    def paths(
        path: PathArg,
        entry: Annotated[str, Field(description="an entry point's name (e.g. web) or a component's")],
        component: ComponentArg,
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="paths to return, shortest first")] = 20,
    ) -> PathsResult:
        args = {"path": path, "entry": entry, "component": component, "limit": limit}
        return run.call(
            "paths", args, box.target(path), lambda rec: box.paths(path, entry, component, limit, rec)
        )

    def fix(
        path: PathArg,
        select: Codes | None = None,
        unsafe: Annotated[
            bool, Field(description="include fixes marked unsafe (they change behaviour)")
        ] = False,
        write: Annotated[
            bool, Field(description="write the changes (only on a server started with --allow-write)")
        ] = False,
        offset: Offset = 0,
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="files per page")] = 20,
    ) -> FixView:
        args = {"path": path, "select": select, "unsafe": unsafe, "write": write, "offset": offset,
                "limit": limit}  # fmt: skip
        return run.call(
            "fix",
            args,
            box.target(path),
            lambda rec: box.fix(path, select or [], unsafe, write, offset, limit, rec),
        )

    def generate(
        path: PathArg,
        out: Annotated[str, Field(description="the folder to write into, relative to the server's root")],
        only: Annotated[
            list[str] | None, Field(description="alerts, scaling, dashboards, runbooks (default: all)")
        ] = None,
        force: Annotated[bool, Field(description="overwrite files an earlier run generated")] = False,
    ) -> GenerateResult:
        args = {"path": path, "out": out, "only": only, "force": force}
        return run.call(
            "generate", args, box.target(path), lambda rec: box.generate(path, out, only or [], force, rec)
        )

    def verify(
        path: PathArg,
        targets: Annotated[dict[str, str], Field(description="entry point -> its loopback URL")],
        at: Annotated[
            tuple[float, ...],
            Field(description="loads as fractions of the predicted saturation, each in (0, 0.99]"),
        ] = (0.5, 0.7),
        duration_s: Annotated[
            float, Field(gt=0, le=MAX_LOAD_S, description="seconds measured per load")
        ] = 5.0,
        warmup_s: Annotated[float, Field(ge=0, le=MAX_LOAD_S, description="seconds discarded first")] = 1.0,
        search: Annotated[
            bool, Field(description="also search the measured saturation (up to 8 runs)")
        ] = False,
    ) -> VerifyResult:
        args = {"path": path, "targets": targets, "at": at, "duration_s": duration_s, "warmup_s": warmup_s,
                "search": search}  # fmt: skip
        return run.call(
            "verify",
            args,
            box.target(path),
            lambda rec: box.verify(path, targets, at, duration_s, warmup_s, search, rec),
        )

    def load(
        url: Annotated[str, Field(description="a loopback URL: http://127.0.0.1:PORT/...")],
        rate: Annotated[float, Field(gt=0, le=MAX_RATE, description="requests per second (open model)")],
        duration_s: Annotated[float, Field(gt=0, le=MAX_LOAD_S, description="seconds")] = 5.0,
        method: Annotated[str, Field(description="HTTP method")] = "GET",
    ) -> LoadView:
        args = {"url": url, "rate": rate, "duration_s": duration_s, "method": method}
        return run.call("load", args, url, lambda rec: box.load(url, rate, duration_s, method, rec))

    for fn in (
        scan,
        review,
        forecast,
        explain_rule,
        dependents,
        blast_radius,
        paths,
        fix,
        generate,
        verify,
        load,
    ):
        register(fn.__name__, fn)
    _resources(server, box, run)
    _prompts(server)
    return server


def _resources(server: MCPServer, box: Toolbox, run: _Runner) -> None:
    about = dict(RESOURCES)

    @server.resource("redline://model/{+path}", name="model", description=about["redline://model/{+path}"],
                     mime_type="application/json")  # fmt: skip
    def model(path: str) -> str:
        return run.call(
            "model", {"path": path}, box.target(path), lambda rec: box.model_json(path), ResourceError
        )

    @server.resource("redline://review/{+path}", name="review", description=about["redline://review/{+path}"],
                     mime_type="text/markdown")  # fmt: skip
    def latest_review(path: str) -> str:
        return run.call(
            "review-resource",
            {"path": path},
            box.target(path),
            lambda rec: box.review_markdown(path),
            ResourceError,
        )

    @server.resource(
        "redline://rules", name="rules", description=about["redline://rules"], mime_type="text/markdown"
    )
    def rules() -> str:
        from redline.review.docs import render_rules_markdown

        return render_rules_markdown()


def _prompts(server: MCPServer) -> None:
    about = dict(PROMPTS)

    @server.prompt(
        name="architecture_review", title="Architecture review", description=about["architecture_review"]
    )
    def architecture_review(path: Annotated[str, Field(description="the system's folder")]) -> str:
        return prompts.architecture_review(path)

    @server.prompt(
        name="capacity_plan", title="Capacity plan for N× growth", description=about["capacity_plan"]
    )
    def capacity_plan(
        path: Annotated[str, Field(description="the system's folder")],
        growth: Annotated[str, Field(description="the growth factor N, e.g. 10")],
    ) -> str:
        return prompts.capacity_plan(path, growth)

    @server.prompt(name="incident", title="Incident: X is down", description=about["incident"])
    def incident(
        path: Annotated[str, Field(description="the system's folder")],
        component: Annotated[str, Field(description="the component that is down")],
    ) -> str:
        return prompts.incident(path, component)
