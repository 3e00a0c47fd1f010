"""verify's result types: what ``--format json`` prints, the text view renders and calibrate reads.

Latencies are milliseconds, rates requests per second, errors and bands percent. ``error_pct`` is
``(measured − predicted) / predicted × 100``: positive when the system was slower (or, for saturation,
stronger) than forecast.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Calibration",
    "CallCounters",
    "CallTiming",
    "Counters",
    "EntrypointVerify",
    "Fit",
    "FitKind",
    "LoadPoint",
    "Pct",
    "Percentiles",
    "Probe",
    "Saturation",
    "ServerTiming",
    "Step",
    "Verdict",
    "VerifyResult",
]


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Verdict(StrEnum):
    PASS = "pass"  # every error inside its band
    FAIL = "fail"  # an error outside its band, or the wrong bottleneck
    INCOMPLETE = "incomplete"  # something could not be measured (a run that got no answer)


class Percentiles(_Result):
    """Latency percentiles in milliseconds (``None``: nothing measured, or unbounded)."""

    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None


class Pct(_Result):
    """A percentage per percentile (errors, bands)."""

    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


class CallCounters(_Result):
    """One caller's calls to one callee over a run, from the caller's stats."""

    calls: int
    call_s: float
    pool_wait_s: float = 0.0
    pool_busy_s: float = 0.0
    pool_size: int | None = None


class Counters(_Result):
    """What a component's stats endpoint counted over a run (snapshot differences; seconds)."""

    seconds: float
    workers: int | None = None
    requests: int
    own_s: float
    wait_s: float = 0.0
    hold_s: float = 0.0
    response_s: float = 0.0
    busy_s: float = 0.0
    queue_s: float = 0.0
    calls: dict[str, CallCounters] = Field(default_factory=dict)

    @property
    def utilization(self) -> float | None:
        """Mean share of workers in use."""
        if not self.workers or self.seconds <= 0:
            return None
        return self.busy_s / (self.workers * self.seconds)


class CallTiming(_Result):
    calls_per_request: float
    mean_ms: float


class ServerTiming(_Result):
    """One component's Server-Timing entries over the probe."""

    visits_per_request: float
    own_ms: float | None = None
    response_ms: float | None = None
    calls: dict[str, CallTiming] = Field(default_factory=dict)


class Probe(_Result):
    """Requests sent one at a time before any load: the latency at zero load, and Server-Timing."""

    requests: int
    errors: int = 0
    latency_ms: dict[str, float]
    predicted_mean_ms: float | None = Field(
        None, description="the forecast's mean latency at zero load, to set against latency_ms.mean"
    )
    server_timing: dict[str, ServerTiming] = Field(default_factory=dict)


class LoadPoint(_Result):
    """One load level: the forecast against what was measured after the warm-up."""

    fraction: float = Field(description="of the predicted saturation")
    rps: float = Field(description="offered load (arrivals per second)")
    achieved_rps: float | None
    completions: int = Field(description="responses after the warm-up, over every repeat")
    predicted: Percentiles
    measured: Percentiles
    error_pct: Pct
    band_pct: Pct
    within_band: bool | None
    repeats: list[Percentiles] = Field(default_factory=list)
    errors: int = 0
    keeping_up: bool = True
    autocorrelation: float = Field(1.0, description="variance inflation used for the band (1 = none)")
    stats: list[dict[str, Counters]] = Field(
        default_factory=list, description="per repeat, after the warm-up"
    )


class Step(_Result):
    """One step of the saturation search and what the trend test decided."""

    fraction: float
    rps: float
    arrivals: int = Field(description="requests sent after the warm-up")
    completions: int = Field(description="responses after the warm-up")
    backlog: int = Field(description="arrivals − completions")
    backlog_limit: float
    throughput_rps: float | None = Field(description="completions per second over the last two thirds")
    throughput_completions: int = Field(0, description="the completions that rate counts")
    first_third_ms: float | None = Field(description="median latency (per-second p50s) of the first third")
    last_third_ms: float | None
    stable: bool
    reason: str
    errors: int = 0
    keeping_up: bool = True
    stats: dict[str, Counters] = Field(default_factory=dict)
    utilization: dict[str, float] = Field(default_factory=dict, description="measured, per component/pool")


class Saturation(_Result):
    predicted_rps: float | None
    measured_rps: float | None
    error_pct: float | None = Field(description="(measured − predicted) / predicted × 100")
    band_pct: float | None = Field(description="the measurement's own uncertainty (95%)")
    within_band: bool | None
    bottleneck: str | None = Field(description="predicted: the saturated resource nearest the leaves")
    measured_bottleneck: str | None = None
    bottleneck_matches: bool | None = None
    forecast_bottleneck: str | None = Field(None, description="what the forecast names (its own rule)")
    forecast_reason: str | None = None
    bracket_rps: list[float] = Field(default_factory=list, description="last stable and first unstable step")
    method: str = ""


class EntrypointVerify(_Result):
    name: str
    url: str
    component: str
    saturation: Saturation
    points: list[LoadPoint]
    steps: list[Step] = Field(default_factory=list)
    probe: Probe | None = None
    notes: list[str] = Field(default_factory=list)


class VerifyResult(_Result):
    """Everything ``redline verify`` says about one system."""

    tool: str = "redline verify"
    version: int = 1
    system: str | None
    entrypoints: list[EntrypointVerify]
    verdict: Verdict
    reasons: list[str] = Field(default_factory=list, description="why the verdict is not pass")
    duration_s: float
    warmup_s: float
    repeat: int
    at: list[float]
    replayed: bool = Field(False, description="re-forecast against recorded measurements; no load sent")
    measured_at: str | None = Field(None, description="when the measurement started (UTC, ISO 8601)")

    @classmethod
    def from_document(cls, doc: object) -> VerifyResult:
        """A result from ``redline verify --format json`` output (its ``skipped`` list is the scan's, not
        the result's); raises ``ValueError`` when it is not one."""
        if not isinstance(doc, dict) or doc.get("tool") != "redline verify":
            raise ValueError('not a redline verify JSON (no "tool": "redline verify")')
        return cls.model_validate({k: v for k, v in doc.items() if k != "skipped"})

    assumptions: list[str] = Field(default_factory=list)


class FitKind(StrEnum):
    SERVICE_TIME = "service_time"  # a component's own work per request
    OVERHEAD = "overhead"  # one call's cost outside the callee: pool wait excluded, transport included
    COUNT = "count"  # calls per request of the caller


class Fit(_Result):
    """One value calibrate fitted, and from what."""

    component: str
    kind: FitKind
    callee: str | None = Field(None, description="for a call's overhead or count")
    before: float | None = Field(description="seconds (calls for a count); None: not stated")
    after: float
    samples: int
    method: str


class Calibration(_Result):
    """What calibrate fitted, and the forecast's saturation before and after."""

    source: str
    fits: list[Fit]
    notes: list[str] = Field(default_factory=list)
    saturation_before: dict[str, float | None] = Field(default_factory=dict)
    saturation_after: dict[str, float | None] = Field(default_factory=dict)
    measured_saturation: dict[str, float | None] = Field(default_factory=dict)
    written: str | None = Field(None, description="the redline.yaml written")
