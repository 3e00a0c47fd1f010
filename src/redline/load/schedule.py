"""Open-model arrival schedules: stages, profiles, and exact intended send times.

The open model is what makes latency honest: requests are *scheduled* at intended times that do
not depend on how fast the server answers, and latency is measured from those times. A stall
therefore shows up as the queueing delay real users would see instead of vanishing (coordinated
omission).

Stages are k6-style: each ``(duration, target)`` ramps the arrival rate linearly from the previous
target to ``target`` over ``duration``; a zero-length stage is an instant step. Intended times are
the exact inverse of the cumulative arrival count Λ(t) (piecewise quadratic), not a "next = now +
1/rate" approximation, so ramps deliver exactly the requested number of arrivals.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from redline.model.units import parse_duration, parse_rate

PROFILES = ("baseline", "stress", "spike", "soak", "breakpoint")


class ScheduleError(ValueError):
    """A bad ``--stages`` string or profile; the CLI turns it into exit code 2."""


@dataclass(frozen=True)
class Stage:
    duration: float  # seconds
    target: float  # arrivals/s at the end of the stage


@dataclass(frozen=True)
class Plan:
    """Initial rate plus stages: the whole rate curve of an open-model run."""

    start_rate: float
    stages: tuple[Stage, ...]

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.stages)

    def rate_at(self, t: float) -> float:
        """Target arrival rate at ``t`` seconds into the run."""
        prev = self.start_rate
        for seg in self.stages:
            if t < seg.duration:
                return prev + (seg.target - prev) * (t / seg.duration) if seg.duration > 0 else seg.target
            t -= seg.duration
            prev = seg.target
        return prev

    def expected_arrivals(self) -> float:
        prev, total = self.start_rate, 0.0
        for seg in self.stages:
            total += (prev + seg.target) / 2.0 * seg.duration
            prev = seg.target
        return total

    def peak_rate(self) -> float:
        return max([self.start_rate, *(s.target for s in self.stages)])


def parse_stages(text: str) -> tuple[Stage, ...]:
    """Parse ``"30s:100,1m:500,30s:0"``."""
    stages: list[Stage] = []
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise ScheduleError(f"bad --stages {text!r}: expected e.g. '30s:100,1m:500,30s:0'")
    for part in parts:
        dur_s, sep, rate_s = part.partition(":")
        if not sep:
            raise ScheduleError(f"bad stage {part!r} in --stages: expected DURATION:RATE, e.g. 30s:100")
        try:
            dur = parse_duration(dur_s.strip(), default_unit=None)
            rate = parse_rate(rate_s.strip())
        except ValueError as exc:
            raise ScheduleError(f"bad stage {part!r} in --stages: {exc}") from None
        if not math.isfinite(rate) or rate < 0:
            raise ScheduleError(f"bad stage {part!r} in --stages: rate must be >= 0")
        stages.append(Stage(dur, rate))
    if sum(s.duration for s in stages) <= 0:
        raise ScheduleError(f"bad --stages {text!r}: total duration is zero")
    return tuple(stages)


def profile_plan(profile: str, rate: float, duration: float) -> Plan:
    """Default rate curve of a named profile around a "normal" ``rate`` over ``duration``.

    * baseline / soak: steady ``rate`` (soak is judged on drift between first and last windows);
    * stress: four equal steps at 1×, 1.5×, 2×, 3× the normal rate;
    * spike: normal, a sudden 5× surge for 20% of the run, then normal again;
    * breakpoint: a linear ramp from 10% to 10× the normal rate; the runner stops it at the
      first sustained SLO breach.
    """
    d = duration
    if profile in ("baseline", "soak"):
        return Plan(rate, (Stage(d, rate),))
    if profile == "stress":
        q = d / 4.0
        steps: list[Stage] = []
        for mult in (1.0, 1.5, 2.0, 3.0):
            steps += [Stage(0.0, rate * mult), Stage(q, rate * mult)]
        return Plan(rate, tuple(steps))
    if profile == "spike":
        return Plan(
            rate,
            (
                Stage(0.4 * d, rate),
                Stage(0.0, 5 * rate),
                Stage(0.2 * d, 5 * rate),
                Stage(0.0, rate),
                Stage(0.4 * d, rate),
            ),
        )
    if profile == "breakpoint":
        return Plan(rate * 0.1, (Stage(d, rate * 10.0),))
    raise ScheduleError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")


class Arrivals:
    """Iterator of intended send times (seconds from run start) for one worker.

    With ``uniform`` arrivals, worker ``k`` of ``n`` takes the global arrivals ``k, k+n, k+2n, …`` so
    the merged stream is exactly evenly spaced. With ``poisson`` each worker draws an independent
    Poisson process at 1/n of the rate (the superposition is Poisson at the full rate).
    """

    def __init__(self, plan: Plan, *, poisson: bool, worker: int, workers: int, seed: int | None = None):
        self._segs: list[tuple[float, float, float, float]] = []  # (t_start, dur, r0, r1)
        t, prev = 0.0, plan.start_rate
        for seg in plan.stages:
            self._segs.append((t, seg.duration, prev, seg.target))
            t += seg.duration
            prev = seg.target
        self._poisson = poisson
        self._step = float(workers)
        self._rng = random.Random(seed if seed is not None else random.randrange(1 << 30) + worker)
        # Cumulative arrival count Λ at which the next arrival happens (global units for uniform).
        self._next_area = (worker + 0.5) if not poisson else self._rng.expovariate(1.0) * workers
        self._seg_i = 0
        self._area_before = 0.0  # Λ at the start of segment _seg_i

    def __iter__(self) -> Arrivals:
        return self

    def __next__(self) -> float:
        target = self._next_area
        while self._seg_i < len(self._segs):
            t0, dur, r0, r1 = self._segs[self._seg_i]
            seg_area = (r0 + r1) / 2.0 * dur
            if target <= self._area_before + seg_area and seg_area > 0:
                a = target - self._area_before
                tau = _invert(a, dur, r0, r1)
                if self._poisson:
                    self._next_area += self._rng.expovariate(1.0) * self._step
                else:
                    self._next_area += self._step
                return t0 + min(tau, dur)
            self._area_before += seg_area
            self._seg_i += 1
        raise StopIteration


def _invert(a: float, dur: float, r0: float, r1: float) -> float:
    """Time τ within a linear-rate segment where the arrivals so far reach ``a``."""
    if dur <= 0:
        return 0.0
    k = (r1 - r0) / dur
    if abs(k) < 1e-12:
        return a / r0
    disc = max(r0 * r0 + 2.0 * k * a, 0.0)
    return (-r0 + math.sqrt(disc)) / k
