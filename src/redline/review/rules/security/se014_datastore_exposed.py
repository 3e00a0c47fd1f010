"""SE014 datastore-exposed: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import container_path, doc_of, not_editable, object_doc
from redline.fix.edits import DocRef, Edit, Fix, Match, Op, Safety, advice, unsafe
from redline.model import Component, Container, K8sObject, Port
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import is_datastore, where
from redline.review.rules.security._shared import _LOCAL_IPS


@register
class DatastoreExposed(Rule):
    """What it does:
    Flags a datastore, cache or queue reachable from outside its network: a Compose `ports:` entry that
    publishes it on the host (not bound to 127.0.0.1), a Kubernetes `hostPort`, or a LoadBalancer or
    NodePort Service in front of it. High for a LoadBalancer, medium otherwise.

    Why it matters:
    Databases, Redis, RabbitMQ and friends are built to trust their network: default credentials, no TLS,
    and commands (`CONFIG SET`, `COPY ... PROGRAM`) that turn access into code execution. Internet scans find
    a published port within minutes; Docker-published ports bypass host firewalls such as ufw.

    Example:
    db: {image: postgres:16, ports: ["5432:5432"]}

    Fix:
    Unsafe: Compose publishes the service's ports on 127.0.0.1 only (its `ports:` list is rewritten in
    short syntax from the model: a port given through a variable is written as its value); Kubernetes
    removes the `hostPort` and turns the LoadBalancer or NodePort Service into a ClusterIP one (its
    `nodePort`s and `externalTrafficPolicy` removed). Whoever connected from outside loses access, so the
    edit needs `--unsafe-fixes`. Advice when a Service also fronts other workloads, or when a `ports:`
    entry publishes no fixed host port (the model cannot tell it from an `expose:` entry).

    services:
      db:
        ports: ["127.0.0.1:5432:5432"]

    Trade-offs:
    Developers who connected directly need a tunnel (`kubectl port-forward`, SSH) or a localhost-bound port.
    """

    code = "SE014"
    name = "datastore-exposed"
    category = Category.SECURITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not is_datastore(c):
                continue
            reasons: list[str] = []
            first = None
            published = [(k, p) for k in c.containers for p in k.ports if _open(p)]
            for _k, p in published:
                reasons.append(
                    f"{'published port' if c.platform == 'compose' else 'hostPort'} {p.published}->{p.port}"
                )
                first = first or p.source
            for exp in c.exposure:  # published ports were judged above, with their host IP
                low = exp.lower()
                if "loadbalancer" in low or "nodeport" in low:
                    reasons.append(exp)
            if not reasons:
                continue
            lb = any("loadbalancer" in r.lower() for r in reasons)
            services = _external_services(ctx, c)
            file, line = where(first, *(o.source for o in services[:1]), c.source)
            kind = c.engine or c.kind.value
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=Severity.HIGH if lb else self.severity,
                message=f"{kind} `{c.name}` is reachable from outside its network: {'; '.join(reasons)}",
                why=(
                    f"`{c.name}` trusts its network (default credentials, no TLS, commands that run code); "
                    "scanners find published datastore ports within minutes, and Docker-published ports "
                    "bypass host firewalls."
                ),
                fix=_fix(c, published, services),
                tradeoff="Direct access for humans needs a tunnel (kubectl port-forward, SSH).",
            )


def _open(p: Port) -> bool:
    """A port published on the host on an address other than loopback."""
    return p.published is not None and (p.host_ip or "").strip() not in _LOCAL_IPS


def _external_services(ctx: Context, c: Component) -> list[K8sObject]:
    """The LoadBalancer and NodePort Services whose selector picks ``c``'s pods."""
    return [o for o in ctx.objects_selecting(c.name, "Service") if o.spec.get("type") in _EXTERNAL]


_EXTERNAL = ("LoadBalancer", "NodePort")


def _fix(c: Component, published: list[tuple[Container, Port]], services: list[K8sObject]) -> Fix:
    """Every exposure closed in one fix, or advice when any of them cannot be closed by an edit."""
    title = f"make `{c.name}` reachable only from inside its network"
    edits: list[Edit] = []
    problems: list[str] = []
    if c.platform == "compose":
        _compose_edits(c, published, edits, problems)
    elif doc_of(c) is None:  # rendered from a Helm template, or stated in redline.yaml: its Services too
        problems.append(not_editable(c))
    else:
        _host_port_edits(c, published, edits, problems)
        _service_edits(c, services, edits, problems)
    if problems or not edits:
        what = "; ".join(problems) or _elsewhere_text(c)
        return advice(title, what)
    return unsafe(title, *edits)


def _elsewhere_text(c: Component) -> str:
    return f"Close what exposes `{c.name}` where it is declared: no edit of these files can reach it."


def _compose_edits(
    c: Component, published: list[tuple[Container, Port]], edits: list[Edit], problems: list[str]
) -> None:
    """Each file that publishes a port of ``c`` gets its ``ports:`` list back, bound to 127.0.0.1."""
    files = sorted({p.source.file for _k, p in published if p.source is not None})
    ports = [p for k in c.containers for p in k.ports]
    for file in files:
        here = [p for p in ports if p.source and p.source.file == file]  # in the order written
        if any(p.published is None for p in here):
            problems.append(
                f"In `{file}`, bind each published port of `{c.name}` to 127.0.0.1 "
                f"(`127.0.0.1:{published[0][1].published}:{published[0][1].port}`) or remove it; "
                "redline does not rewrite a list that holds ports without a fixed host port."
            )
            continue
        path = ("services", c.object_name or c.name, "ports")
        edits.append(
            Edit(
                doc=DocRef(file=file, platform="compose"),
                op=Op.SET,
                path=path,
                value=[_bound(p) for p in here],
            )
        )
    if not files:
        problems.append(f"Bind the published ports of `{c.name}` to 127.0.0.1 where they are declared.")


def _bound(p: Port) -> str:
    """A Compose short-syntax port published on loopback (or on the loopback address it names)."""
    ip = (p.host_ip or "").strip()
    ip = "[::1]" if ip == "::1" else ip if ip in _LOCAL_IPS else "127.0.0.1"
    proto = "" if (p.protocol or "TCP").upper() == "TCP" else f"/{p.protocol.lower()}"
    return f"{ip}:{p.published}:{p.port}{proto}"


def _host_port_edits(
    c: Component, published: list[tuple[Container, Port]], edits: list[Edit], problems: list[str]
) -> None:
    doc = doc_of(c)
    for k, p in published:
        path = container_path(c, k)
        if doc is None or path is None:
            problems.append(f"Remove hostPort {p.published} of container `{k.name}` where it is declared.")
            continue
        item = (*path, "ports", Match(key="containerPort", value=str(p.port)))
        edits.append(Edit(doc=doc, op=Op.REMOVE, path=(*item, "hostPort")))
        if p.host_ip:
            edits.append(Edit(doc=doc, op=Op.REMOVE, path=(*item, "hostIP")))


def _service_edits(c: Component, services: list[K8sObject], edits: list[Edit], problems: list[str]) -> None:
    """LoadBalancer and NodePort Services of ``c`` become ClusterIP, unless they front other pods too."""
    for o in services:
        if set(o.selects) != {c.name}:
            others = ", ".join(f"`{n}`" for n in o.selects if n != c.name)
            problems.append(
                f"Service `{o.name}` also fronts {others}: give `{c.name}` a ClusterIP Service of its own "
                "instead of changing that one."
            )
            continue
        edits.extend(_cluster_ip(o))


def _cluster_ip(o: K8sObject) -> list[Edit]:
    doc = object_doc(o)
    out = [Edit(doc=doc, op=Op.SET, path=("spec", "type"), value="ClusterIP")]
    for i, port in enumerate(o.spec.get("ports") or []):
        if isinstance(port, dict) and "nodePort" in port:
            out.append(Edit(doc=doc, op=Op.REMOVE, path=("spec", "ports", i, "nodePort")))
    out.append(Edit(doc=doc, op=Op.REMOVE, path=("spec", "externalTrafficPolicy")))
    return out
