"""Merging worker reports into the run's numbers, and writing ``results.json`` safely.

Workers report once a second. The parent merges each report into the whole-run histograms and
into that second's bucket; a second is *closed* (turned into a series row and its histograms
dropped) once every live worker has reported a later one, so memory stays flat on long soaks.

The results file is rewritten atomically (temp file + ``os.replace``) after every merge round, so
a Ctrl-C, a crash or a killed server always leaves one complete JSON document describing the
part that was measured, with ``"complete": false`` until the run ends normally.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.load.client import ERROR_CLASSES, NOT_SENT
from redline.load.histogram import PERCENTILES, Histogram
from redline.load.keeping_up import LagWindows
from redline.model.secrets import mask_text

RESULTS_VERSION = 1
OUTPUT_MODE = 0o644  # results and reports are meant to be read by others (mkstemp makes 0600)


@dataclass
class SecondBucket:
    latency: Histogram = field(default_factory=Histogram)
    service: Histogram = field(default_factory=Histogram)
    lag: Histogram = field(default_factory=Histogram)
    sent: int = 0
    done: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    reports: int = 0


def _add_counts(into: dict[Any, int], more: dict[Any, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


class Aggregate:
    """Whole-run and per-second numbers, merged from worker reports."""

    def __init__(
        self, workers: int, rate_at: Any = None, window: int = 3, drift_window: int = 0, warmup: int = 0
    ) -> None:
        self.workers = workers
        self.rate_at = rate_at  # callable t -> target rate (open model), else None
        self.latency = Histogram()
        self.service = Histogram()
        self.lag = Histogram()
        self.sent = 0
        self.requests = 0
        self.errors: dict[str, int] = {k: 0 for k in ERROR_CLASSES}
        self.status: dict[int, int] = {}
        self.open: dict[int, SecondBucket] = {}
        self.series: list[dict[str, Any]] = []
        self.window: deque[SecondBucket] = deque(maxlen=max(window, 1))
        self.drift_window = drift_window
        self.first_hist = Histogram()
        self.first_seconds = 0
        self.last_hists: deque[Histogram] = deque(maxlen=max(drift_window, 1))
        self.last_closed = -1
        self.inflight: dict[int, int] = {}
        self.conns: dict[int, int] = {}
        self.per_worker: dict[int, list[int]] = {}  # worker -> [sent, requests]
        self.lag_windows = LagWindows()
        # After the warm-up (seconds ``warmup`` on): what ``measured`` reports, the warm-up discarded.
        self.warmup = warmup
        self.measured = _Measured()

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def add(self, msg: dict[str, Any]) -> None:
        sec = int(msg["second"])
        b = self.open.setdefault(sec, SecondBucket())
        b.reports += 1
        for key, whole, part in (
            ("lat", self.latency, b.latency),
            ("svc", self.service, b.service),
            ("lag", self.lag, b.lag),
        ):
            sparse, lo, hi = msg[key]
            whole.add_sparse(sparse, lo, hi)
            part.add_sparse(sparse, lo, hi)
        b.sent += msg["sent"]
        b.done += msg["done"]
        _add_counts(b.errors, msg["errors"])
        self.sent += msg["sent"]
        self.requests += msg["done"]
        _add_counts(self.errors, msg["errors"])
        _add_counts(self.status, msg["status"])
        mine = self.per_worker.setdefault(msg["worker"], [0, 0])
        mine[0] += msg["sent"]
        mine[1] += msg["done"]
        self.inflight[msg["worker"]] = msg["inflight"]
        self.conns[msg["worker"]] = msg["conns"]

    def close_seconds(self, live_workers: int, force: bool = False) -> list[dict[str, Any]]:
        """Turn complete seconds into series rows; returns the new rows."""
        rows = []
        for sec in sorted(self.open):
            b = self.open[sec]
            if not force and b.reports < live_workers:
                break
            del self.open[sec]
            rows.append(self._row(sec, b))
            self.window.append(b)
            self.lag_windows.add(sec, b.lag, b.latency)
            if sec >= self.warmup:
                self.measured.add(sec, b)
            if self.drift_window:
                if sec < self.drift_window:
                    self.first_hist.merge(b.latency)
                    self.first_seconds += 1
                if b.latency.total:
                    self.last_hists.append(b.latency)
            self.last_closed = sec
        self.series.extend(rows)
        return rows

    def _row(self, sec: int, b: SecondBucket) -> dict[str, Any]:
        errs = sum(b.errors.values())
        row: dict[str, Any] = {
            "t": sec + 1,
            "target_rps": round(float(self.rate_at(sec + 0.5)), 3) if self.rate_at else None,
            "sent": b.sent,
            "requests": b.done,
            "responses": b.latency.total,
            "rps": b.done,
            "errors": errs,
            "error_kinds": {k: v for k, v in b.errors.items() if v},
            "latency_ms": percentiles_or_none(b.latency),
            "service_time_ms": percentiles_or_none(b.service),
            "schedule_lag_ms": {
                "p99": round(b.lag.percentile(99) / 1000, 3),
                "max": round(b.lag.max / 1000, 3),
            },
        }
        return row

    def window_stats(self) -> tuple[Histogram, Histogram, int, int, float]:
        """Merged latency/service over the last closed seconds: (lat, svc, requests, errors, seconds)."""
        lat, svc = Histogram(), Histogram()
        req = err = 0
        for b in self.window:
            lat.merge(b.latency)
            svc.merge(b.service)
            req += b.done
            err += sum(b.errors.values())
        return lat, svc, req, err, float(len(self.window))

    def drift(self) -> dict[str, Any] | None:
        """Soak: first vs last window p95 (latency). Drift > 20% (and > 2 ms) is flagged."""
        if not self.drift_window or self.first_hist.total == 0:
            return None
        last = Histogram()
        for h in self.last_hists:
            last.merge(h)
        if last.total == 0:
            return None
        first_p95 = self.first_hist.percentile(95) / 1000
        last_p95 = last.percentile(95) / 1000
        pct = (last_p95 - first_p95) / first_p95 * 100 if first_p95 > 0 else 0.0
        return {
            "window_s": self.drift_window,
            "first_p95_ms": round(first_p95, 3),
            "last_p95_ms": round(last_p95, 3),
            "p95_change_pct": round(pct, 1),
            "drifted": pct > 20.0 and last_p95 - first_p95 > 2.0,
            "limit_pct": 20.0,
        }


@dataclass
class _Measured:
    """The seconds after the warm-up: whole histograms and counts, as :func:`summary` reports a run."""

    latency: Histogram = field(default_factory=Histogram)
    service: Histogram = field(default_factory=Histogram)
    sent: int = 0
    done: int = 0
    errors: int = 0
    first: int | None = None
    last: int | None = None

    def add(self, sec: int, b: SecondBucket) -> None:
        self.latency.merge(b.latency)
        self.service.merge(b.service)
        self.sent += b.sent
        self.done += b.done
        self.errors += sum(b.errors.values())
        self.first = sec if self.first is None else self.first
        self.last = sec

    def document(self, warmup: int, end_s: float) -> dict[str, Any]:
        """``measured``: from the end of the warm-up to the end of the run (``end_s``, the elapsed span)."""
        seconds = max(end_s - warmup, 0.0)
        return {
            "from_s": warmup,
            "seconds": round(seconds, 3),
            "sent": self.sent,
            "requests": self.done,
            "responses": self.latency.total,
            "errors": self.errors,
            "rps": round(self.latency.total / seconds, 3) if seconds > 0 else None,
            "latency_ms": percentiles_or_none(self.latency),
            "service_time_ms": percentiles_or_none(self.service),
        }


def percentiles_or_none(hist: Histogram) -> dict[str, float | None]:
    """p50…max in ms, or all ``None`` when nothing was measured (0.0 would be a false measurement)."""
    if hist.total == 0:
        return {key: None for key in (*(k for k, _ in PERCENTILES), "max")}
    return dict(hist.percentiles_ms())


def summary(agg: Aggregate, elapsed: float) -> dict[str, Any]:
    """The stable top-level numbers (without config/threshold/series context).

    ``rps`` counts responses only (requests sent and answered, whatever their status) over
    ``elapsed``; requests that were never sent are under ``not_sent`` (and in ``errors``).
    """
    errors = agg.error_count
    responses = agg.latency.total
    not_sent = {kind: agg.errors.get(kind, 0) for kind in NOT_SENT}
    return {
        "requests": agg.requests,
        "sent": agg.sent,
        "responses": responses,
        "not_sent": {"total": sum(not_sent.values()), **not_sent},
        "errors": errors,
        "error_rate": round(errors / agg.requests, 6) if agg.requests else None,
        "rps": round(responses / elapsed, 3) if elapsed > 0 else 0.0,
        "elapsed_s": round(elapsed, 3),
        "latency_ms": percentiles_or_none(agg.latency),
        "service_time_ms": percentiles_or_none(agg.service),
        "schedule_lag_ms": percentiles_or_none(agg.lag),
        "error_kinds": dict(agg.errors),
        "status_codes": {str(k): v for k, v in sorted(agg.status.items())},
    }


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` so that readers only ever see a whole file; mode 0644 (less any umask bits).

    The folder must exist (output paths are checked before a run starts); the temp file is removed
    whatever happens.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, OUTPUT_MODE & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(mask_text(text))  # results.json and the HTML report: secrets never in full
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path, doc: dict[str, Any]) -> None:
    """Write the results document as JSON (see :func:`write_text_atomic`)."""
    write_text_atomic(path, json.dumps(doc, indent=1) + "\n")
