"""Operability rules (``OP###``): what decides whether the platform can run, restart, roll and stop a service.

These are the facts per-object linters also check, but here each finding is weighted by where the
component sits in the graph: a missing readiness probe on a component three entry points depend on is
worse than on a leaf nothing calls, and a batch job needs no readiness probe at all. Scope is stated per
rule: probes and graceful shutdown apply to long-running Kubernetes workloads; healthchecks and restart
policies to Compose services; deadlines to Jobs and CronJobs. Init containers are never probed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from redline.model import Component, Container, Probe
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    as_int,
    defaulted_any,
    defaulted_limit,
    is_datastore,
    is_long_running,
    loc,
    threshold,
    where,
)

# Kubernetes probe defaults, applied when comparing probes (the model keeps unstated fields as None).
_PROBE_DEFAULTS = {"period_s": 10.0, "timeout_s": 1.0, "failure_threshold": 3}


def _k8s_services(ctx: Context) -> Iterator[Component]:
    """Long-running Kubernetes workloads."""
    for c in ctx.system.components:
        if c.platform == "kubernetes" and is_long_running(c) and c.containers:
            yield c


def _selected_by_service(ctx: Context, c: Component) -> list[str]:
    """Names of the Kubernetes Services that route to ``c``."""
    return [o.name for o in ctx.objects_selecting(c.name, "Service")]


def _receives_traffic(ctx: Context, c: Component) -> bool:
    """A Service routes to it, or the graph says something calls it or it is exposed."""
    return bool(_selected_by_service(ctx, c)) or ctx.has_traffic(c)


def _describe(p: Probe) -> str:
    if p.type == "http":
        return f"http :{p.port}{p.path or '/'}"
    if p.type == "exec":
        return "exec `" + " ".join(p.command or []) + "`"
    return f"{p.type} :{p.port}"


def _names(containers: list[Container]) -> str:
    return ", ".join(f"`{k.name}`" for k in containers)


@register
class NoReadinessProbe(Rule):
    """What it does:
    Flags a long-running Kubernetes workload that receives traffic (a Service selects it, something calls
    it, or it is exposed) and has no readiness probe on any of its containers. Batch jobs, workloads
    nothing sends requests to, and init containers are out of scope.

    Why it matters:
    Without a readiness probe a pod joins the Service's endpoints the moment its container starts, before
    it has opened connections, warmed caches or loaded config. Every rollout, scale-up and restart then
    sends real requests to a pod that cannot answer them; callers see connection refused or 5xx bursts
    exactly when the system is already changing. The pod also stays in rotation while it is wedged.

    Example:
    A Deployment `payments` with one container `server` and no `readinessProbe`, selected by Service
    `payments`: each deploy produces a few seconds of failed payments.

    Fix:
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 5
      failureThreshold: 3

    Trade-offs:
    One cheap request per period per pod. The endpoint must reflect the pod's own ability to serve;
    checking shared dependencies in it takes every pod out of rotation at once when that dependency blips.
    """

    code = "OP001"
    name = "no-readiness-probe"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            containers = app_containers(c)
            if not containers or any(k.readiness is not None for k in containers):
                continue
            if not _receives_traffic(ctx, c):
                continue
            services = _selected_by_service(ctx, c)
            via = f" although Service `{services[0]}` routes to it" if services else ""
            file, line = where(containers[0].source, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=f"`{c.name}` has no readiness probe on any container ({_names(containers)}){via}",
                why=(
                    f"Pods of `{c.name}` receive requests as soon as their process starts and while they are "
                    "wedged: every rollout, scale-up and restart turns into a burst of errors for its "
                    "callers."
                ),
                fix=(
                    f"# {c.name}, container {containers[0].name}\n"
                    "readinessProbe:\n  httpGet: {path: /ready, port: 8080}\n  periodSeconds: 5\n"
                    "  failureThreshold: 3"
                ),
                tradeoff=(
                    "A cheap request per period per pod; keep the check local (do not probe shared "
                    "dependencies, or one blip empties every endpoint at once)."
                ),
            )


@register
class NoLivenessProbe(Rule):
    """What it does:
    Flags a long-running Kubernetes workload with no liveness probe on any container. Batch jobs and init
    containers are out of scope.

    Why it matters:
    A process that deadlocks, spins or leaks into unresponsiveness without exiting is never restarted: the
    container keeps running, Kubernetes sees it as healthy, and it keeps its share of traffic (or its
    work queue) until a human notices. A liveness probe turns "hung" into "restarted".

    Example:
    A Deployment `worker` whose only container has neither `livenessProbe` nor `startupProbe`.

    Fix:
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      periodSeconds: 10
      timeoutSeconds: 3
      failureThreshold: 6

    Trade-offs:
    A liveness probe that is too strict restarts pods that are merely slow under load and makes an overload
    worse; make it more tolerant than the readiness probe (longer timeout, more failures) and add a
    startupProbe for slow starters.
    """

    code = "OP002"
    name = "no-liveness-probe"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            containers = app_containers(c)
            if not containers or any(k.liveness is not None for k in containers):
                continue
            file, line = where(containers[0].source, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=f"`{c.name}` has no liveness probe on any container ({_names(containers)})",
                why=(
                    f"If `{c.name}` hangs without exiting (deadlock, exhausted thread pool), Kubernetes "
                    "keeps it "
                    "running and it keeps failing its share of the work until someone restarts it by hand."
                ),
                fix=(
                    f"# {c.name}, container {containers[0].name}\n"
                    "livenessProbe:\n  httpGet: {path: /healthz, port: 8080}\n  periodSeconds: 10\n"
                    "  timeoutSeconds: 3\n  failureThreshold: 6"
                ),
                tradeoff=(
                    "A too-strict liveness probe restarts pods that are only slow under load; keep it more "
                    "tolerant than readiness."
                ),
            )


def _probe_key(p: Probe) -> tuple[object, ...]:
    """What a probe checks and how strictly, with Kubernetes defaults filled in."""
    return (
        p.type,
        str(p.port) if p.port is not None else None,
        (p.path or "/") if p.type == "http" else None,
        tuple(p.command or ()),
        p.period_s if p.period_s is not None else _PROBE_DEFAULTS["period_s"],
        p.timeout_s if p.timeout_s is not None else _PROBE_DEFAULTS["timeout_s"],
        p.failure_threshold if p.failure_threshold is not None else _PROBE_DEFAULTS["failure_threshold"],
    )


@register
class LivenessSameAsReadiness(Rule):
    """What it does:
    Flags a container whose liveness probe is the same check as its readiness probe: same type, port, path
    or command, and the same period, timeout and failure threshold (Kubernetes defaults filled in; the
    initial delay is ignored since it only matters at start-up).

    Why it matters:
    Readiness answers "should this pod get traffic now?", liveness "is this process beyond repair?". When
    they are the same check with the same thresholds, they fail together: a pod that is merely overloaded
    or waiting on a slow dependency is taken out of rotation *and* restarted. The restart drops its
    in-flight work and pushes its load onto the remaining pods, which then fail the same check: an overload
    becomes a rolling restart of the whole Deployment.

    Example:
    readinessProbe and livenessProbe both `httpGet: {path: /health, port: 8080}` with default thresholds.

    Fix:
    livenessProbe:
      httpGet: {path: /livez, port: 8080}   # process-local check, no dependencies
      timeoutSeconds: 5
      failureThreshold: 6                   # more tolerant than readiness

    Trade-offs:
    A more tolerant liveness probe restarts a truly hung process later (here ~60 s instead of ~30 s); a
    separate endpoint is a few lines of application code.
    """

    code = "OP003"
    name = "liveness-same-as-readiness"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            for k in app_containers(c):
                if k.liveness is None or k.readiness is None:
                    continue
                if _probe_key(k.liveness) != _probe_key(k.readiness):
                    continue
                file, line = where(k.liveness.source, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=(
                        f"container `{k.name}` of `{c.name}` uses the same check for liveness and readiness "
                        f"({_describe(k.liveness)}, same thresholds)"
                    ),
                    why=(
                        f"When `{c.name}` is overloaded or a dependency is slow, its pods fail readiness and "
                        "liveness together: they are restarted instead of just rested, their load moves "
                        "to the "
                        "remaining pods, and the overload turns into a rolling restart."
                    ),
                    fix=(
                        f"# {c.name}, container {k.name}\n"
                        "livenessProbe:\n  httpGet: {path: /livez, port: 8080}  # process-local check\n"
                        "  timeoutSeconds: 5\n  failureThreshold: 6  # more tolerant than readiness"
                    ),
                    tradeoff=(
                        "A hung process is restarted somewhat later; a separate endpoint is a little code."
                    ),
                    evidence=[
                        f"{loc(k.readiness.source, k.source)} readiness {_describe(k.readiness)}",
                        f"{loc(k.liveness.source, k.source)} liveness {_describe(k.liveness)}",
                    ],
                )


@register
class ProbePortNotDeclared(Rule):
    """What it does:
    Flags a probe whose port is not a port of the pod. A *named* port (`port: http`) that no container of
    the pod declares can never be resolved: the probe always fails. A *numeric* port that no container
    declares is reported at low severity, and only when the pod declares ports at all: declaring a
    containerPort is informational in Kubernetes, so the process may still listen there.

    Why it matters:
    A readiness probe on a port nobody listens on keeps every pod out of the Service forever (a rollout
    that never completes); a liveness probe on it restarts the container in a loop. Both usually come from
    renaming or moving a port in one place and not the other.

    Example:
    ports: [{name: http, containerPort: 8080}] with readinessProbe.httpGet.port: web.

    Fix:
    readinessProbe:
      httpGet: {path: /ready, port: http}  # a name from this container's ports:

    Trade-offs:
    None: it is a typo fix. Prefer named ports so the probe follows the port when it moves.
    """

    code = "OP004"
    name = "probe-port-not-declared"
    category = Category.OPERABILITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            containers = app_containers(c)
            pod_ports = [p for k in containers for p in k.ports]
            names = {p.name for p in pod_ports if p.name}
            numbers = {n for p in pod_ports if (n := as_int(p.port)) is not None}
            for k in containers:
                for kind, probe in (
                    ("readiness", k.readiness),
                    ("liveness", k.liveness),
                    ("startup", k.startup),
                ):
                    if probe is None or probe.port is None or probe.type == "exec":
                        continue
                    number = as_int(probe.port)
                    file, line = where(probe.source, k.source, c.source)
                    if number is None:
                        name = str(probe.port)
                        if name in names:
                            continue
                        declared = ", ".join(sorted(names)) or "none"
                        yield self.finding(
                            component=c.name,
                            file=file,
                            line=line,
                            severity=ctx.severity_for(c, self.severity),
                            message=(
                                f"the {kind} probe of container `{k.name}` in `{c.name}` uses port name "
                                f"`{name}`, which no container of the pod declares (named ports: {declared})"
                            ),
                            why=(
                                "Kubernetes cannot resolve the name, so the probe fails every time: "
                                + (
                                    "the pod never becomes ready and never receives traffic."
                                    if kind != "liveness"
                                    else "the container is restarted in a loop."
                                )
                            ),
                            fix=(
                                f"# {c.name}, container {k.name}\n{kind}Probe:\n"
                                "  httpGet: {path: /ready, port: http}  # a name declared under ports:"
                            ),
                            tradeoff="None: a typo fix.",
                        )
                    elif numbers and number not in numbers:
                        declared = ", ".join(str(n) for n in sorted(numbers))
                        yield self.finding(
                            component=c.name,
                            file=file,
                            line=line,
                            severity=Severity.LOW,
                            message=(
                                f"the {kind} probe of container `{k.name}` in `{c.name}` checks port "
                                f"{number}, "
                                f"which no container of the pod declares (declared: {declared})"
                            ),
                            why=(
                                "If the process does not listen there the probe always fails; if it does (an "
                                "admin port), the undeclared port is invisible to readers and to Services."
                            ),
                            fix=(
                                f"# {c.name}, container {k.name}\nports:\n"
                                f"  - {{name: health, containerPort: {number}}}\n"
                                f"{kind}Probe:\n  httpGet: {{path: /ready, port: health}}"
                            ),
                            tradeoff="None: one more declared port.",
                        )


def _has_resources(k: Container) -> bool:
    r = k.resources
    return r is not None and any(
        v is not None for v in (r.cpu_request, r.cpu_limit, r.memory_request, r.memory_limit)
    )


@register
class NoResources(Rule):
    """What it does:
    Flags a container of a long-running Kubernetes workload that states no CPU or memory requests and no
    limits at all. Compose services are out of scope (a single host has no scheduler to inform).

    Why it matters:
    The scheduler places pods by their requests. A pod with none is "BestEffort": it is packed onto any
    node regardless of load, gets no guaranteed CPU when the node is busy, and is the first one killed when
    the node runs out of memory. Capacity planning and HPA CPU targets (a percentage *of the request*)
    have nothing to work from.

    Example:
    containers: [{name: api, image: api:1.4}] with no `resources:`.

    Fix:
    resources:
      requests: {cpu: 250m, memory: 256Mi}
      limits: {memory: 512Mi}

    Trade-offs:
    Requests reserve capacity you pay for even when idle; too-low requests still overcommit nodes.
    Measure real usage (e.g. p95 over a week) before choosing numbers.
    """

    code = "OP005"
    name = "no-resources"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            for k in app_containers(c):
                if _has_resources(k) or defaulted_any(ctx, c.namespace) is not None:
                    continue  # a namespace LimitRange default makes it Burstable, not BestEffort
                file, line = where(k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=f"container `{k.name}` of `{c.name}` states no CPU or memory requests or limits",
                    why=(
                        f"`{c.name}` runs as BestEffort: scheduled without regard to node load, starved of "
                        "CPU on a "
                        "busy node, and the first pod evicted when the node runs short of memory."
                    ),
                    fix=(
                        f"# {c.name}, container {k.name}\nresources:\n  requests: {{cpu: 250m, memory: "
                        "256Mi}}\n"
                        "  limits: {memory: 512Mi}"
                    ),
                    tradeoff=(
                        "Requests reserve (and bill) capacity even when idle; size them from measured usage."
                    ),
                )


@register
class NoMemoryLimit(Rule):
    """What it does:
    Flags a container of a long-running Kubernetes workload that states some resources but no memory
    limit. (A container with no resources at all is reported by OP005 instead.)

    Why it matters:
    Memory is not compressible. A leak or an unbounded cache in a container with no memory limit grows
    until the *node* runs out, and the kernel OOM killer and kubelet evictions then take down neighbours
    that did nothing wrong, often other services' replicas on the same node. A limit confines the damage to
    the leaking container, which is restarted.

    Example:
    resources: {requests: {cpu: 100m, memory: 128Mi}} with no `limits.memory`.

    Fix:
    resources:
      requests: {memory: 256Mi}
      limits: {memory: 512Mi}

    Trade-offs:
    A limit set too low turns normal peaks into OOM kills and restarts; set it from measured peak usage with
    headroom. Setting the limit equal to the request gives Guaranteed QoS at the cost of idle headroom.
    """

    code = "OP006"
    name = "no-memory-limit"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            for k in app_containers(c):
                if not _has_resources(k) or k.resources is None or k.resources.memory_limit is not None:
                    continue
                if defaulted_limit(ctx, c.namespace, "memory") is not None:
                    continue  # the namespace LimitRange's default memory limit applies
                file, line = where(k.resources.source, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=f"container `{k.name}` of `{c.name}` has no memory limit",
                    why=(
                        f"A leak in `{c.name}` grows until its node runs out of memory, and the OOM killer "
                        "and "
                        "evictions then take down other services' pods on that node too."
                    ),
                    fix=f"# {c.name}, container {k.name}\nresources:\n  limits: {{memory: 512Mi}}",
                    tradeoff=(
                        "Too low a limit turns normal peaks into OOM restarts; size it from measured peaks."
                    ),
                )


def _image_name(image: str) -> str:
    """The image's repository without registry, tag or digest: ``ghcr.io/a/b:1@sha256:..`` -> ``a/b``."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)
    if ":" in last[-1]:
        ref = ref.rsplit(":", 1)[0]
    parts = ref.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    return "/".join(parts)


@register
class MutableImageTag(Rule):
    """What it does:
    Flags a container image with no tag or the `:latest` tag and no digest. An image pinned by digest
    (`@sha256:...`) is fine whatever its tag. Images named exactly like their component or container with
    no registry (`image: frontend` in a Deployment `frontend`) are skipped: they are placeholders that a
    build tool (skaffold, `docker compose build`, kustomize `images:`) replaces or builds locally.

    Why it matters:
    `latest` is whatever was pushed last. Two replicas of one Deployment can run different code, a node
    that restarts a pod silently upgrades it (a new major version of a database, with a new on-disk
    format), and a rollback to "the previous version" has nothing to roll back to.

    Example:
    image: mongo          # resolves to mongo:latest

    Fix:
    image: mongo:7.0.14   # or mongo@sha256:<digest>

    Trade-offs:
    Pinned versions must be bumped deliberately (Renovate or Dependabot can open the PRs); digests are
    exact but unreadable, so pin `name:version@sha256:...` together.
    """

    code = "OP007"
    name = "mutable-image-tag"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform not in ("kubernetes", "compose"):
                continue
            for k in c.containers:
                if not k.image or k.image_digest or "@sha256:" in k.image:
                    continue
                tag = k.image_tag
                if tag is None:
                    last = k.image.rsplit("/", 1)[-1]
                    tag = last.split(":", 1)[1] if ":" in last else None
                if tag not in (None, "latest"):
                    continue
                if "$" in k.image or "{{" in k.image:  # interpolated: the tag comes from elsewhere
                    continue
                name = _image_name(k.image)
                placeholder = name in (c.name, k.name, c.name.rsplit("/", 1)[-1])
                if "/" not in k.image and placeholder and c.engine is None:
                    continue
                file, line = where(k.source, c.source)
                what = "the `:latest` tag" if tag == "latest" else "no tag (so `:latest`)"
                main = is_datastore(c) and k.image == c.image  # the datastore itself, not a sidecar
                sev = self.severity.shifted(-1) if main else self.severity
                # Blast radius only lowers this one (tooling, batch): drift is not worse for being central.
                adjusted = ctx.severity_for(c, sev)
                sev = adjusted if adjusted.rank > sev.rank else sev
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=sev,
                    message=f"container `{k.name}` of `{c.name}` runs image `{k.image}` with {what}",
                    why=(
                        f"Any restart of `{c.name}` may pull different code than its other replicas run"
                        + (
                            ", and a datastore can jump a major version and its on-disk format"
                            if main
                            else ""
                        )
                        + "; a rollback has no previous version to return to."
                    ),
                    fix=(
                        f"# {c.name}, container {k.name}\nimage: {name}:<version>  # or "
                        f"{name}@sha256:<digest>"
                    ),
                    tradeoff="Pinned versions need deliberate bumps (automate with Renovate or Dependabot).",
                )


def _grace(c: Component) -> float | None:
    return c.termination_grace_s


@register
class TerminationGraceTooShort(Rule):
    """What it does:
    Flags a long-running Kubernetes workload whose `terminationGracePeriodSeconds` is explicitly set below
    a threshold (default 5 s, `thresholds.termination_grace_min_s`). Unset means the Kubernetes default of
    30 s and is not reported.

    Why it matters:
    On every rollout, scale-down and node drain the pod gets SIGTERM and then, after the grace period,
    SIGKILL. Endpoint removal propagates to kube-proxy and load balancers asynchronously, often over a few
    seconds; a pod killed sooner drops its in-flight requests and any that are still routed to it, and
    cannot flush buffers or commit offsets.

    Example:
    terminationGracePeriodSeconds: 1

    Fix:
    terminationGracePeriodSeconds: 30
    containers:
      - lifecycle:
          preStop: {exec: {command: ["sleep", "5"]}}

    Trade-offs:
    Longer grace makes rollouts and drains slower (each old pod lingers up to the grace period).
    """

    code = "OP008"
    name = "termination-grace-too-short"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        minimum = threshold(ctx, "termination_grace_min_s", 5.0)
        for c in _k8s_services(ctx):
            grace = _grace(c)
            if grace is None or grace >= minimum:
                continue
            prov = c.provenance.get("termination_grace_s")
            file, line = where(prov.source if prov else None, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"`{c.name}` sets terminationGracePeriodSeconds to {grace:g} s, below {minimum:g} s"
                ),
                why=(
                    f"Pods of `{c.name}` are SIGKILLed {grace:g} s after SIGTERM, before load balancers stop "
                    "routing to them: every rollout and node drain drops in-flight requests."
                ),
                fix=(
                    f"# {c.name}, pod spec\nterminationGracePeriodSeconds: 30\ncontainers:\n"
                    '  - lifecycle: {preStop: {exec: {command: ["sleep", "5"]}}}'
                ),
                tradeoff="Rollouts and node drains take longer.",
            )


@register
class TerminationGraceTooLong(Rule):
    """What it does:
    Flags a long-running Kubernetes workload whose `terminationGracePeriodSeconds` is explicitly set above a
    threshold (default 300 s, `thresholds.termination_grace_max_s`).

    Why it matters:
    A pod that ignores SIGTERM, or waits for work that never ends, holds its node for the whole grace
    period. Node drains (cluster upgrades, autoscaler scale-down, spot reclaims, which give ~2 minutes)
    stall or kill it anyway, and a rollout of N pods can take N times the grace period.

    Example:
    terminationGracePeriodSeconds: 3600

    Fix:
    terminationGracePeriodSeconds: 60   # and make the process finish or hand off work on SIGTERM

    Trade-offs:
    Long-running work must be checkpointable or handed off (requeued) instead of awaited.
    """

    code = "OP009"
    name = "termination-grace-too-long"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        maximum = threshold(ctx, "termination_grace_max_s", 300.0)
        for c in _k8s_services(ctx):
            grace = _grace(c)
            if grace is None or grace <= maximum:
                continue
            prov = c.provenance.get("termination_grace_s")
            file, line = where(prov.source if prov else None, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=f"`{c.name}` sets terminationGracePeriodSeconds to {grace:g} s, above {maximum:g} s",
                why=(
                    f"A pod of `{c.name}` that does not exit on SIGTERM holds its node for {grace:g} s: node "
                    "drains and cluster upgrades stall, and spot reclaims kill it anyway."
                ),
                fix=f"# {c.name}, pod spec\nterminationGracePeriodSeconds: 60",
                tradeoff="Long work must be checkpointed or requeued on SIGTERM instead of awaited.",
            )


@register
class NoPreStopHook(Rule):
    """What it does:
    Flags a long-running Kubernetes workload that a Service routes to and none of whose containers has a
    `preStop` hook.

    Why it matters:
    When a pod is deleted, Kubernetes sends SIGTERM and removes the pod from the Service's endpoints at the
    same time; kube-proxy, ingress controllers and cloud load balancers learn about the removal a few
    seconds later. A process that exits promptly on SIGTERM therefore keeps receiving connections it no
    longer accepts: every rollout, scale-down and node drain costs a burst of failed requests. A short
    `preStop` sleep keeps the pod serving until routing has caught up.

    Example:
    A Deployment `frontend` behind Service `frontend` with no `lifecycle.preStop`.

    Fix:
    lifecycle:
      preStop:
        exec: {command: ["sleep", "5"]}   # or sleep: {seconds: 5} on Kubernetes >= 1.30

    Trade-offs:
    Each pod takes a few seconds longer to stop, so rollouts and drains are slower; the image needs a
    `sleep` binary unless the native `sleep` action is available. Unnecessary when the application itself
    keeps serving for a few seconds after SIGTERM.
    """

    code = "OP010"
    name = "no-prestop-hook"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            containers = app_containers(c)
            if not containers or any(k.pre_stop for k in containers):
                continue
            services = _selected_by_service(ctx, c)
            if not services:
                continue
            file, line = where(containers[0].source, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=self.severity,
                message=(
                    f"`{c.name}` is behind Service `{services[0]}` but none of its containers "
                    f"({_names(containers)}) has a preStop hook"
                ),
                why=(
                    f"Pods of `{c.name}` get SIGTERM while endpoints still route to them: unless the process "
                    "keeps serving after SIGTERM, each rollout or scale-down fails the requests in flight."
                ),
                fix=(
                    f"# {c.name}, container {containers[0].name}\nlifecycle:\n  preStop:\n"
                    '    exec: {command: ["sleep", "5"]}'
                ),
                tradeoff="Pods take a few seconds longer to stop; the image needs a `sleep` binary.",
            )


def _compose_services(ctx: Context) -> Iterator[Component]:
    for c in ctx.system.components:
        if c.platform == "compose" and is_long_running(c):
            yield c


def _startup_dependents(ctx: Context, name: str) -> list[str]:
    """Compose services that ``depends_on`` (or link to) ``name``."""
    return sorted({e.from_ for e in ctx.system.calls_to(name) if _is_depends_on(e)})


def _is_depends_on(e: object) -> bool:
    evidence = getattr(e, "evidence", [])
    return any(ev.kind in ("depends_on", "links") for ev in evidence)


#: The engine's own readiness command, for the healthcheck snippet in fixes.
_HEALTH_TESTS = {
    "postgres": '["CMD-SHELL", "pg_isready -U postgres"]',
    "mysql": '["CMD", "mysqladmin", "ping", "-h", "localhost"]',
    "mariadb": '["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]',
    "mongodb": '["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand(\'ping\')"]',
    "redis": '["CMD", "redis-cli", "ping"]',
    "valkey": '["CMD", "valkey-cli", "ping"]',
    "rabbitmq": '["CMD", "rabbitmq-diagnostics", "-q", "ping"]',
    "memcached": '["CMD-SHELL", "echo stats | nc localhost 11211"]',
}
_GENERIC_TEST = '["CMD", "curl", "-fsS", "http://localhost:8080/health"]'


@register
class ComposeNoHealthcheck(Rule):
    """What it does:
    Flags a Compose service that defines no `healthcheck` (or disables it) when other services depend on
    it, or when it is a datastore, cache or queue that anything calls. Stateless leaves nobody depends on,
    tooling and run-once setup containers are not reported. The image may still declare a `HEALTHCHECK`;
    the message says so.

    Why it matters:
    `depends_on` without a health condition only waits for the container to *start*, not for the
    database inside to accept connections: dependents boot, fail their first connection and crash or
    serve errors. Without a healthcheck `docker compose ps` shows a wedged service as "running" and
    `restart` policies never see it fail. (If a dependent uses `condition: service_healthy` on a service
    with no healthcheck at all, Compose refuses to start; IN007 reports that.)

    Example:
    db: {image: postgres:16} with `api: {depends_on: [db]}`.

    Fix:
    db:
      healthcheck:
        test: ["CMD-SHELL", "pg_isready -U postgres"]
        interval: 5s
        retries: 10
    api:
      depends_on: {db: {condition: service_healthy}}

    Trade-offs:
    Start-up waits for the healthcheck to pass (seconds); each check is a process exec every interval.
    """

    code = "OP011"
    name = "compose-no-healthcheck"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        one_shot = _run_to_completion(ctx)
        for c in _compose_services(ctx):
            if c.healthcheck is not None and not c.healthcheck_disabled:
                continue
            if ctx.is_tooling(c) or c.name in one_shot or _ONE_SHOT.search(c.name):
                continue  # tools and run-once setup containers: dependents wait for completion, not health
            waiting = _startup_dependents(ctx, c.name)
            callers = sorted({e.from_ for e in ctx.system.calls_to(c.name)})
            if not waiting and not (is_datastore(c) and callers):
                continue
            base = Severity.MEDIUM if is_datastore(c) else self.severity
            who = waiting or callers
            state = "disables its healthcheck" if c.healthcheck_disabled else "defines no healthcheck"
            names = f"{', '.join(f'`{w}`' for w in who[:4])}{' and others' if len(who) > 4 else ''}"
            if waiting:
                relation = f"{'depend' if len(who) > 1 else 'depends'} on it"
                why = (
                    f"{names} start as soon as the container of `{c.name}` starts, not when it can serve: "
                    "their first connections fail, and a wedged instance still shows as running."
                )
            else:
                relation = f"{'call' if len(who) > 1 else 'calls'} it"
                why = (
                    f"Nothing can tell when `{c.name}` is ready or wedged: callers cannot wait for it at "
                    "start-up (`depends_on: condition: service_healthy`), and a hung instance still shows as "
                    "running."
                )
            file, line = where(c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=base,
                message=(
                    f"compose service `{c.name}` {state} (unless its image declares HEALTHCHECK), yet "
                    f"{names} {relation}"
                ),
                why=why,
                fix=(
                    f"{c.name}:\n  healthcheck:\n"
                    f"    test: {_HEALTH_TESTS.get(c.engine or '', _GENERIC_TEST)}\n"
                    "    interval: 5s\n    retries: 10\n"
                    f"{who[0]}:\n  depends_on:\n    {c.name}: {{condition: service_healthy}}"
                ),
                tradeoff=(
                    "Start-up waits for the first passing check; each check execs a process per interval."
                ),
            )


#: Names of Compose services that run once and exit: a restart policy would re-run them forever.
_ONE_SHOT = re.compile(
    r"(^|[-_/])(setup|init|migrat\w*|seed\w*|prestart|bootstrap|importer|loader|provision\w*)([-_]|$)"
)


def _swarm_groups(ctx: Context) -> set[str | None]:
    """Compose projects written for ``docker stack deploy``, where an unset restart policy means ``any``.

    Recognised by a Swarm-only restart condition (``any``) on some service, or a file named for Swarm.
    """
    out: set[str | None] = set()
    for c in ctx.system.components:
        if c.platform != "compose":
            continue
        name = c.source.file.rsplit("/", 1)[-1].lower()
        if (c.restart_policy or "").lower() == "any" or "swarm" in name or "stack" in name:
            out.add(c.group)
    return out


def _run_to_completion(ctx: Context) -> set[str]:
    """Compose services others wait for with ``condition: service_completed_successfully``: one-shots."""
    return {
        e.to
        for e in ctx.system.edges
        for ev in e.evidence
        if ev.kind == "depends_on" and "service_completed_successfully" in ev.reason
    }


@register
class ComposeNoRestartPolicy(Rule):
    """What it does:
    Flags a long-running Compose service with no restart policy (`restart:` or `deploy.restart_policy`), or
    with `restart: "no"` stated. Skipped: projects written for Docker Swarm (where the default is to
    restart), one-shot services (others wait for them with `service_completed_successfully`, or they are
    named `*-setup`, `*-init`, `migrate`, `seed`...), and tooling (load generators, dashboards).

    Why it matters:
    Compose's default is not to restart. A container that crashes (an OOM, an unhandled exception, a lost
    database connection at start-up) stays down until someone runs `docker compose up` again, and so does
    every request path through it. After a host reboot, nothing comes back.

    Example:
    api: {image: api:1.4}    # no restart:

    Fix:
    api:
      restart: unless-stopped

    Trade-offs:
    A crash-looping service restarts forever (with Docker's backoff) instead of staying visibly dead; pair
    it with a healthcheck and monitoring.
    """

    code = "OP012"
    name = "compose-no-restart-policy"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        swarm = _swarm_groups(ctx)
        one_shot = _run_to_completion(ctx)
        for c in _compose_services(ctx):
            policy = (c.restart_policy or "").strip().strip("'\"").lower()
            if policy and policy not in ("no", "none", "never"):
                continue
            if c.group in swarm or c.name in one_shot or ctx.is_tooling(c) or _ONE_SHOT.search(c.name):
                continue
            stated = f"restarts `{c.restart_policy}`" if policy else "has no restart policy"
            severity = ctx.severity_for(c, self.severity)
            if is_datastore(c) and ctx.dependents(c.name) and severity.rank > Severity.MEDIUM.rank:
                severity = Severity.MEDIUM  # everything that uses it goes down with it
            file, line = where(c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=severity,
                message=f"compose service `{c.name}` {stated}: after a crash or host reboot it stays down",
                why=(
                    f"If `{c.name}` exits (OOM, unhandled error, a dependency not up yet), nothing "
                    "restarts it, "
                    "and every request path through it fails until someone intervenes."
                ),
                fix=f"{c.name}:\n  restart: unless-stopped",
                tradeoff="A crash loop restarts forever instead of staying visibly dead; monitor restarts.",
            )


def _cronjobs(ctx: Context) -> Iterator[Component]:
    for c in ctx.system.components:
        if c.workload == "CronJob":
            yield c


def _cron_where(c: Component) -> tuple[str | None, int | None]:
    return where(c.cron.source if c.cron else None, c.source)


@register
class CronJobNoStartingDeadline(Rule):
    """What it does:
    Flags a CronJob with no `startingDeadlineSeconds`.

    Why it matters:
    Without a deadline the CronJob controller counts every schedule it missed since the last run (controller
    downtime, a suspended job, `concurrencyPolicy: Forbid` behind a long run). Past 100 missed schedules it
    stops starting the job at all and only logs "too many missed start times"; a frequent job (every
    minute) reaches that after less than two hours of trouble and then never runs again until edited.
    With a deadline only the recent window is counted, and a run that cannot start in time is skipped.

    Example:
    kind: CronJob, spec: {schedule: "* * * * *", jobTemplate: ...}

    Fix:
    spec:
      startingDeadlineSeconds: 200   # shorter than the schedule interval x 100

    Trade-offs:
    A run that cannot start within the deadline is skipped, not delayed; choose a deadline the job's
    freshness needs tolerate.
    """

    code = "OP013"
    name = "cronjob-no-starting-deadline"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _cronjobs(ctx):
            if c.cron is not None and c.cron.starting_deadline_s is not None:
                continue
            schedule = c.cron.schedule if c.cron and c.cron.schedule else "?"
            file, line = _cron_where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                message=f"CronJob `{c.name}` (schedule `{schedule}`) has no startingDeadlineSeconds",
                why=(
                    f"After more than 100 missed schedules `{c.name}` is never started again until edited; "
                    "missed runs are not bounded to a recent window."
                ),
                fix=f"# CronJob {c.name}\nspec:\n  startingDeadlineSeconds: 200",
                tradeoff="A run that cannot start within the deadline is skipped rather than run late.",
            )


@register
class CronJobNoConcurrencyPolicy(Rule):
    """What it does:
    Flags a CronJob that does not state `concurrencyPolicy`, so the default `Allow` applies. An explicitly
    stated `Allow` is a choice and is not reported.

    Why it matters:
    With `Allow`, a run that takes longer than the schedule interval overlaps with the next one; when the
    job is slow *because* its database is slow, every new run adds load to the same database and the runs
    pile up. Overlapping runs of a non-idempotent job (billing, emails, migrations) also do the work twice.

    Example:
    kind: CronJob, spec: {schedule: "*/5 * * * *"} with no `concurrencyPolicy`.

    Fix:
    spec:
      concurrencyPolicy: Forbid       # or Replace, to kill the stale run
      jobTemplate:
        spec:
          activeDeadlineSeconds: 240  # a run never outlives its slot

    Trade-offs:
    `Forbid` skips runs while one is still going (a stuck run blocks all later ones unless it has a
    deadline); `Replace` kills the running one.
    """

    code = "OP014"
    name = "cronjob-no-concurrency-policy"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _cronjobs(ctx):
            if c.cron is not None and c.cron.concurrency_policy is not None:
                continue
            schedule = c.cron.schedule if c.cron and c.cron.schedule else "?"
            file, line = _cron_where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                message=(
                    f"CronJob `{c.name}` (schedule `{schedule}`) states no concurrencyPolicy, so runs may "
                    "overlap"
                ),
                why=(
                    f"A slow run of `{c.name}` overlaps the next; when it is slow because a dependency is "
                    "slow, "
                    "each new run adds load to that dependency and the runs pile up."
                ),
                fix=(
                    f"# CronJob {c.name}\nspec:\n  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n"
                    "      activeDeadlineSeconds: 240"
                ),
                tradeoff="Forbid skips runs while one is active; Replace kills the running one.",
            )


@register
class JobNoDeadline(Rule):
    """What it does:
    Flags a Job or CronJob with no `activeDeadlineSeconds`.

    Why it matters:
    A run that hangs (a lock it never gets, a connection that never times out) runs forever: it holds its
    resources and, for a CronJob with `concurrencyPolicy: Forbid`, silently blocks every later run. Nobody
    is told, because a running job has not failed.

    Example:
    kind: Job, spec: {backoffLimit: 3, template: ...} with no `activeDeadlineSeconds`.

    Fix:
    spec:
      activeDeadlineSeconds: 3600   # generous: well above the slowest normal run

    Trade-offs:
    A legitimately slow run past the deadline is killed and marked failed; size the deadline from history.
    """

    code = "OP015"
    name = "job-no-deadline"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not c.is_batch or c.platform != "kubernetes":
                continue
            if c.cron is not None and c.cron.active_deadline_s is not None:
                continue
            blocked = c.workload == "CronJob" and c.cron is not None and c.cron.concurrency_policy == "Forbid"
            file, line = _cron_where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                message=f"{c.workload} `{c.name}` has no activeDeadlineSeconds: a hung run never ends",
                why=(
                    f"A hung run of `{c.name}` holds its resources forever"
                    + (" and, with concurrencyPolicy Forbid, blocks every later run." if blocked else ".")
                ),
                fix=f"# {c.workload} {c.name}\nspec:\n  activeDeadlineSeconds: 3600",
                tradeoff="A legitimately slow run past the deadline is killed; size it from history.",
            )
