"""Traces → facts, with the spans the reference system really writes (OpenTelemetry SDK, OTLP JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from redline.demo.process import DemoProcess
from redline.demo.systems import Config
from redline.model.source import Source
from redline.sources.scan import scan
from redline.traces import TraceFormat, TraceReadError, apply_facts, read_traces
from tests.demo.conftest import get, stats
from tests.traces.otlp_to_jaeger import convert

REQUESTS = 30


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict, DemoProcess]]:
    """A run of back-bound with tracing: REQUESTS requests one at a time; its trace file and its stats."""
    pytest.importorskip("opentelemetry.sdk")
    path = tmp_path_factory.mktemp("traces") / "demo.otlp.jsonl"
    with DemoProcess(Config.BACK_BOUND, max_seconds=60, trace_file=path, seed=3) as demo:
        for _ in range(REQUESTS):
            assert get(demo.entry_url)[0] == 200
        counters = {name: stats(url) for name, url in demo.stats_urls.items()}
    # the demo flushed and closed the file when it stopped
    yield path, counters, demo


def test_otlp_json_from_the_sdk_gives_the_call_graph_own_times_and_no_errors(traced) -> None:
    path, counters, _ = traced
    first = json.loads(path.read_text().splitlines()[0])
    span = first["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16  # lowercase hex, as OTLP/JSON says
    assert isinstance(span["startTimeUnixNano"], str) and span["kind"] in (2, 3)
    facts = read_traces(path)
    assert facts.format is TraceFormat.OTLP
    assert facts.source == Source(file=str(path))
    assert facts.traces == REQUESTS
    assert facts.spans == REQUESTS * 5  # front's server span, 2 client spans, 2 back server spans
    front, back = facts.services["front"], facts.services["back"]
    assert (front.visits, front.entry_requests, back.visits, back.entry_requests) == (30, 30, 60, 0)
    assert front.error_rate == back.error_rate == 0.0
    [call] = facts.calls
    assert (call.from_, call.to, call.calls, call.per_request) == ("front", "back", 60, 2.0)
    assert call.overhead_ms is not None and call.overhead_ms > 0
    # Own time read off the spans agrees with the service's own counter of its sleeps (same requests)
    back_own_ms = counters["back"]["own_s"] / counters["back"]["requests"] * 1000
    assert back.own_ms == pytest.approx(back_own_ms, abs=0.5)
    front_own_ms = counters["front"]["own_s"] / counters["front"]["requests"] * 1000
    assert front.own_ms >= front_own_ms  # the span also covers issuing the calls
    assert front.own_ms == pytest.approx(front_own_ms, abs=1.5)


def test_jaeger_json_built_from_the_same_run_gives_the_same_facts(traced, tmp_path: Path) -> None:
    path, _, _ = traced
    jaeger = tmp_path / "demo.jaeger.json"
    convert(path, jaeger)
    otlp, jj = read_traces(path), read_traces(jaeger)
    assert jj.format is TraceFormat.JAEGER
    assert (jj.spans, jj.traces) == (otlp.spans, otlp.traces)
    for name, s in otlp.services.items():
        j = jj.services[name]
        assert (j.visits, j.entry_requests, j.error_rate) == (s.visits, s.entry_requests, s.error_rate)
        assert j.own_ms == pytest.approx(s.own_ms, abs=0.01)  # Jaeger keeps microseconds
    assert [(c.from_, c.to, c.calls, c.per_request) for c in jj.calls] == [
        (c.from_, c.to, c.calls, c.per_request) for c in otlp.calls
    ]


def test_applied_to_the_model_the_facts_carry_the_trace_file_as_their_source(traced) -> None:
    path, _, demo = traced
    facts = read_traces(path)
    system, notes = apply_facts(scan(demo.spec.folder), facts)
    assert notes == []
    back = system.component("back")
    assert back is not None and back.service_time_s == pytest.approx(facts.services["back"].own_ms / 1000)
    prov = back.provenance["service_time_s"]
    assert (prov.origin, prov.source, prov.overrode) == ("traces", facts.source, "stated 4 ms")
    assert system.calls_from("front")[0].count == 2.0


def test_a_callee_that_is_down_shows_as_errors(tmp_path: Path) -> None:
    pytest.importorskip("opentelemetry.sdk")
    path = tmp_path / "down.jsonl"
    with DemoProcess(Config.BACK_BOUND, max_seconds=30, trace_file=path, down=("back",)) as demo:
        for _ in range(4):
            assert get(demo.entry_url)[0] == 502
    facts = read_traces(path)
    assert set(facts.services) == {"front"}
    assert (facts.services["front"].visits, facts.services["front"].error_rate) == (4, 1.0)
    [call] = facts.calls  # nothing answered: the callee comes from the client span's peer.service
    assert (call.to, call.calls, call.per_request, call.overhead_ms) == ("back", 8, 2.0, None)


def test_files_that_are_not_traces_are_refused_with_their_path(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(TraceReadError, match=r"x\.json: neither OTLP JSON \(resourceSpans\) nor Jaeger JSON"):
        read_traces(bad)
    lines = tmp_path / "y.jsonl"
    lines.write_text('{"resourceSpans": []}\n{oops\n')
    with pytest.raises(TraceReadError, match=r"y\.jsonl:2: not JSON"):
        read_traces(lines)
    with pytest.raises(TraceReadError, match="No such file"):
        read_traces(tmp_path / "missing.json")


def test_calibrate_writes_the_traced_own_times_and_call_counts(traced, tmp_path: Path) -> None:
    import shutil

    from tests.verify.test_verify_demo import redline

    path, _, demo = traced
    shutil.copy(demo.spec.folder / "redline.yaml", tmp_path / "redline.yaml")
    out = tmp_path / "calibrated.yaml"
    proc = redline("calibrate", str(tmp_path), "--from", str(path), "-o", str(out), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    facts = read_traces(path)
    fits = {(f["component"], f["kind"]): f for f in json.loads(proc.stdout)["fits"]}
    assert fits[("back", "service_time")]["after"] == pytest.approx(facts.services["back"].own_ms / 1000)
    assert fits[("back", "service_time")]["samples"] == 60
    assert (fits[("front", "count")]["before"], fits[("front", "count")]["after"]) == (2.0, 2.0)
    text = out.read_text()
    assert f"traces {path}: own time over 60 spans (was 4ms)" in text
    system = scan(tmp_path, overlay=out)
    assert system.component("back").service_time_s == pytest.approx(
        facts.services["back"].own_ms / 1000, rel=1e-3
    )
