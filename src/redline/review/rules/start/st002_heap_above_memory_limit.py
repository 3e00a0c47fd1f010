"""ST002 heap-above-memory-limit: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, Safety, advice
from redline.model import Component, Container
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, where
from redline.review.rules.start._shared import (
    _HEADROOM,
    _go_limit,
    _heap,
    _limit_fix,
    _quantity,
    _round_up,
    _size,
)

#: Share of the memory limit a heap takes after the fix: what is left holds the runtime's own memory.
_HEAP_SHARE = 0.75
#: Share of the memory limit GOMEMLIMIT takes after the fix: the Go runtime counts its own memory in it.
_GO_SHARE = 0.9


@register
class HeapAboveMemoryLimit(Rule):
    """What it does:
    Flags a container whose runtime is told to use as much memory as its memory limit allows, or more:
    a JVM `-Xmx` (in `JAVA_OPTS`, `JAVA_TOOL_OPTIONS`, `JDK_JAVA_OPTIONS`, `_JAVA_OPTIONS`, `JVM_OPTS`,
    `CATALINA_OPTS`, `ES_JAVA_OPTS`, `KAFKA_HEAP_OPTS` or the command) at or above 80% of the limit, a
    `-XX:MaxRAMPercentage` above 90, a Node.js `--max-old-space-size` (in `NODE_OPTIONS` or the command)
    at or above 80% of the limit, and a `GOMEMLIMIT` at or above the limit. At or above the limit is
    high severity; between 80% and 100% medium.

    Why it matters:
    The heap is not all a process uses: a JVM adds metaspace, thread stacks, the code cache and direct
    buffers (typically 100-300 MiB), V8 its young generation and code space. When the heap may grow to
    the limit, the kernel's OOM killer ends the container as soon as the heap fills, under load, with
    no Java `OutOfMemoryError` and no log line: an `OOMKilled` restart loop exactly when traffic peaks.
    A `GOMEMLIMIT` above the limit never makes Go's collector work harder before the kill.

    Example:
    env: [{name: JAVA_OPTS, value: "-Xmx512m"}]
    resources: {limits: {memory: 512Mi}}

    Fix:
    Unsafe (a larger limit also raises the memory the scheduler reserves when no request is stated, and
    may leave a pod unschedulable): the memory limit raised so the heap takes 75% of it (GOMEMLIMIT 90%),
    rounded up to 128 MiB. A `MaxRAMPercentage` above 90 is advice: the flag sits inside a command or an
    options string that redline does not rewrite; lower it to 75. Lowering the heap instead of raising the
    limit is the other way out.

    resources: {limits: {memory: 768Mi}}   # -Xmx512m: the heap is 75% of it

    Trade-offs:
    A smaller heap collects more often (CPU) or a bigger limit costs node memory; the percentage form
    keeps heap and limit from drifting apart.
    """

    code = "ST002"
    name = "heap-above-memory-limit"
    category = Category.START
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k in app_containers(c):
                limit = k.resources.memory_limit if k.resources is not None else None
                if not limit or limit <= 0:
                    continue
                file, line = where(k.resources.source if k.resources else None, k.source, c.source)
                for sev, message, evidence, need in self._problems(k, limit):
                    yield self.finding(
                        component=c.name,
                        file=file,
                        line=line,
                        severity=ctx.severity_for(c, sev),
                        message=f"container `{k.name}` of `{c.name}`: {message}",
                        why=(
                            f"When the heap fills under load, `{c.name}`'s container uses more than its "
                            f"{_size(limit)} limit and the kernel kills it (OOMKilled), with no error in "
                            "its logs: a restart loop at the traffic peak."
                        ),
                        fix=_fix(c, k, need, evidence),
                        tradeoff=(
                            "A smaller heap collects more often; a bigger limit costs node memory. A "
                            "percentage keeps heap and limit from drifting apart."
                        ),
                        evidence=[evidence],
                    )

    def _problems(self, k: Container, limit: float) -> Iterator[tuple[Severity, str, str, float | None]]:
        """(severity, message, where the setting is, the memory limit that fixes it or None)."""
        heap = _heap(k)
        if heap is not None:
            runtime, size, pct, at = heap
            extra = (
                "metaspace, thread stacks and the code cache"
                if runtime == "JVM"
                else "V8's young generation and code space"
            )
            if size is not None and size >= limit:
                yield (
                    Severity.HIGH,
                    f"the {runtime} heap may grow to {_size(size)}, at or above the {_size(limit)} memory "
                    f"limit, and {extra} come on top",
                    at,
                    size / _HEAP_SHARE,
                )
            elif size is not None and size >= _HEADROOM * limit:
                yield (
                    Severity.MEDIUM,
                    f"the {runtime} heap may grow to {_size(size)}, {size / limit:.0%} of the {_size(limit)} "
                    f"memory limit, leaving too little for {extra}",
                    at,
                    size / _HEAP_SHARE,
                )
            elif pct is not None and pct > 90:
                yield (
                    Severity.HIGH if pct >= 100 else Severity.MEDIUM,
                    f"-XX:MaxRAMPercentage={pct:g} lets the JVM heap take {pct:g}% of the {_size(limit)} "
                    f"memory limit, leaving too little for {extra}",
                    at,
                    None,
                )
        go = _go_limit(k)
        if go is not None and go[0] >= limit:
            yield (
                Severity.MEDIUM,
                f"GOMEMLIMIT {_size(go[0])} is at or above the {_size(limit)} memory limit: the Go "
                "collector never tightens before the kernel kills the container",
                go[1],
                go[0] / _GO_SHARE,
            )


def _fix(c: Component, k: Container, need: float | None, evidence: str) -> Fix:
    if need is None:
        return advice(
            f"lower -XX:MaxRAMPercentage of container `{k.name}` of `{c.name}` to 75",
            f"Set -XX:MaxRAMPercentage=75 where it is set ({evidence}), so a quarter of the limit is left "
            "for the JVM's own memory; redline does not rewrite command lines or option strings.",
        )
    limit = _round_up(need)
    return _limit_fix(
        c, k, limit, f"raise the memory limit of container `{k.name}` of `{c.name}` to {_quantity(limit)}"
    )
