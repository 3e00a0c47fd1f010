"""Fast unit tests: histogram accuracy and merging, schedules, thresholds, the response parser."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.load.client import Conn, Engine, EngineConfig
from redline.load.histogram import Histogram
from redline.load.http import RequestTemplate, TargetError, parse_target, render
from redline.load.schedule import Arrivals, Plan, ScheduleError, parse_stages, profile_plan
from redline.load.thresholds import Observed, ThresholdError, evaluate, parse_threshold
from redline.model.units import parse_duration

QS = (50, 90, 95, 99, 99.9)


@pytest.mark.parametrize("dist", ["lognormal", "uniform", "exponential", "bimodal"])
def test_histogram_percentiles_within_one_percent(dist: str) -> None:
    rng = np.random.default_rng(7)
    n = 100_000
    values = {
        "lognormal": rng.lognormal(mean=8.0, sigma=1.5, size=n),  # µs: ~3 ms median, long tail
        "uniform": rng.uniform(50, 2_000_000, size=n),
        "exponential": rng.exponential(20_000, size=n) + 10,
        "bimodal": np.concatenate([rng.normal(1000, 50, n // 2), rng.normal(500_000, 1000, n // 2)]),
    }[dist]
    h = Histogram.from_values(values)
    for q in QS:
        exact = float(np.percentile(values, q, method="inverted_cdf"))
        assert abs(h.percentile(q) - exact) / exact <= 0.01, (dist, q)
    assert h.max == pytest.approx(values.max())
    assert h.total == n


def test_histogram_merge_equals_whole() -> None:
    rng = np.random.default_rng(3)
    parts = [rng.lognormal(7 + i, 1.0, 10_000) for i in range(4)]
    merged = Histogram()
    for p in parts:
        merged.merge(Histogram.from_values(p))
    whole = Histogram.from_values(np.concatenate(parts))
    assert merged.total == whole.total == 40_000
    assert np.array_equal(merged.counts, whole.counts)
    for q in QS:
        assert merged.percentile(q) == whole.percentile(q)
    assert merged.max == whole.max and merged.min == whole.min


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=1.0, max_value=5e7), min_size=1, max_size=300))
def test_histogram_property(values: list[float]) -> None:
    h = Histogram.from_values(values)
    for q in QS:
        exact = float(np.percentile(values, q, method="inverted_cdf"))
        assert abs(h.percentile(q) - exact) <= 0.01 * exact


def test_empty_histogram() -> None:
    assert Histogram().percentile(99) == 0.0
    assert Histogram().percentiles_ms()["max"] == 0.0


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("1m", 60), ("500ms", 0.5), ("1m30s", 90), ("2", 2)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "abc", "10x", "-1s", "1s2"])
def test_parse_duration_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_stages_ramp_delivers_exact_arrivals() -> None:
    plan = Plan(0.0, parse_stages("10s:100,10s:100,5s:0"))
    assert plan.duration == 25
    assert plan.expected_arrivals() == pytest.approx(1750)
    times = list(Arrivals(plan, poisson=False, worker=0, workers=1))
    assert len(times) == 1750
    assert times == sorted(times) and times[-1] <= 25
    # the first ramp is slow at first: fewer arrivals in its first half than its second
    assert sum(t < 5 for t in times) == pytest.approx(125, abs=1)


def test_uniform_split_across_workers_interleaves() -> None:
    plan = Plan(100.0, parse_stages("2s:100"))
    merged = sorted(t for w in range(3) for t in Arrivals(plan, poisson=False, worker=w, workers=3))
    assert len(merged) == 200
    gaps = np.diff(merged)
    assert np.allclose(gaps, 0.01)


def test_poisson_rate() -> None:
    plan = Plan(1000.0, parse_stages("10s:1000"))
    n = sum(1 for _ in Arrivals(plan, poisson=True, worker=0, workers=1, seed=1))
    assert abs(n - 10_000) < 4 * math.sqrt(10_000)


@pytest.mark.parametrize("bad", ["", "30s", "x:100", "30s:-5", "30s:abc", "0s:100"])
def test_bad_stages(bad: str) -> None:
    with pytest.raises(ScheduleError):
        parse_stages(bad)


def test_profiles_shapes() -> None:
    stress = profile_plan("stress", 100, 40)
    assert [stress.rate_at(t) for t in (5, 15, 25, 35)] == [100, 150, 200, 300]
    spike = profile_plan("spike", 100, 10)
    assert spike.rate_at(2) == 100 and spike.rate_at(5) == 500 and spike.rate_at(8) == 100
    bp = profile_plan("breakpoint", 100, 10)
    assert bp.rate_at(0) == pytest.approx(10) and bp.rate_at(10) == pytest.approx(1000)
    with pytest.raises(ScheduleError):
        profile_plan("nope", 1, 1)


def test_thresholds_parse_and_evaluate() -> None:
    lat = Histogram.from_values([1000.0] * 90 + [300_000.0] * 10)  # 90 at 1 ms, 10 at 300 ms
    obs = Observed(lat, lat, requests=100, errors=1, seconds=2.0)
    ths = [
        parse_threshold(t)
        for t in ("p50<2ms", "p95<200ms", "p99<1s", "errors<0.1%", "rps>40", "service_p90<=5ms", "max<400ms")
    ]
    res = {r["threshold"]: r["passed"] for r in evaluate(ths, obs)}
    assert res == {
        "p50<2ms": True,
        "p95<200ms": False,
        "p99<1s": True,
        "errors<0.1%": False,
        "rps>40": True,
        "service_p90<=5ms": True,
        "max<400ms": True,
    }
    assert parse_threshold("p99.9<1s").percentile == 99.9
    assert parse_threshold("errors<0.5%").value == pytest.approx(0.005)


@pytest.mark.parametrize("bad", ["p95", "p95<", "p42<1s", "errors<5ms", "p95<10parsecs", "rps>1%", "lol"])
def test_bad_thresholds(bad: str) -> None:
    with pytest.raises(ThresholdError):
        parse_threshold(bad)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "http://", "http://127.0.0.1:99999/"])
def test_bad_targets(url: str) -> None:
    with pytest.raises(TargetError):
        parse_target(url)


def test_render_request() -> None:
    t = parse_target("http://127.0.0.1:8080/a?b=1")
    p = render(t, RequestTemplate("x", "POST", t.path, (("X-A", "1"),), b"{}"))
    assert p.raw.startswith(b"POST /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n")
    assert b"X-A: 1\r\n" in p.raw and b"Content-Length: 2\r\n\r\n{}" in p.raw


class _Transport:
    """Stands in for the socket: records writes and how the connection was ended."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.aborted = self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.aborted or self.closed

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.closed = True


def _engine(method: str = "GET") -> tuple[Engine, Conn, _Transport]:
    """An open-model engine with one connected, idle connection (nothing is scheduled)."""
    req = render(parse_target("http://127.0.0.1:1/"), RequestTemplate("x", method, "/"))
    cfg = EngineConfig("127.0.0.1", 1, False, "", False, [req], [0], 1, 1.0, 1.0, 10, False, 0.0, 1.0)
    eng = Engine(cfg, None)
    conn = Conn(eng)
    tr = _Transport()
    conn.connection_made(tr)
    eng.conns.add(conn)
    return eng, conn, tr


def _statuses(eng: Engine) -> dict[int, int]:
    return eng.tally.status_counts()


RESPONSES = [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200),
    (b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n", 404),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n", 200),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 201),
    (b"HTTP/1.1 204 No Content\r\n\r\n", 204),
    (b"HTTP/1.1 200 OK\r\nCONTENT-LENGTH:  3\r\n\r\nabc", 200),
]


@pytest.mark.parametrize(("raw", "status"), RESPONSES)
@pytest.mark.parametrize("chunk", [1, 3, 7, 1000])
def test_parser_any_split(raw: bytes, status: int, chunk: int) -> None:
    eng, conn, tr = _engine()
    for _ in range(2):  # keep-alive: the same connection parses two responses in a row
        conn.send(next(eng.cycle), 0.0)
        for i in range(0, len(raw), chunk):
            conn.data_received(raw[i : i + chunk])
        assert conn.req is None and eng.idle == [conn]
        eng.idle.clear()
    assert _statuses(eng) == {status: 2} and not tr.aborted
    assert eng.tally.errors == ({"http_4xx": 2} if status >= 400 else {})


def test_parser_body_not_complete_until_all_bytes() -> None:
    eng, conn, _ = _engine()
    conn.send(next(eng.cycle), 0.0)
    conn.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")
    assert _statuses(eng) == {}
    conn.data_received(b"67890")
    assert _statuses(eng) == {200: 1}


@pytest.mark.parametrize("chunk", [1, 5, 1000])
def test_parser_head_response_has_no_body(chunk: int) -> None:
    eng, conn, _ = _engine("HEAD")
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 612\r\n\r\n"
    for _ in range(2):
        conn.send(next(eng.cycle), 0.0)
        for i in range(0, len(raw), chunk):
            conn.data_received(raw[i : i + chunk])
        assert conn.req is None
    assert _statuses(eng) == {200: 2} and eng.tally.done == 2


def test_parser_body_until_close() -> None:
    eng, conn, tr = _engine()
    conn.send(next(eng.cycle), 0.0)
    conn.data_received(b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nsome")
    conn.data_received(b" body")
    assert _statuses(eng) == {}
    conn.eof_received()
    assert _statuses(eng) == {200: 1} and eng.tally.done == 1 and tr.closed


def test_parser_truncated_body_is_not_a_response() -> None:
    eng, conn, _ = _engine()
    conn.send(next(eng.cycle), 0.0)
    conn.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")
    conn.eof_received()
    conn.connection_lost(None)
    assert _statuses(eng) == {} and eng.tally.errors == {"reset": 1}


def test_parser_connection_close_drops_the_connection() -> None:
    eng, conn, tr = _engine()
    conn.send(next(eng.cycle), 0.0)
    conn.data_received(b"HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert _statuses(eng) == {503: 1} and eng.tally.errors == {"http_5xx": 1}
    assert tr.closed and conn not in eng.conns and eng.idle == []


@pytest.mark.parametrize(
    "raw",
    [b"HTTP/1.1 abc OK\r\n\r\n", b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"],
)
def test_parser_garbage_is_protocol_error(raw: bytes) -> None:
    eng, conn, tr = _engine()
    conn.send(next(eng.cycle), 0.0)
    conn.data_received(raw)
    assert tr.aborted and eng.tally.errors == {"protocol_error": 1}


def test_unsolicited_bytes_are_a_protocol_error() -> None:
    eng, conn, tr = _engine()
    conn.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert tr.aborted and conn not in eng.conns and eng.tally.errors == {}
