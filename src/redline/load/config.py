"""``LoadConfig`` (what the user asked for) and its validation into a runnable plan.

Every usage problem (bad URL, stages, thresholds, scenario) is raised here as :class:`ConfigError`
before any process starts or any byte is sent, so the CLI can exit 2 with one clear line.
"""

from __future__ import annotations

import math
import os
import random
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


class ConfigError(ValueError):
    """A usage error; the CLI prints it on one line and exits 2."""


def parse_duration_option(value: str, option: str) -> float:
    """A duration given to ``option`` (e.g. ``--duration 30s``), or :class:`ConfigError` naming it."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from None


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
    for name, val in (
        ("--timeout", cfg.timeout),
        ("--connect-timeout", cfg.connect_timeout),
        ("--rate", cfg.rate),
        ("--duration", cfg.duration),
        ("--max-duration", cfg.max_duration),
    ):
        _positive(name, val)
    if cfg.ca_cert is not None and not cfg.ca_cert.is_file():
        raise ConfigError(f"--cacert: file not found: {cfg.ca_cert}")
    if cfg.think < 0:
        raise ConfigError("--think must be >= 0")
    if cfg.max_requests < 1:
        raise ConfigError("--max-requests must be >= 1")
    if cfg.profile is not None and cfg.profile not in PROFILES:
        raise ConfigError(f"unknown profile {cfg.profile!r}; choose one of {', '.join(PROFILES)}")
    if cfg.users is not None and (cfg.rate is not None or cfg.stages or cfg.profile):
        raise ConfigError("--users (closed model) cannot be combined with --rate, --stages or --profile")
    if cfg.users is not None and cfg.users < 1:
        raise ConfigError("--users must be >= 1")
    workers = cfg.workers or os.cpu_count() or 1
    if workers < 1 or workers > 64:
        raise ConfigError("--workers must be between 1 and 64")

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
        if plan.expected_arrivals() < 1:
            raise ConfigError("the schedule sends no request: raise --rate or lengthen --duration/--stages")
        connections = cfg.connections or DEFAULT_CONNECTIONS
        # A worker per ~50 req/s at most: more processes than that only add start-up time.
        workers = max(1, min(workers, math.ceil(plan.peak_rate() / 50.0)))
    if cfg.connections is not None and cfg.connections < 1:
        raise ConfigError("--connections must be >= 1")
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


def _merge_scenario_defaults(cfg: LoadConfig, sc: Scenario) -> LoadConfig:
    load = sc.load
    updates: dict[str, object] = {}
    try:
        for key in ("rate", "users", "profile", "stages", "arrival", "connections"):
            if key in load and getattr(cfg, key) in (None, "poisson"):
                updates[key] = load[key]
        for key in ("duration", "think"):
            if key in load and not getattr(cfg, key):
                updates[key] = parse_duration(str(load[key]))
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
