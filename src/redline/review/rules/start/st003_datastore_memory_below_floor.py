"""ST003 datastore-memory-below-floor: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, where
from redline.review.rules.start._shared import _FLOORS, _limit_fix, _quantity, _round_up, _size


@register
class DatastoreMemoryBelowFloor(Rule):
    """What it does:
    Flags a datastore or queue whose memory limit is below what its engine takes by default, when the
    command does not lower that default: MySQL 256 MiB (128 MiB InnoDB buffer pool plus the performance
    schema and connection buffers), MariaDB 128 MiB (buffer pool), PostgreSQL 128 MiB (`shared_buffers`),
    MongoDB 256 MiB (minimum WiredTiger cache), Kafka 1 GiB (its start script's `-Xmx1G`, unless
    `KAFKA_HEAP_OPTS` is set). Floors are the engines' own defaults, deliberately low: tuning advice is
    not a finding.

    Why it matters:
    The engine starts, fills its default cache as data is read, and crosses the limit: the kernel kills
    it (OOMKilled) in the middle of queries, and every service behind it fails with it. Scaling the limit
    down also makes a review look greener while the database is about to crash-loop.

    Example:
    image: mysql:8.0
    resources: {limits: {memory: 10Mi}}

    Fix:
    Unsafe (a larger limit also raises the memory the scheduler reserves when no request is stated, and
    may leave the pod unschedulable): the memory limit raised to twice the engine's default footprint, so
    the default cache fits with as much again for connections and the rest. The other way out, lowering
    the engine's default (`--innodb-buffer-pool-size=64M`, `shared_buffers`), is the engine's own
    configuration and is left to the reader.

    resources: {limits: {memory: 512Mi}}   # mysql: twice its 256 MiB default footprint

    Trade-offs:
    More memory per replica costs node capacity; a smaller cache than the default makes reads slower.
    """

    code = "ST003"
    name = "datastore-memory-below-floor"
    category = Category.START
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            floor = _FLOORS.get(c.engine or "")
            if floor is None or c.is_batch:
                continue
            need, reason, knobs = floor
            for k in app_containers(c):
                if k.image != c.image:
                    continue  # the engine is the main image's; sidecars are not the datastore
                limit = k.resources.memory_limit if k.resources is not None else None
                if not limit or limit <= 0 or limit >= need:
                    continue
                words = " ".join(k.command).lower()
                if any(knob in words for knob in knobs):
                    continue
                if c.engine == "kafka" and any(e.name == "KAFKA_HEAP_OPTS" for e in k.env):
                    continue  # ST002 judges an explicit heap
                file, line = where(k.resources.source if k.resources else None, k.source, c.source)
                raised = _round_up(2 * need)
                yield self.on(
                    ctx,
                    c,
                    file=file,
                    line=line,
                    message=(
                        f"{c.engine} `{c.name}` has a {_size(limit)} memory limit, below the {_size(need)} "
                        f"its engine takes by default: {reason}"
                    ),
                    why=(
                        f"`{c.name}` starts, fills its default cache as it serves, and is killed by the "
                        "kernel (OOMKilled) mid-query; every service that depends on it fails with it."
                    ),
                    fix=_limit_fix(
                        c,
                        k,
                        raised,
                        f"raise the memory limit of {c.engine} `{c.name}` to {_quantity(raised)}, twice "
                        "its engine's default footprint",
                    ),
                    tradeoff="More memory per replica costs node capacity; a smaller cache slows reads.",
                )
