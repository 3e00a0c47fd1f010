"""Integrity rules (``IN###``): references between objects that point at nothing.

A Service that selects no pods, an HPA whose target does not exist, an Ingress routing to a missing
Service: each is a configuration that applies cleanly and then does nothing, which is why they survive
review. They are only certain when the scan saw the whole system; when it skipped files that could define
the missing side (Helm templates, unreadable manifests), severity drops one step and the message says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from redline.model import Component, K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import as_int, loc, where


def _partial_scan(ctx: Context) -> str | None:
    """Why the scan may be missing definitions: a short note for messages, or None for a complete scan.

    Skipped Helm templates are the common case: the objects they define exist in the cluster but not in
    the scan, so a reference into them looks dangling.
    """
    skipped = ctx.system.skipped
    if not skipped:
        return None
    helm = [s for s in skipped if "helm" in s.reason.lower() or "/templates/" in s.file.replace("\\", "/")]
    if helm:
        return f"the scan skipped {len(helm)} Helm template file(s), which may define it"
    return f"the scan skipped {len(skipped)} file(s), which may define it"


def _adjusted(ctx: Context, base: Severity) -> tuple[Severity, str]:
    note = _partial_scan(ctx)
    if note is None:
        return base, ""
    return base.shifted(1), f" ({note})"


def _objects(ctx: Context, kind: str) -> Iterator[K8sObject]:
    yield from ctx.objects(kind)


def _selector(o: K8sObject, key: str = "selector") -> dict[str, str]:
    """A flat view of an object's label selector (``matchLabels`` or a plain map)."""
    sel = o.spec.get(key)
    if not isinstance(sel, dict):
        return {}
    if "matchLabels" in sel or "matchExpressions" in sel:
        labels = sel.get("matchLabels") or {}
        exprs = sel.get("matchExpressions") or []
        out = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
        for e in exprs if isinstance(exprs, list) else []:
            if isinstance(e, dict):
                out[str(e.get("key"))] = f"{e.get('operator')} {e.get('values') or ''}".strip()
        return out
    return {str(k): str(v) for k, v in sel.items()}


def _fmt_selector(sel: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(sel.items()))


def _near_misses(ctx: Context, o: K8sObject, sel: dict[str, str]) -> list[str]:
    """Workloads in the object's namespace that were probably meant: they carry a selector key with another
    value, or are named like the object. Shown with their labels, so the mismatch is visible."""
    out = []
    for c in ctx.system.components:
        if c.platform != "kubernetes" or (c.namespace or "default") != o.namespace:
            continue
        short = c.name.rsplit("/", 1)[-1]
        if any(k in c.labels for k in sel) or short == o.name:
            shown = {k: c.labels[k] for k in sel if k in c.labels} or c.labels
            out.append(f"`{c.name}` ({_fmt_selector(shown)})")
    return out


@register
class ServiceSelectsNoPods(Rule):
    """What it does:
    Flags a Kubernetes Service with a selector that matches the pod labels of no workload in its
    namespace. Services without a selector (ExternalName, or Endpoints managed by hand) are skipped.

    Why it matters:
    The Service resolves in DNS, so callers connect, but it has no endpoints: every connection is refused
    or times out. It usually follows a label rename in the Deployment that the Service did not get, and
    nothing fails at apply time.

    Example:
    Deployment template labels `app: payments-v2`; Service selector `app: payments`.

    Fix:
    spec:
      selector: {app: payments-v2}   # exactly the pod template's labels

    Trade-offs:
    None. Keep selectors and pod labels in one place (kustomize `labels`, Helm helpers) so they cannot
    drift.
    """

    code = "IN001"
    name = "service-selects-no-pods"
    category = Category.INTEGRITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "Service"):
            sel = _selector(o)
            if not sel or o.selects or o.spec.get("type") == "ExternalName":
                continue
            severity, note = _adjusted(ctx, self.severity)
            near = _near_misses(ctx, o, sel)
            hint = f"; closest: {', '.join(near[:3])}" if near else ""
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                severity=severity,
                message=(
                    f"Service `{o.name}` selects {_fmt_selector(sel)} but no pods in namespace "
                    f"`{o.namespace}` carry those labels{hint}{note}"
                ),
                why=(
                    f"`{o.name}` resolves in DNS but has no endpoints: every caller's connection is "
                    "refused or "
                    "times out, and nothing failed when it was applied."
                ),
                fix=f"# Service {o.name}\nspec:\n  selector: {{app: <the pod template's app label>}}",
                tradeoff="None; keep selectors and pod labels defined in one place so they cannot drift.",
            )


@register
class HpaTargetMissing(Rule):
    """What it does:
    Flags a HorizontalPodAutoscaler whose `scaleTargetRef` names a workload the scan did not find.

    Why it matters:
    The HPA is accepted and reports `FailedGetScale`; the workload it was meant to scale stays at its fixed
    replica count. Capacity planning that counts on the autoscaler is wrong, and the first traffic peak
    finds out.

    Example:
    scaleTargetRef: {kind: Deployment, name: front-end}   # the Deployment is called frontend

    Fix:
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: frontend}

    Trade-offs:
    None.
    """

    code = "IN002"
    name = "hpa-target-missing"
    category = Category.INTEGRITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "HorizontalPodAutoscaler"):
            if o.selects:
                continue
            ref = o.spec.get("scaleTargetRef") if isinstance(o.spec.get("scaleTargetRef"), dict) else {}
            target = (
                f"{ref.get('kind')}/{ref.get('name')}"
                if ref and ref.get("name")
                else (o.refs[0] if o.refs else "<none>")
            )
            severity, note = _adjusted(ctx, self.severity)
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                severity=severity,
                message=(
                    f"HorizontalPodAutoscaler `{o.name}` targets `{target}`, which does not exist in "
                    "namespace "
                    f"`{o.namespace}`{note}"
                ),
                why=(
                    f"`{o.name}` scales nothing: the workload it was meant for stays at its fixed replica "
                    "count "
                    "through the next traffic peak."
                ),
                fix=(
                    f"# HPA {o.name}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n"
                    "    kind: Deployment\n    name: <an existing Deployment>"
                ),
                tradeoff="None.",
            )


def _ingress_backends(o: K8sObject) -> Iterator[tuple[str, object]]:
    """``(service name, port)`` for every backend of an Ingress (networking.k8s.io/v1 and older)."""

    def backend(b: object) -> Iterator[tuple[str, object]]:
        if not isinstance(b, dict):
            return
        svc = b.get("service")
        if isinstance(svc, dict) and svc.get("name"):
            port = svc.get("port")
            number = (port.get("name") or port.get("number")) if isinstance(port, dict) else None
            yield str(svc["name"]), number
        elif b.get("serviceName"):
            yield str(b["serviceName"]), b.get("servicePort")

    yield from backend(o.spec.get("defaultBackend") or o.spec.get("backend"))
    for rule in o.spec.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        http = rule.get("http")
        for path in (http or {}).get("paths") or [] if isinstance(http, dict) else []:
            if isinstance(path, dict):
                yield from backend(path.get("backend"))


@register
class IngressBackendMissing(Rule):
    """What it does:
    Flags an Ingress that routes to a Service not defined in its namespace, or to a port that Service does
    not have (by name or number).

    Why it matters:
    The ingress controller accepts the rule and answers every request on that path with 503 (or its
    default backend's 404). It usually follows a Service rename or a port rename.

    Example:
    backend: {service: {name: web, port: {name: http}}}   # the Service is `frontend`, port `http`

    Fix:
    backend:
      service: {name: frontend, port: {name: http}}

    Trade-offs:
    None.
    """

    code = "IN003"
    name = "ingress-backend-missing"
    category = Category.INTEGRITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "Ingress"):
            seen: set[tuple[str, str]] = set()
            for name, port in _ingress_backends(o):
                key = (name, str(port))
                if key in seen:
                    continue
                seen.add(key)
                svc = ctx.object_named("Service", o.namespace, name)
                if svc is None:
                    severity, note = _adjusted(ctx, self.severity)
                    yield self.finding(
                        component=None,
                        file=o.source.file,
                        line=o.source.line,
                        severity=severity,
                        message=(
                            f"Ingress `{o.name}` routes to Service `{name}`, which is not defined in "
                            "namespace "
                            f"`{o.namespace}`{note}"
                        ),
                        why=(
                            f"Every request `{o.name}` routes to `{name}` gets a 503 from the ingress "
                            "controller."
                        ),
                        fix="backend:\n  service: {name: <an existing Service>, port: {name: http}}",
                        tradeoff="None.",
                    )
                    continue
                if port is None:
                    continue
                ports = [p for p in svc.spec.get("ports") or [] if isinstance(p, dict)]
                names = {str(p.get("name")) for p in ports if p.get("name")}
                numbers = {n for p in ports if (n := as_int(p.get("port"))) is not None}
                number = as_int(port)
                if (number is not None and number in numbers) or (number is None and str(port) in names):
                    continue
                if not ports:
                    continue
                declared = ", ".join(sorted(names | {str(n) for n in numbers}))
                first_port = min(numbers, default=80)
                yield self.finding(
                    component=None,
                    file=o.source.file,
                    line=o.source.line,
                    message=(
                        f"Ingress `{o.name}` routes to port `{port}` of Service `{name}`, which has no "
                        "such port "
                        f"(ports: {declared})"
                    ),
                    why=f"Every request `{o.name}` routes there gets a 503 from the ingress controller.",
                    fix=(f"backend:\n  service: {{name: {name}, port: {{number: {first_port}}}}}"),
                    tradeoff="None.",
                )


@register
class PdbSelectsNothing(Rule):
    """What it does:
    Flags a PodDisruptionBudget whose selector matches no workload's pods in its namespace.

    Why it matters:
    The budget protects nothing: node drains, cluster upgrades and autoscaler scale-downs may evict every
    replica of the workload it was written for at once. It looks like protection in review and is not.

    Example:
    PDB selector `app: checkout`; the Deployment's pods are labelled `app: checkoutservice`.

    Fix:
    spec:
      minAvailable: 1
      selector: {matchLabels: {app: checkoutservice}}

    Trade-offs:
    None.
    """

    code = "IN004"
    name = "pdb-selects-nothing"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "PodDisruptionBudget"):
            if o.selects:
                continue
            sel = _selector(o)
            severity, note = _adjusted(ctx, self.severity)
            shown = _fmt_selector(sel) if sel else "everything (empty selector)"
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                severity=severity,
                message=(
                    f"PodDisruptionBudget `{o.name}` selects {shown} but no pods in namespace "
                    f"`{o.namespace}` match{note}"
                ),
                why=(
                    f"`{o.name}` protects nothing: a node drain or cluster upgrade may evict every replica "
                    "of the "
                    "workload it was meant for at once."
                ),
                fix=(
                    f"# PDB {o.name}\nspec:\n  minAvailable: 1\n"
                    "  selector: {matchLabels: {app: <the pod template's app label>}}"
                ),
                tradeoff="None.",
            )


@register
class DanglingDependency(Rule):
    """What it does:
    Flags a reference to a host that resolves to no component: an env var, config value or `depends_on`
    that names a service the scan did not find (`System.unresolved`).

    Why it matters:
    The caller is configured to call something that is not deployed. Either the feature that uses it fails
    at run time (DNS lookup errors, timeouts on every request that takes that path), or the reference is
    stale configuration that misleads everyone reading it. It often marks an optional component that was
    removed from the manifests but not from its callers' config.

    Example:
    frontend env SHOPPING_ASSISTANT_SERVICE_ADDR=shoppingassistantservice:80, and no such Service.

    Fix:
    # deploy the missing service, or remove the reference:
    env:
      - name: SHOPPING_ASSISTANT_SERVICE_ADDR   # delete when the feature is off

    Trade-offs:
    None, once it is clear which side is wrong. If the host is outside the system on purpose (a managed
    database), declare it as an external component in redline.yaml.
    """

    code = "IN005"
    name = "dangling-dependency"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        for u in ctx.system.unresolved:
            if (u.from_, u.host) in seen:
                continue
            seen.add((u.from_, u.host))
            caller = ctx.component(u.from_)
            base, note = _adjusted(ctx, self.severity)
            yield self.finding(
                component=u.from_,
                file=u.source.file,
                line=u.source.line,
                severity=ctx.severity_for(caller, base),
                message=(
                    f"`{u.from_}` refers to host `{u.host}`, which is no component of the system: {u.reason}"
                )
                + note,
                why=(
                    f"Whatever `{u.from_}` does with `{u.host}` fails at run time (DNS errors or timeouts "
                    "on that "
                    "path), or the reference is stale configuration."
                ),
                fix=(
                    f"# either deploy `{u.host}`, remove the reference from `{u.from_}`, or declare it "
                    "external:\n"
                    f"components:\n  {u.host}: {{kind: external}}   # redline.yaml"
                ),
                tradeoff="None, once it is clear which side is wrong.",
            )


@register
class NetworkPolicySelectsNothing(Rule):
    """What it does:
    Flags a NetworkPolicy with a non-empty `podSelector` that matches no workload's pods in its namespace.
    (An empty `podSelector: {}` means every pod and is not reported.)

    Why it matters:
    The policy was written to isolate something and isolates nothing: the pods it was meant for accept
    connections from anywhere. Like a PDB that selects nothing, it looks like protection in review.

    Example:
    podSelector: {matchLabels: {app: redis}}   # the pods are labelled app: redis-cart

    Fix:
    spec:
      podSelector: {matchLabels: {app: redis-cart}}

    Trade-offs:
    Fixing it turns the policy on: check that its allow rules cover every real caller first.
    """

    code = "IN006"
    name = "network-policy-selects-nothing"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "NetworkPolicy"):
            sel = _selector(o, "podSelector")
            if not sel or o.selects:
                continue
            severity, note = _adjusted(ctx, self.severity)
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                severity=severity,
                message=(
                    f"NetworkPolicy `{o.name}` selects pods with {_fmt_selector(sel)}, but no pods in "
                    "namespace "
                    f"`{o.namespace}` match{note}"
                ),
                why=(
                    f"`{o.name}` isolates nothing: the pods it was written for accept connections from any "
                    "pod."
                ),
                fix=(
                    f"# NetworkPolicy {o.name}\nspec:\n  podSelector: {{matchLabels: {{app: <the pods' app "
                    "label>}}}}"
                ),
                tradeoff=(
                    "Fixing it enforces the policy: check its allow rules cover every real caller first."
                ),
            )


def _healthy_waits(ctx: Context) -> Iterator[tuple[str, str, str]]:
    """``(dependent, dependency, evidence location)`` for every ``depends_on: condition: service_healthy``."""
    for e in ctx.system.edges:
        for ev in e.evidence:
            if ev.kind == "depends_on" and "service_healthy" in ev.reason:
                yield e.from_, e.to, str(ev.source)


@register
class HealthyConditionWithoutHealthcheck(Rule):
    """What it does:
    Flags a Compose `depends_on: {X: {condition: service_healthy}}` where service X defines no
    healthcheck in the Compose files (or disables it).

    Why it matters:
    Compose can only wait for "healthy" if X has a healthcheck. Unless X's image declares a `HEALTHCHECK`
    instruction, `docker compose up` refuses to start the dependent ("dependency failed to start:
    container X has no healthcheck configured"), so the stack does not come up at all. Relying on the
    image's HEALTHCHECK is fragile: a base-image change silently removes it.

    Example:
    api: {depends_on: {db: {condition: service_healthy}}}
    db: {image: postgres:16}          # no healthcheck

    Fix:
    db:
      healthcheck:
        test: ["CMD-SHELL", "pg_isready -U postgres"]
        interval: 5s
        retries: 10

    Trade-offs:
    Start-up waits for the first passing check.
    """

    code = "IN007"
    name = "healthy-condition-without-healthcheck"
    category = Category.INTEGRITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        for dependent, dependency, where_ in _healthy_waits(ctx):
            target = ctx.component(dependency)
            if target is None or target.platform != "compose" or (dependent, dependency) in seen:
                continue
            if target.healthcheck is not None and not target.healthcheck_disabled:
                continue
            seen.add((dependent, dependency))
            file, line = where(target.source)
            yield self.finding(
                component=dependency,
                file=file,
                line=line,
                message=(
                    f"`{dependent}` waits for `{dependency}` to be healthy, but `{dependency}` "
                    f"{'disables its' if target.healthcheck_disabled else 'defines no'} healthcheck"
                ),
                why=(
                    f"Unless the image of `{dependency}` declares a HEALTHCHECK, `docker compose up` "
                    "refuses to "
                    f"start `{dependent}`: the stack does not come up."
                ),
                fix=(
                    f'{dependency}:\n  healthcheck:\n    test: ["CMD-SHELL", "<readiness command>"]\n'
                    "    interval: 5s\n    retries: 10"
                ),
                tradeoff="Start-up waits for the first passing check.",
                evidence=[f"{where_} depends_on condition service_healthy"],
            )


def _pod_ports(c: Component) -> tuple[set[str], set[int]]:
    names: set[str] = set()
    numbers: set[int] = set()
    for k in c.containers:
        if k.init:
            continue
        for p in k.ports:
            if p.name:
                names.add(p.name)
            n = as_int(p.port)
            if n is not None:
                numbers.add(n)
    return names, numbers


@register
class ServiceTargetPortMissing(Rule):
    """What it does:
    Flags a Service port whose *named* `targetPort` is declared by none of the pods the Service selects.
    Numeric target ports are not checked: declaring a containerPort is optional in Kubernetes, so a
    number missing from `ports:` proves nothing.

    Why it matters:
    A named targetPort is resolved per pod; a pod without that port name gets no endpoint for it. The
    Service has pods, so it looks healthy in `kubectl get svc`, yet every connection to that port fails.

    Example:
    Service ports: [{port: 80, targetPort: http}]; pod ports: [{name: web, containerPort: 8080}]

    Fix:
    ports:
      - {name: http, containerPort: 8080}   # in the pod template: the name the Service uses

    Trade-offs:
    None.
    """

    code = "IN008"
    name = "service-target-port-missing"
    category = Category.INTEGRITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "Service"):
            if not o.selects:
                continue
            pods = [c for name in o.selects if (c := ctx.component(name)) is not None and c.containers]
            if not pods:
                continue
            for p in o.spec.get("ports") or []:
                if not isinstance(p, dict):
                    continue
                target = p.get("targetPort")
                if target is None or as_int(target) is not None:
                    continue
                missing = [c.name for c in pods if str(target) not in _pod_ports(c)[0]]
                if not missing:
                    continue
                declared = sorted({n for c in pods for n in _pod_ports(c)[0]})
                verb = "declare" if len(missing) > 1 else "declares"
                yield self.finding(
                    component=missing[0],
                    file=o.source.file,
                    line=o.source.line,
                    severity=ctx.severity_for(ctx.component(missing[0]), self.severity),
                    message=(
                        f"Service `{o.name}` sends port {p.get('port')} to targetPort `{target}`, but "
                        f"{', '.join(f'`{m}`' for m in missing)} {verb} no port named `{target}` "
                        f"(named ports: {', '.join(declared) or 'none'})"
                    ),
                    why=(
                        f"Connections to `{o.name}:{p.get('port')}` find no endpoint on those pods and "
                        "fail, while "
                        "the Service looks healthy."
                    ),
                    fix=(
                        f"# pod template of {missing[0]}\nports:\n  - {{name: {target}, containerPort: "
                        "<port>}}"
                    ),
                    tradeoff="None.",
                    evidence=[f"{loc(c.source)} pods of {c.name}" for c in pods if c.name in missing],
                )
