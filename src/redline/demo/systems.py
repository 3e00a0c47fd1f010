"""The reference systems: what each configuration of ``python -m redline.demo`` runs, by construction.

These definitions are the truth the demo runs; each configuration's ``redline.yaml`` (in
``systems/<config>/``) states the same numbers for redline to read, and ``tests/demo`` checks that the two
agree. They are kept apart on purpose: ``redline calibrate`` rewrites a ``redline.yaml`` with measured
values, and that must never change the system being measured.

Capacities are in the low hundreds of requests per second, so that the services and the load generator
fit on a 2-core machine with headroom.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = ["SYSTEMS", "Call", "Config", "Pool", "Service", "SystemSpec", "redline_yaml"]

SYSTEMS_DIR = Path(__file__).parent / "systems"


class Config(StrEnum):
    """The three reference configurations."""

    SINGLE = "single"
    BACK_BOUND = "back-bound"
    FEW_FRONT = "few-front"


@dataclass(frozen=True)
class Call:
    """``count`` calls to ``to`` per request; parallel calls run together, the rest one after another."""

    to: str
    count: int = 1
    parallel: bool = False
    pool: str | None = None


@dataclass(frozen=True)
class Pool:
    """A bounded connection pool: at most ``size`` connections open towards ``to``."""

    name: str
    size: int
    to: str


@dataclass(frozen=True)
class Service:
    """One service: a FIFO pool of ``workers``, own work drawn with mean ``service_time_s``, its calls.

    ``held``: a worker stays taken while the calls run (thread-per-request); otherwise it is released
    after the service's own work (an event loop that awaits its calls). ``scv`` is the squared
    coefficient of variation of the own work: 1 exponential, 0 constant, anything else a gamma law.
    """

    name: str
    workers: int
    service_time_s: float
    scv: float = 1.0
    held: bool = True
    calls: tuple[Call, ...] = ()
    pools: tuple[Pool, ...] = ()


@dataclass(frozen=True)
class SystemSpec:
    """A configuration: its services (the first is the entry point) and what it is for."""

    config: Config
    services: tuple[Service, ...]
    purpose: str
    entry: str = "front"  # the component traffic enters
    entrypoint: str = "web"  # the entry point's name in redline.yaml

    @property
    def folder(self) -> Path:
        return SYSTEMS_DIR / self.config.value

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)


_POOL = Pool("back", 32, "back")
_FAN_OUT = (Call("back", count=2, parallel=True, pool="back"),)

SYSTEMS: dict[Config, SystemSpec] = {
    Config.SINGLE: SystemSpec(
        Config.SINGLE,
        (Service("front", workers=2, service_time_s=0.008),),
        "single tier: one service, 2 workers × 8 ms exponential; saturates at 250 req/s",
    ),
    Config.BACK_BOUND: SystemSpec(
        Config.BACK_BOUND,
        (
            Service("front", workers=4, service_time_s=0.001, held=False, calls=_FAN_OUT, pools=(_POOL,)),
            Service("back", workers=2, service_time_s=0.004),
        ),
        "two tiers bound by the back: front fans out 2 parallel calls to back (2 workers × 4 ms) "
        "through a pool of 32; saturates at 250 req/s, where back is full",
    ),
    Config.FEW_FRONT: SystemSpec(
        Config.FEW_FRONT,
        (
            Service("front", workers=2, service_time_s=0.001, held=True, calls=_FAN_OUT, pools=(_POOL,)),
            Service("back", workers=4, service_time_s=0.004),
        ),
        "two tiers with few front workers: front holds one of its 2 workers while its 2 parallel calls to "
        "back (4 workers × 4 ms) run; front's workers fill up first",
    ),
}


def redline_yaml(config: Config) -> Path:
    """The ``redline.yaml`` that describes ``config`` to redline."""
    return SYSTEMS[config].folder / "redline.yaml"
