"""Run a load test: one worker process per core, merged once a second, stopped safely.

The parent process sends no traffic. It forks workers before it has any event loop or thread
(so nothing unsafe is inherited), gives them a common start instant on the shared monotonic clock, merges
their per-second reports, rewrites ``--out`` after each merge, drives the live display, decides
``--abort-on-fail`` and breakpoint stops, and owns Ctrl-C/SIGTERM: it asks workers to stop, waits
briefly for what is in flight, then records everything measured. Every phase has a deadline, so
a hung server or worker can never hold the run open past ``duration + drain + 15 s``.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import queue as queue_mod
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redline.load.client import EngineConfig
from redline.load.config import LoadConfig, RunPlan, prepare
from redline.load.histogram import Histogram
from redline.load.keeping_up import LAG_FLOOR_MS, LAG_FRACTION, WINDOW_S
from redline.load.results import Aggregate, summary, write_atomic
from redline.load.thresholds import Observed, Threshold, evaluate, holds, observe, parse_threshold
from redline.load.worker import WorkerSpec, worker_main
from redline.model.secrets import mask_text

READY_TIMEOUT = 60.0
# Ctrl-C/SIGTERM: workers get this long for requests in flight, and the parent waits at most
# STOP_WAIT for their last reports before it kills them, so the process ends within a second.
INTERRUPT_DRAIN = 0.2
STOP_WAIT = 0.4
GRACE = 15.0

EXIT_OK, EXIT_BREACH, EXIT_USAGE, EXIT_NOTHING, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_TERMINATED = 143  # SIGTERM (128 + 15), as shells report it

CLOSED_NOTE = (
    "closed model: each user waits for a response before sending again, so latency is "
    "service time and is subject to coordinated omission (stalls are under-reported)"
)
OPEN_NOTE = (
    "open model: latency is measured from each request's intended send time, so queueing "
    "behind a slow or stalled server is included (no coordinated omission)"
)


@dataclass
class Progress:
    """What the live display shows, once a second."""

    elapsed: float
    duration: float
    target_rps: float | None
    rps: float
    p95_ms: float
    requests: int
    errors: int
    lag_p99_ms: float
    model: str


@dataclass
class LoadResult:
    """The finished (or interrupted) run: ``data`` is exactly what ``--out``/``--format json`` hold.

    ``latency`` covers the whole run; ``measured`` the part after the warm-up (all of it without one).
    """

    data: dict[str, Any]
    latency: Histogram
    exit_code: int
    messages: list[str] = field(default_factory=list)
    measured: Histogram = field(default_factory=Histogram)

    @property
    def passed(self) -> bool:
        return self.exit_code == EXIT_OK


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class _Breakpoint:
    """Breakpoint profile: per-window SLO checks; two failing windows in a row are the break."""

    def __init__(self, thresholds: list[Threshold]) -> None:
        live = [t for t in thresholds if t.during_run]
        if not any(t.metric == "errors" for t in live):
            live.append(parse_threshold("errors<1%"))
        if not any(t.metric in ("latency", "service") for t in live):
            live.append(parse_threshold("p99<1s"))
        self.checks = live
        self.fails = 0
        self.last_ok: dict[str, Any] | None = None
        self.broke: dict[str, Any] | None = None

    def observe(self, agg: Aggregate, target: float | None) -> bool:
        lat, svc, req, err, secs = agg.window_stats()
        if req == 0 or secs == 0:
            return False
        obs = Observed(lat, svc, req, err, secs)
        failed = [t.text for t in self.checks if (v := observe(t, obs)) is not None and not holds(t, v)]
        window = {
            "t": agg.last_closed + 1,
            "target_rps": round(target or 0.0, 1),
            "achieved_rps": round(lat.total / secs, 1),
            "p95_ms": round(lat.percentile(95) / 1000, 3) if lat.total else None,
            "error_rate": round(err / req, 5),
        }
        if failed:
            self.fails += 1
            if self.fails >= 2 and self.broke is None:
                self.broke = {**window, "failed": failed}
                return True
        else:
            self.fails = 0
            self.last_ok = window
        return False

    def result(self) -> dict[str, Any]:
        return {
            "broken": self.broke is not None,
            # no window ever met the criteria: the ramp's very start was already too much
            "broke_in_first_window": self.broke is not None and self.last_ok is None,
            "criteria": [t.text for t in self.checks],
            "last_sustained_rps": self.last_ok["achieved_rps"] if self.last_ok else None,
            "last_sustained_target_rps": self.last_ok["target_rps"] if self.last_ok else None,
            "last_ok_window": self.last_ok,
            "break_window": self.broke,
        }


def _breakpoint_gating(ths: list[Threshold], results: list[dict[str, Any]], bp: dict[str, Any]) -> None:
    """Breakpoint runs break by design: only rps thresholds gate, against the last sustained rate."""
    for t, r in zip(ths, results, strict=True):
        if t.metric == "rps":
            actual = bp["last_sustained_rps"] if bp["broken"] else r["actual"]
            r["actual"] = actual
            r["passed"] = isinstance(actual, int | float) and holds(t, float(actual))
        else:
            r["gates"] = False


def _not_sent_message(not_sent: dict[str, int], timeout: float) -> str:
    parts = []
    if not_sent["wait_timeout"]:
        parts.append(f"{not_sent['wait_timeout']:,} waited for a free connection longer than the timeout")
    if not_sent["queue_full"]:
        parts.append(f"{not_sent['queue_full']:,} found the queue of waiting requests full")
    return (
        f"{not_sent['total']:,} requests were never sent ({'; '.join(parts)}): every connection was "
        "busy, so the server got less load than planned; raise --connections if the server can take it"
    )


def _behind_message(behind: list[dict[str, Any]], windows: int) -> str:
    worst = max(behind, key=lambda w: w["lag_p99_ms"] / w["limit_ms"])
    return (
        f"the load generator fell behind its schedule in {len(behind)} of {windows} windows (worst: "
        f"{worst['from_s']}-{worst['to_s']} s, lag p99 {worst['lag_p99_ms']:g} ms > "
        f"{worst['limit_ms']:g} ms, {LAG_FRACTION:.0%} of its p50 or at least {LAG_FLOOR_MS:g} ms): the "
        "server got less load than asked and the latencies include the generator's delay"
    )


class _Signals:
    """Ctrl-C / SIGTERM → graceful stop; a second one → hard stop."""

    def __init__(self) -> None:
        self.count = 0
        self.first: int | None = None  # the first signal received
        self.at = 0.0  # when it arrived (perf_counter)
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.first is None:
            self.first, self.at = signum, time.perf_counter()
        self.count += 1

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def run(config: LoadConfig | RunPlan, on_progress: Callable[[Progress], None] | None = None) -> LoadResult:
    """Run a load test and return its results. Raises ``ConfigError`` on usage errors."""
    rp = config if isinstance(config, RunPlan) else prepare(config)
    cfg = rp.config
    workers = rp.workers
    conns = _split(rp.connections, workers)
    quotas = _split(cfg.max_requests, workers)
    drain = cfg.timeout + cfg.connect_timeout + 0.5
    specs = []
    for i in range(workers):
        eng = EngineConfig(
            host=rp.target.host,
            port=rp.target.port,
            tls=rp.target.tls,
            server_hostname=rp.target.host,
            insecure=cfg.insecure,
            requests=rp.requests,
            mix=rp.mix,
            max_connections=max(conns[i], 1),
            timeout=cfg.timeout,
            connect_timeout=cfg.connect_timeout,
            max_requests=quotas[i],
            closed=rp.model == "closed",
            think=cfg.think,
            end_after=rp.duration,
            ca_file=str(cfg.ca_cert) if cfg.ca_cert is not None else None,
        )
        seed = None if cfg.seed is None else cfg.seed * 1000 + i
        specs.append(
            WorkerSpec(i, workers, eng, rp.plan, cfg.arrival == "poisson", seed, drain, INTERRUPT_DRAIN)
        )
    drift_window = 0
    if rp.profile == "soak":
        drift_window = int(min(300, max(1, rp.duration // 5)))
    agg = Aggregate(
        workers,
        rp.plan.rate_at if rp.plan else None,
        window=3,
        drift_window=drift_window,
        warmup=math.ceil(cfg.warmup),
    )
    bp = _Breakpoint(rp.thresholds) if rp.profile == "breakpoint" else None

    # fork: no re-import of ``__main__`` (``python -m redline`` would re-run the CLI under spawn) and
    # fast start. The parent has started no threads or event loops at this point.
    ctx: Any = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    q: Any = ctx.Queue()
    stop, start = ctx.Event(), ctx.Event()
    start_at: Any = ctx.Value("d", 0.0)
    procs = [
        ctx.Process(
            target=worker_main,
            args=(s, q, stop, start, start_at),
            daemon=True,
            name=f"redline-load-{s.index}",
        )
        for s in specs
    ]
    state = _RunState(rp, agg, bp)
    with _Signals() as sigs:
        try:
            for p in procs:
                p.start()
            state.loop(procs, q, stop, start, start_at, sigs, drain, on_progress)
        finally:
            stop.set()
            # Interrupted: what they measured has arrived; do not wait for their teardown (closing
            # thousands of sockets takes the kernel a few hundred ms). The kill reaps them later.
            patience = 0.05 if state.interrupted else 2.0
            for p in procs:
                if state.interrupted:
                    p.kill()
            for p in procs:
                p.join(timeout=patience)
                if p.is_alive() and not state.interrupted:
                    p.kill()
                    p.join(timeout=2.0)
    return state.finish()


class _RunState:
    def __init__(self, rp: RunPlan, agg: Aggregate, bp: _Breakpoint | None) -> None:
        self.rp = rp
        self.agg = agg
        self.bp = bp
        self.t0 = 0.0
        self.started = False
        self.stop_elapsed: float | None = None
        self.interrupted = False
        self.aborted: str | None = None
        self.worker_errors: list[str] = []
        self.worker_results: list[dict[str, Any]] = []
        self.done = 0
        self.timed_out = False
        self.signal: int | None = None
        self.write_error: str | None = None

    # --- the parent loop ----------------------------------------------------------------------
    def loop(
        self,
        procs: list[Any],
        q: Any,
        stop: Any,
        start: Any,
        start_at: Any,
        sigs: _Signals,
        drain: float,
        on_progress: Callable[[Progress], None] | None,
    ) -> None:
        n = len(procs)
        ready = 0
        deadline = time.perf_counter() + READY_TIMEOUT
        while ready < n and time.perf_counter() < deadline and not sigs.count:
            kind, payload = self._get(q, 0.2)
            if kind == "ready":
                ready += 1
            elif kind == "fatal":
                self.worker_errors.append(payload["error"])
                return
            if any(not p.is_alive() for p in procs) and ready < n and kind is None:
                self.worker_errors.append("a worker process exited before starting")
                return
        if ready < n:
            self.interrupted = bool(sigs.count)
            self.signal = sigs.first
            return
        self.t0 = time.perf_counter() + 0.05
        start_at.value = self.t0
        start.set()
        self.started = True
        hard_deadline = self.t0 + self.rp.duration + drain + GRACE
        next_report = self.t0 + 1.0
        while self.done < n:
            now = time.perf_counter()
            if sigs.count and not self.interrupted:
                self.interrupted = True
                self.signal = sigs.first
                self._stop(stop)
            if sigs.count >= 2 or now > hard_deadline or (sigs.count and now > sigs.at + STOP_WAIT):
                self.timed_out = now > hard_deadline
                for p in procs:
                    if p.is_alive():
                        p.kill()
                break
            kind, payload = self._get(q, 0.05 if self.interrupted else 0.1)
            if kind == "tick":
                self.agg.add(payload)
            elif kind == "done":
                self.done += 1
                self.worker_results.append(payload)
            elif kind == "fatal":
                self.done += 1
                self.worker_errors.append(payload["error"])
            elif kind is None and not any(p.is_alive() for p in procs):
                self._drain_queue(q)
                break
            if time.perf_counter() >= next_report:
                next_report += 1.0
                self._round(stop, on_progress)
        self._drain_queue(q)

    def _get(self, q: Any, timeout: float) -> tuple[str | None, Any]:
        try:
            kind, payload = q.get(timeout=timeout)
        except queue_mod.Empty:
            return None, None
        except (EOFError, OSError):
            return None, None
        return kind, payload

    def _drain_queue(self, q: Any) -> None:
        for _ in range(100_000):
            kind, payload = self._get(q, 0.05)
            if kind is None:
                return
            if kind == "tick":
                self.agg.add(payload)
            elif kind == "done":
                self.worker_results.append(payload)
            elif kind == "fatal":
                self.worker_errors.append(payload["error"])

    def _stop(self, stop: Any) -> None:
        if self.stop_elapsed is None:
            self.stop_elapsed = min(time.perf_counter() - self.t0, self.rp.duration)
        stop.set()

    def _round(self, stop: Any, on_progress: Callable[[Progress], None] | None) -> None:
        """Once a second: close seconds, check abort conditions, save, report progress."""
        rows = self.agg.close_seconds(max(self.rp.workers - self.done, 1))
        cfg = self.rp.config
        if self.bp is not None and self.aborted is None and not self.interrupted:
            for row in rows:
                if self.bp.observe(self.agg, row["target_rps"]):
                    self.aborted = "breakpoint"
                    self._stop(stop)
                    break
        if (
            cfg.abort_on_fail
            and self.aborted is None
            and self.agg.last_closed >= 1
            and self.agg.requests >= 10
        ):
            live_th = [t for t in self.rp.thresholds if t.during_run]
            results = evaluate(live_th, self._observed(float(self.agg.last_closed + 1)))
            failed = [r["threshold"] for r in results if r["actual"] is not None and not r["passed"]]
            if failed:
                self.aborted = "threshold: " + ", ".join(str(f) for f in failed)
                self._stop(stop)
        if cfg.out is not None:
            with contextlib.suppress(OSError):  # the final write reports a failure
                write_atomic(cfg.out, self.document(final=False))
        if on_progress is not None:
            elapsed = time.perf_counter() - self.t0
            last = self.agg.series[-1] if self.agg.series else None
            on_progress(
                Progress(
                    elapsed=elapsed,
                    duration=self.rp.duration,
                    target_rps=self.rp.plan.rate_at(min(elapsed, self.rp.duration)) if self.rp.plan else None,
                    rps=float(last["rps"]) if last else 0.0,
                    p95_ms=self.agg.latency.percentile(95) / 1000,
                    requests=self.agg.requests,
                    errors=self.agg.error_count,
                    lag_p99_ms=self.agg.lag.percentile(99) / 1000,
                    model=self.rp.model,
                )
            )

    # --- results ------------------------------------------------------------------------------
    def _elapsed(self) -> float:
        """The measured span: the sending window, and the drain when responses were still arriving.

        Responses that arrive after the schedule ended count in ``rps``, so their time must too
        (a generator that fell behind would otherwise report more than it achieved).
        """
        if not self.started:
            return 0.0
        window = self.rp.duration if self.stop_elapsed is None else max(self.stop_elapsed, 1e-9)
        finished = [float(w["finished_s"]) for w in self.worker_results if "finished_s" in w]
        return max([window, *finished]) if finished and not self.timed_out else window

    def _observed(self, seconds: float) -> Observed:
        return Observed(self.agg.latency, self.agg.service, self.agg.requests, self.agg.error_count, seconds)

    def document(self, final: bool) -> dict[str, Any]:
        rp, cfg = self.rp, self.rp.config
        if not self.started:
            elapsed = 0.0
        elif final:
            elapsed = self._elapsed()
        else:
            elapsed = min(max(time.perf_counter() - self.t0, 1e-9), rp.duration)
        doc: dict[str, Any] = {
            "tool": "redline load",
            "version": 1,
            "complete": final and not self.interrupted and not self.worker_errors and not self.timed_out,
            "interrupted": self.interrupted,
            "aborted": self.aborted,
            "model": rp.model,
            "note": OPEN_NOTE if rp.model == "open" else CLOSED_NOTE,
            "target": mask_text(rp.target.origin + rp.target.path),  # ?token=... never in full
            "requests_mix": sorted({mask_text(r.name) for r in rp.requests}),
            "profile": rp.profile,
            "arrival": cfg.arrival if rp.model == "open" else None,
            "planned_duration_s": rp.duration,
            "planned_requests": round(rp.plan.expected_arrivals()) if rp.plan else None,
            "users": rp.users or None,
            "think_s": cfg.think if rp.model == "closed" else None,
            "workers": rp.workers,
            "connections": rp.connections,
        }
        doc.update(summary(self.agg, elapsed))
        doc["measured"] = self.agg.measured.document(self.agg.warmup, elapsed)
        doc["generator"] = {
            "keeping_up": self.agg.lag_windows.keeping_up,
            "lag_rule": {"fraction_of_p50": LAG_FRACTION, "floor_ms": LAG_FLOOR_MS, "window_s": WINDOW_S},
            "windows": self.agg.lag_windows.rows,
            "unfinished": sum(int(w.get("unfinished", 0)) for w in self.worker_results),
            "max_connections_used": sum(int(w.get("max_connections", 0)) for w in self.worker_results),
            "per_worker": [
                {"worker": i, "sent": sent, "requests": done}
                for i, (sent, done) in sorted(self.agg.per_worker.items())
            ],
        }
        # A partial document (rewritten every second) has no verdict yet: thresholds are judged at the end.
        thresholds = evaluate(rp.thresholds, self._observed(elapsed)) if final else []
        if self.bp is not None:
            doc["breakpoint"] = self.bp.result()
            if final:
                _breakpoint_gating(rp.thresholds, thresholds, doc["breakpoint"])
        doc["thresholds"] = thresholds
        gating = [r for r in thresholds if r.get("gates", True)]
        doc["passed"] = all(bool(r["passed"]) for r in gating) if final else None
        doc["drift"] = self.agg.drift()
        examples: dict[str, str] = {}
        for w in self.worker_results:
            for kind, text in w.get("connect_errors", {}).items():
                examples.setdefault(kind, text)
        doc["error_examples"] = examples
        doc["worker_errors"] = [e.strip().splitlines()[-1] for e in self.worker_errors]
        doc["series"] = self.agg.series
        doc["latency_histogram"] = [[round(v / 1000, 4), c] for v, c in self.agg.latency.nonzero()]
        return doc

    def finish(self) -> LoadResult:
        self.agg.close_seconds(0, force=True)
        self.agg.lag_windows.close()
        series = self.agg.series
        while series and series[-1]["sent"] == 0 and series[-1]["requests"] == 0:
            series.pop()  # the drain's final flush, when nothing was left in flight
        if self.stop_elapsed is None and (self.interrupted or self.timed_out):
            self.stop_elapsed = min(time.perf_counter() - self.t0, self.rp.duration) if self.started else 0.0
        doc = self.document(final=True)
        messages: list[str] = []
        if self.rp.config.out is not None:
            try:
                write_atomic(self.rp.config.out, doc)
            except OSError as exc:
                messages.append(f"could not write {self.rp.config.out}: {exc.strerror or exc}")
        if self.interrupted:
            code = EXIT_TERMINATED if self.signal == signal.SIGTERM else EXIT_INTERRUPTED
        elif self.agg.latency.total == 0:
            code = EXIT_NOTHING
        elif doc["passed"]:
            code = EXIT_OK
        else:
            code = EXIT_BREACH
        if self.agg.latency.total == 0:
            messages.append("nothing was measured: no request got an HTTP response")
        if doc["not_sent"]["total"]:
            messages.append(_not_sent_message(doc["not_sent"], self.rp.config.timeout))
        behind = self.agg.lag_windows.behind()
        if behind:
            messages.append(_behind_message(behind, len(doc["generator"]["windows"])))
        for kind, text in doc["error_examples"].items():
            hint = ""
            if kind == "tls_error" and "CERTIFICATE_VERIFY_FAILED" in text:
                hint = (
                    " (the server's certificate is not trusted: --cacert FILE trusts it, "
                    "--insecure/-k skips verification)"
                )
            messages.append(f"{kind}: {text}{hint}")
        messages += [f"worker error: {e}" for e in doc["worker_errors"]]
        return LoadResult(doc, self.agg.latency, code, messages, self.agg.measured.latency)
