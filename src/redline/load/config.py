"""``LoadConfig`` (what the user asked for) and its validation into a runnable plan.

Every usage problem (bad URL, stages, thresholds, scenario) is raised here as :class:`ConfigError`
before any process starts or any byte is sent, so the CLI can exit 2 with one clear line.
"""

from __future__ import annotations

import math
import os
import random
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from redline.load.http import Prepared, RequestTemplate, Target, parse_header, parse_target, render
from redline.load.scenario import Scenario, expand, load_scenario, uses_variables
from redline.load.schedule import PROFILES, Plan, Stage, parse_stages, profile_plan
from redline.load.thresholds import Threshold, parse_threshold
from redline.model.units import parse_duration

DEFAULT_RATE = 100.0
DEFAULT_DURATION = 10.0
DEFAULT_MAX_DURATION = 3600.0  # hard cap on any run unless raised explicitly
DEFAULT_MAX_REQUESTS = 10_000_000
DEFAULT_CONNECTIONS = 256
PROFILE_DURATIONS = {"baseline": 30.0, "stress": 60.0, "spike": 30.0, "soak": 600.0, "breakpoint": 120.0}
_MAX_MIX = 200_000
# What one machine can drive (measured on the 2-core bench machine, docs/load.md "Limits"): one
# worker process dispatches about 100,000 req/s against a loopback nginx before it falls behind its
# schedule; 10,000 connections (users) connect and run cleanly, 20,000 do not (half the connects
# time out), and one source address has only ~28,000 ports towards one target.
MAX_RATE_PER_PROCESS = 100_000.0
MAX_CONNECTIONS = 10_000
MAX_WAIT = 3600.0  # --timeout, --connect-timeout, --think: at most an hour


class ConfigError(ValueError):
    """A usage error; the CLI prints it on one line and exits 2."""


def parse_duration_option(value: str, option: str) -> float:
    """A duration given to ``option`` (e.g. ``--duration 30s``), or :class:`ConfigError` naming it.

    The unit is required (``--duration 30`` is refused: 30 what?); only ``0`` may stand alone.
    """
    try:
        return parse_duration(value, default_unit=None)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from None


def max_rate() -> float:
    """The highest arrival rate this machine is allowed to be asked for (see MAX_RATE_PER_PROCESS)."""
    return MAX_RATE_PER_PROCESS * (os.cpu_count() or 1)


def check_output_path(path: Path, option: str, example: str = "results.json") -> None:
    """Refuse, before anything runs, an output path that cannot be written as a file.

    A directory, a missing folder or a folder we cannot write to is a usage error; no folder is
    ever created on the user's behalf.
    """
    if path.is_dir():
        raise ConfigError(f"{option}: {path} is a directory; give a file name, e.g. {path / example}")
    folder = path.parent
    if not folder.is_dir():
        raise ConfigError(f"{option}: folder {folder} does not exist; create it first or choose another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{option}: folder {folder} is not writable")


class LoadConfig(BaseModel):
    """Everything a load run needs; CLI options map one to one. Durations are seconds."""

    url: str | None = None
    method: str = "GET"
    headers: list[str] = Field(default_factory=list)
    body: str = ""
    scenario: Path | None = None
    rate: float | None = None
    users: int | None = None
    think: float = 0.0
    duration: float | None = None
    warmup: float = 0.0  # seconds at the start left out of ``measured`` (the run still sends them)
    stages: str | None = None
    profile: str | None = None
    arrival: Literal["poisson", "uniform"] = "poisson"
    connections: int | None = None
    workers: int | None = None
    timeout: float = 10.0
    connect_timeout: float = 5.0
    max_requests: int = DEFAULT_MAX_REQUESTS
    max_duration: float = DEFAULT_MAX_DURATION
    thresholds: list[str] = Field(default_factory=list)
    abort_on_fail: bool = False
    insecure: bool = False
    ca_cert: Path | None = None
    seed: int | None = None
    out: Path | None = None


@dataclass
class RunPlan:
    """A validated config: what the runner executes."""

    config: LoadConfig
    target: Target
    requests: list[Prepared]
    mix: list[int]
    model: Literal["open", "closed"]
    plan: Plan | None  # open model only
    duration: float
    users: int
    connections: int
    workers: int
    thresholds: list[Threshold]
    profile: str | None


def _positive(name: str, value: float | None) -> None:
    if value is not None and (not math.isfinite(value) or value <= 0):
        raise ConfigError(f"{name} must be > 0 (got {value})")


def prepare(cfg: LoadConfig) -> RunPlan:
    """Validate and resolve defaults (scenario values first, then command-line values)."""
    scenario: Scenario | None = None
    if cfg.scenario is not None:
        try:
            scenario = load_scenario(cfg.scenario)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        cfg = _merge_scenario_defaults(cfg, scenario)
    url = cfg.url or (scenario.target if scenario else None)
    if not url:
        raise ConfigError("no target: give a URL (e.g. http://127.0.0.1:8080/) or a scenario with 'target'")
    try:
        target = parse_target(url)
        if scenario is not None:
            templates = scenario.templates
            rows = scenario.rows
        else:
            headers = tuple(parse_header(h) for h in cfg.headers)
            templates = [
                RequestTemplate(
                    f"{cfg.method.upper()} {target.path}",
                    cfg.method,
                    target.path,
                    headers,
                    cfg.body.encode("utf-8"),
                )
            ]
            rows = []
        requests, mix = _build_mix(target, templates, rows, cfg.seed)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    try:
        thresholds = [parse_threshold(t) for t in cfg.thresholds]
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    _check_numbers(cfg)
    if cfg.out is not None:
        check_output_path(cfg.out, "--out")
    if cfg.profile is not None and cfg.profile not in PROFILES:
        raise ConfigError(f"unknown profile {cfg.profile!r}; choose one of {', '.join(PROFILES)}")
    if cfg.users is not None and (cfg.rate is not None or cfg.stages or cfg.profile):
        raise ConfigError("--users (closed model) cannot be combined with --rate, --stages or --profile")
    workers = cfg.workers if cfg.workers is not None else os.cpu_count() or 1

    if cfg.users is not None:
        duration = cfg.duration or DEFAULT_DURATION
        plan = None
        model: Literal["open", "closed"] = "closed"
        connections = cfg.users
        workers = min(workers, cfg.users)
    else:
        model = "open"
        rate = cfg.rate if cfg.rate is not None else DEFAULT_RATE
        if cfg.stages:
            try:
                stages = parse_stages(cfg.stages)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            start = 0.0 if cfg.rate is None else rate
            plan = Plan(start, stages)
        elif cfg.profile:
            dur = cfg.duration or PROFILE_DURATIONS[cfg.profile]
            plan = profile_plan(cfg.profile, rate, dur)
        else:
            plan = Plan(rate, (Stage(cfg.duration or DEFAULT_DURATION, rate),))
        duration = plan.duration
        if plan.peak_rate() > max_rate():
            raise ConfigError(
                f"a rate of {plan.peak_rate():g} req/s is more than one machine can drive: at most "
                f"{max_rate():,.0f} req/s here ({MAX_RATE_PER_PROCESS:,.0f} per process, one process per "
                "core); above that the generator, not the server, would set the pace. "
                "Run redline on several machines and add up the results"
            )
        if plan.expected_arrivals() < 1:
            raise ConfigError("the schedule sends no request: raise --rate or lengthen --duration/--stages")
        connections = cfg.connections or DEFAULT_CONNECTIONS
        # A worker per ~50 req/s at most: more processes than that only add start-up time.
        workers = max(1, min(workers, math.ceil(plan.peak_rate() / 50.0)))
    if cfg.warmup and cfg.warmup >= duration:
        raise ConfigError(f"--warmup {cfg.warmup:g}s must be shorter than the run ({duration:g}s)")
    if duration > cfg.max_duration:
        raise ConfigError(f"run of {duration:g}s exceeds the {cfg.max_duration:g}s cap; raise --max-duration")
    workers = max(1, min(workers, connections))
    return RunPlan(
        cfg,
        target,
        requests,
        mix,
        model,
        plan,
        duration,
        cfg.users or 0,
        connections,
        workers,
        thresholds,
        cfg.profile,
    )


def _check_numbers(cfg: LoadConfig) -> None:
    """Every numeric option within its range: finite, positive where it must be, and under the caps."""
    for name, val in (
        ("--timeout", cfg.timeout),
        ("--connect-timeout", cfg.connect_timeout),
        ("--rate", cfg.rate),
        ("--duration", cfg.duration),
        ("--max-duration", cfg.max_duration),
    ):
        _positive(name, val)
    for name, val in (
        ("--timeout", cfg.timeout),
        ("--connect-timeout", cfg.connect_timeout),
        ("--think", cfg.think),
        ("--warmup", cfg.warmup),
    ):
        if not 0 <= val <= MAX_WAIT:
            raise ConfigError(f"{name} must be between 0s and 1h (got {val:g}s)")
    if cfg.max_requests < 1:
        raise ConfigError("--max-requests must be >= 1")
    if cfg.workers is not None and not 1 <= cfg.workers <= 64:
        raise ConfigError(f"--workers must be between 1 and 64 (got {cfg.workers})")
    for name, count in (("--users", cfg.users), ("--connections", cfg.connections)):
        if count is None:
            continue
        if count < 1:
            raise ConfigError(f"{name} must be >= 1 (got {count})")
        if count > MAX_CONNECTIONS:
            raise ConfigError(
                f"{name} {count} is more than one machine can hold open: at most {MAX_CONNECTIONS:,} "
                "connections (each user is one); more exhaust the ports and file descriptors of one "
                "client and the connects, not the server, fail. Run redline on several machines"
            )
    if cfg.ca_cert is not None:
        _check_ca(cfg.ca_cert)


def _check_ca(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"--cacert: file not found: {path}")
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ConfigError(f"--cacert: {path} is not a PEM certificate ({exc})") from None


def _merge_scenario_defaults(cfg: LoadConfig, sc: Scenario) -> LoadConfig:
    load = sc.load
    updates: dict[str, object] = {}
    try:
        for key in ("rate", "users", "profile", "stages", "arrival", "connections"):
            if key in load and getattr(cfg, key) in (None, "poisson"):
                updates[key] = load[key]
        for key in ("duration", "think"):
            if key in load and not getattr(cfg, key):
                updates[key] = parse_duration(load[key], default_unit=None)
        if "thresholds" in load and not cfg.thresholds:
            updates["thresholds"] = [str(t) for t in load["thresholds"]]
        return LoadConfig.model_validate({**cfg.model_dump(), **updates})
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{sc.path}: bad 'load' section: {exc}") from None


def _build_mix(
    target: Target, templates: list[RequestTemplate], rows: list[dict[str, str]], seed: int | None
) -> tuple[list[Prepared], list[int]]:
    """Render every request up front and a round-robin index list honouring the weights.

    Weights become integer repeat counts (smallest weight → at least 1 slot); templates with
    ``${vars}`` take successive CSV rows on each use. The list is shuffled once so a mix of
    heavy and light requests interleaves instead of arriving in blocks.
    """
    min_w = min(t.weight for t in templates)
    counts = [max(1, round(t.weight / min_w)) for t in templates]
    while sum(counts) > 1000:
        counts = [max(1, c // 2) for c in counts]
    reps = 1
    if rows and any(uses_variables(t) for t in templates):
        reps = max(1, min(len(rows), _MAX_MIX // sum(counts)))
    requests: list[Prepared] = []
    mix: list[int] = []
    for tpl, count in zip(templates, counts, strict=True):
        if rows and uses_variables(tpl):
            base = len(requests)
            n_rows = min(len(rows), reps * count)
            requests.extend(render(target, expand(tpl, rows[i])) for i in range(n_rows))
            mix.extend(base + (j % n_rows) for j in range(reps * count))
        else:
            requests.append(render(target, tpl))
            mix.extend([len(requests) - 1] * (reps * count))
    random.Random(seed if seed is not None else 0).shuffle(mix)
    return requests, mix
