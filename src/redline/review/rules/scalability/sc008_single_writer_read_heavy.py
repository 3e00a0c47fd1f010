"""SC008 single-writer-read-heavy: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Safety, advice
from redline.model import Kind
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register


@register
class SingleWriterReadHeavy(Rule):
    """A single-writer database under read-heavy traffic, with no read replica.

    What it does:
        Flags a datastore with one writer (``replicas: 1``) whose redline.yaml states a ``read_ratio``
        at or above the threshold (``read_heavy_ratio``, default 80%) and no ``read_replicas``. It fires
        only where the read share is stated: redline does not guess a workload's mix.

    Why it matters:
        Every read competes with every write for the one instance's CPU, memory and connections. Reads
        are the part of the load that grows with traffic, and the only way to add capacity for them is
        a bigger machine: a vertical ceiling, and a restart to reach it.

    Example:
        ```yaml
        components:
          db: {kind: datastore, engine: postgres, replicas: 1, read_ratio: 90%}
        ```

    Fix:
        Advice only: add read replicas through the engine's replication (an operator, or a managed
        service's read replicas), route read-only queries to them, then state them in redline.yaml. No
        edit is offered: a replica count on a single writer starts divergent copies, and writing
        ``read_replicas`` into redline.yaml before they exist would describe a system that does not run.
        ```yaml
        components:
          db: {kind: datastore, engine: postgres, replicas: 1, read_ratio: 90%, read_replicas: 2}
        ```

    Trade-offs:
        Read replicas cost an instance each and are asynchronously replicated: reads can be stale by the
        replication lag, so read-your-writes paths must stay on the primary.
    """

    code = "SC008"
    name = "single-writer-read-heavy"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:
        limit = float(ctx.thresholds.get("read_heavy_ratio", 0.8))
        for c in ctx.system.components:
            if c.kind is not Kind.DATASTORE or c.read_ratio is None or c.read_ratio < limit:
                continue
            if c.replicas != 1 or (c.read_replicas or 0) > 0:
                continue
            where = c.provenance.get("read_ratio")
            source = where.source if where else c.source
            name = c.object_name or c.name
            yield self.on(
                ctx,
                c,
                file=source.file,
                line=source.line,
                message=(
                    f"`{c.name}` is a single writer serving {c.read_ratio:.0%} reads with no read replica."
                ),
                why=(
                    f"All reads of `{c.name}` compete with its writes on one instance; as traffic grows, "
                    "reads "
                    "grow with it and the only remedy left is a bigger machine and a restart to get there."
                ),
                fix=advice(
                    f"serve `{name}`'s reads from read replicas",
                    f"Add read replicas to `{name}` through its engine's replication (an operator, or a "
                    "managed service's read replicas) and send read-only queries to them; then state "
                    "`read_replicas` for it in redline.yaml. No edit is offered: a replica count on a "
                    "single writer starts divergent copies.",
                    example={"components": {c.name: {"read_replicas": 2}}},
                ),
                tradeoff=(
                    "One instance per replica; replicas lag the primary, so read-your-writes paths must stay "
                    "on the primary."
                ),
            )
