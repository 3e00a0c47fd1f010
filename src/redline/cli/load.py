"""`redline load`: parse options, call :func:`redline.load.run`, render. No load logic lives here.

Exit codes: 0 thresholds passed (or none given), 1 a threshold was breached, 2 usage error,
3 nothing could be measured (no HTTP response at all), 130 interrupted (results still written).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.live import Live

    from redline.load import LoadResult, Progress

# The load engine (numpy, httptools, multiprocessing...) is imported when `load` runs, not when the
# root app registers this command, so other commands do not pay for it.


def _duration(value: str | None, name: str) -> float | None:
    from redline.load.config import parse_duration_option

    return parse_duration_option(value, name) if value is not None else None


class _LiveView:
    """Rich live line on stderr; started lazily so no thread exists when workers are forked."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live: Live | None = None

    def __call__(self, p: Progress) -> None:
        from rich.live import Live
        from rich.text import Text

        target = f"{p.target_rps:,.0f}" if p.target_rps is not None else "closed"
        text = Text.assemble(
            ("load ", "bold"),
            f"{p.elapsed:5.1f}/{p.duration:g}s  ",
            ("rps ", "dim"),
            f"{p.rps:,.0f}",
            ("/", "dim"),
            f"{target}  ",
            ("p95 ", "dim"),
            f"{p.p95_ms:,.1f} ms  ",
            ("errors ", "dim"),
            (f"{p.errors:,}", "red" if p.errors else ""),
            f"/{p.requests:,}  ",
            ("lag p99 ", "dim"),
            f"{p.lag_p99_ms:,.1f} ms",
        )
        if self.live is None:
            self.live = Live(text, console=self.console, auto_refresh=False, transient=True)
            self.live.start()
        self.live.update(text, refresh=True)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()


def _render_text(result: LoadResult, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    d = result.data
    console.print(Text(d["note"], style="dim"))
    head = Table(show_header=False, box=None, pad_edge=False)
    head.add_row("target", d["target"])
    model = d["model"] + (f" · {d['profile']}" if d["profile"] else "")
    head.add_row("model", model + (f" · {d['users']} users" if d["users"] else f" · {d['arrival']} arrivals"))
    head.add_row(
        "requests",
        f"{d['requests']:,} finished, {d['responses']:,} answered in {d['elapsed_s']:g}s = {d['rps']:,.1f}/s",
    )
    ns = d["not_sent"]
    if ns["total"]:
        head.add_row(
            "not sent",
            f"{ns['total']:,} (waited past the timeout for a connection {ns['wait_timeout']:,}, "
            f"queue full {ns['queue_full']:,})",
        )
    rate = d["error_rate"]
    kinds = ", ".join(f"{k} {v}" for k, v in d["error_kinds"].items() if v)
    head.add_row("errors", f"{d['errors']:,}" + (f" ({rate:.2%}: {kinds})" if d["errors"] else ""))
    console.print(head)
    if not d["responses"]:
        console.print("latency: no responses, nothing to measure")
    else:
        console.print(_percentile_table(d))
        _render_measured(d, console)
        _render_generator(d, console)
    _render_outcome(d, console)


def _percentile_table(d: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=None, show_lines=False)
    table.add_column("ms")
    for key in ("p50", "p90", "p95", "p99", "p999", "max"):
        table.add_column(key, justify="right")
    for label, key in (
        ("latency (from intended)", "latency_ms"),
        ("service time", "service_time_ms"),
        ("schedule lag", "schedule_lag_ms"),
    ):
        if d["model"] == "closed" and key == "latency_ms":
            label = "latency (closed model)"
        table.add_row(label, *(_ms(d[key][k]) for k in ("p50", "p90", "p95", "p99", "p999", "max")))
    return table


def _render_measured(d: dict[str, Any], console: Console) -> None:
    """With a warm-up: what was measured after it."""
    m = d["measured"]
    if not m["from_s"]:
        return
    lat = m["latency_ms"]
    if not m["responses"]:
        console.print(f"after the {m['from_s']} s warm-up: no responses")
        return
    console.print(
        f"after the {m['from_s']} s warm-up: {m['responses']:,} responses ({m['rps']:,.1f}/s), latency p50 "
        f"{_ms(lat['p50'])}, p95 {_ms(lat['p95'])}, p99 {_ms(lat['p99'])} ms"
    )


def _render_generator(d: dict[str, Any], console: Console) -> None:
    """Whether the generator kept its schedule, window by window."""
    g = d["generator"]
    rule = g["lag_rule"]
    windows = g["windows"]
    if not windows:
        return
    behind = [w for w in windows if not w["keeping_up"]]
    how = (
        f"lag p99 ≤ {rule['fraction_of_p50']:.0%} of the window's latency p50, at least "
        f"{rule['floor_ms']:g} ms; {rule['window_s']} s windows"
    )
    if not behind:
        console.print(f"generator: kept up in all {len(windows)} windows ({how})")
        return
    console.print(f"[yellow]generator: fell behind in {len(behind)} of {len(windows)} windows[/] ({how})")
    for w in behind:
        p50 = "-" if w["latency_p50_ms"] is None else f"{w['latency_p50_ms']:g} ms"
        lag, limit = w["lag_p99_ms"], w["limit_ms"]
        console.print(f"  {w['from_s']}-{w['to_s']} s: lag p99 {lag:g} ms > {limit:g} ms (p50 {p50})")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _render_outcome(d: dict[str, Any], console: Console) -> None:
    """Profile results, thresholds and how the run ended."""
    if d.get("drift"):
        dr = d["drift"]
        flag = "[red]DRIFT[/]" if dr["drifted"] else "stable"
        console.print(
            f"soak: p95 first {dr['window_s']}s {dr['first_p95_ms']} ms → last {dr['last_p95_ms']} ms "
            f"({dr['p95_change_pct']:+.1f}%) {flag}"
        )
    if d.get("breakpoint"):
        bp = d["breakpoint"]
        if bp["broken"] and bp["broke_in_first_window"]:
            w = bp["break_window"]
            console.print(
                f"breakpoint: broke in the first window at {w['target_rps']:,} req/s target "
                f"({', '.join(w['failed'])}); no rate was sustained: lower --rate"
            )
        elif bp["broken"]:
            w = bp["break_window"]
            console.print(
                f"breakpoint: broke near {w['target_rps']:,} req/s target ({', '.join(w['failed'])}); "
                f"last sustained {bp['last_sustained_rps']} req/s"
            )
        else:
            console.print("breakpoint: did not break within the ramp; raise --rate or --duration")
    for th in d["thresholds"]:
        mark = "[green]PASS[/]" if th["passed"] else "[red]FAIL[/]"
        gates = "" if th.get("gates", True) else " (breakpoint criterion, not gating)"
        actual = th["actual"]
        shown = (
            "n/a"
            if actual is None
            else (f"{actual:.3%}" if th.get("unit") == "fraction" else f"{actual:,.2f} {th.get('unit', '')}")
        )
        console.print(f"{mark} {th['threshold']}  actual {shown}{gates}")
    if d["aborted"]:
        console.print(f"[yellow]stopped early: {d['aborted']}[/]")
    if d["interrupted"]:
        console.print("[yellow]interrupted: results cover the measured part only[/]")


def _check_outputs(out: Path | None, html: Path | None) -> None:
    """Output paths are usable files, checked before any work starts (ConfigError otherwise)."""
    from redline.load.config import ConfigError, check_output_path

    for path, option, example in ((out, "--out", "results.json"), (html, "--html", "report.html")):
        if path is not None:
            check_output_path(path, option, example)
    if out is not None and html is not None and out.resolve() == html.resolve():
        raise ConfigError(f"--out and --html are the same file ({out}); give them different names")


def load_command(
    url: str | None = typer.Argument(None, help="Target URL (http:// or https://)."),
    rate: float | None = typer.Option(None, "--rate", "-r", help="Open model: arrivals per second."),
    users: int | None = typer.Option(None, "--users", "-u", help="Closed model: concurrent users."),
    think: str = typer.Option("0s", "--think", help="Closed model: think time between a user's requests."),
    duration: str | None = typer.Option(None, "--duration", "-d", help="Run length, e.g. 30s, 1m."),
    warmup: str = typer.Option(
        "0s", "--warmup", help="Leave the first seconds out of 'measured' (still sent), e.g. 5s."
    ),
    stages: str | None = typer.Option(None, "--stages", help="Rate ramps, e.g. '30s:100,1m:500,30s:0'."),
    profile: str | None = typer.Option(
        None, "--profile", help="baseline | stress | spike | soak | breakpoint (around --rate)."
    ),
    arrival: str = typer.Option("poisson", "--arrival", help="poisson | uniform arrivals (open model)."),
    method: str = typer.Option("GET", "--method", "-X", help="HTTP method."),
    header: list[str] = typer.Option([], "--header", "-H", help="Header 'Name: value' (repeatable)."),
    data: str = typer.Option("", "--data", help="Request body."),
    scenario: Path | None = typer.Option(None, "--scenario", help="Scenario YAML (weighted request mix)."),
    connections: int | None = typer.Option(None, "--connections", "-c", help="Maximum connections (total)."),
    workers: int | None = typer.Option(None, "--workers", "-w", help="Processes (default: CPU cores)."),
    timeout: str = typer.Option("10s", "--timeout", help="Request timeout."),
    connect_timeout: str = typer.Option("5s", "--connect-timeout", help="Connect timeout."),
    max_requests: int = typer.Option(10_000_000, "--max-requests", help="Hard cap on requests sent."),
    max_duration: str = typer.Option("1h", "--max-duration", help="Hard cap on the run length."),
    slo: list[str] = typer.Option([], "--slo", help="Threshold, e.g. 'p95<200ms', 'errors<0.1%', 'rps>500'."),
    abort_on_fail: bool = typer.Option(False, "--abort-on-fail", help="Stop as soon as a threshold fails."),
    insecure: bool = typer.Option(
        False, "--insecure", "-k", help="HTTPS: do not verify the server's certificate (verified by default)."
    ),
    cacert: Path | None = typer.Option(
        None, "--cacert", help="HTTPS: also trust this CA or certificate (PEM file), e.g. a self-signed one."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed for Poisson arrivals."),
    out: Path | None = typer.Option(None, "--out", help="results.json, rewritten every second."),
    html: Path | None = typer.Option(None, "--html", help="Self-contained HTML report."),
    fmt: str = typer.Option("text", "--format", help="text | json (json goes to stdout)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No live progress."),
) -> None:
    """Load-test an HTTP endpoint honestly (open model by default: latency from intended send time)."""
    # redline load never uses BLAS; OpenBLAS would start a thread pool on numpy's import (~50 ms of
    # CPU) that a forked worker cannot use anyway. An explicit setting by the user wins.
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from redline.load import EXIT_USAGE, ConfigError, LoadConfig, run
    from redline.model.secrets import masked_stream  # a URL typed with a password is never echoed whole

    err = Console(file=masked_stream("stderr"))
    try:
        if fmt not in ("text", "json"):
            raise ConfigError(f"--format must be text or json (got {fmt!r})")
        if arrival not in ("poisson", "uniform"):
            raise ConfigError(f"--arrival must be poisson or uniform (got {arrival!r})")
        _check_outputs(out, html)
        cfg = LoadConfig(
            url=url,
            method=method,
            headers=header,
            body=data,
            scenario=scenario,
            rate=rate,
            users=users,
            think=_duration(think, "--think") or 0.0,
            duration=_duration(duration, "--duration"),
            warmup=_duration(warmup, "--warmup") or 0.0,
            stages=stages,
            profile=profile,
            arrival=arrival,
            connections=connections,
            workers=workers,
            timeout=_duration(timeout, "--timeout") or 0.0,
            connect_timeout=_duration(connect_timeout, "--connect-timeout") or 0.0,
            max_requests=max_requests,
            max_duration=_duration(max_duration, "--max-duration") or 0.0,
            thresholds=slo,
            abort_on_fail=abort_on_fail,
            insecure=insecure,
            ca_cert=cacert,
            seed=seed,
            out=out,
        )
        from redline.load.config import prepare

        plan = prepare(cfg)
    except ConfigError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    live = _LiveView(err) if (sys.stderr.isatty() and not quiet) else None
    try:
        result = run(plan, on_progress=live)
    finally:
        if live is not None:
            live.stop()
    from redline.history.recorder import note  # the run history keeps the run's counts

    note(result)
    if html is not None:
        from redline.report.load_html import write_load_report

        try:
            write_load_report(result.data, html)
        except OSError as exc:
            result.messages.append(f"could not write {html}: {exc.strerror or exc}")
    if fmt == "json":
        sys.stdout.write(json.dumps(result.data, indent=1) + "\n")
    else:
        _render_text(result, Console(file=masked_stream("stdout"), soft_wrap=True))
    for msg in result.messages:
        err.print(f"[yellow]warning:[/] {msg}", highlight=False, soft_wrap=True)
    if result.data["interrupted"]:
        # Results are on disk and printed: skip the interpreter's teardown (~0.1-0.2 s of freeing
        # modules) so that a Ctrl-C or SIGTERM ends the process within a second at any load.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(result.exit_code)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """Add the `load` command to the root app."""
    app.command("load")(load_command)


def _standalone() -> Any:  # pragma: no cover - used by tests when the root app cannot import yet
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """redline (load only)."""

    register(app)
    return app


if __name__ == "__main__":  # pragma: no cover
    _standalone()()
