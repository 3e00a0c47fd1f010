"""ST003 datastore-memory-below-floor: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, where
from redline.review.rules.start._shared import _FLOORS, _MI, _size


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
    resources: {limits: {memory: 512Mi}}
    # or lower the engine's default: args: ["--innodb-buffer-pool-size=64M"]

    Trade-offs:
    More memory per replica costs node capacity; a smaller cache than the default makes reads slower.
    """

    code = "ST003"
    name = "datastore-memory-below-floor"
    category = Category.START
    severity = Severity.HIGH

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
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=(
                        f"{c.engine} `{c.name}` has a {_size(limit)} memory limit, below the {_size(need)} "
                        f"its engine takes by default: {reason}"
                    ),
                    why=(
                        f"`{c.name}` starts, fills its default cache as it serves, and is killed by the "
                        "kernel (OOMKilled) mid-query; every service that depends on it fails with it."
                    ),
                    fix=(
                        f"# {c.name}, container {k.name}\nresources:\n  limits: {{memory: "
                        f"{max(2 * int(need // _MI), 512)}Mi}}\n"
                        "# or configure the engine's cache below the limit"
                    ),
                    tradeoff="More memory per replica costs node capacity; a smaller cache slows reads.",
                )
