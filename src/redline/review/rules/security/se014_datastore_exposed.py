"""SE014 datastore-exposed: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    is_datastore,
    where,
)
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
    db:
      ports: ["127.0.0.1:5432:5432"]   # local debugging only; or drop ports: entirely

    Trade-offs:
    Developers who connected directly need a tunnel (`kubectl port-forward`, SSH) or a localhost-bound port.
    """

    code = "SE014"
    name = "datastore-exposed"
    category = Category.SECURITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not is_datastore(c):
                continue
            reasons: list[str] = []
            first = None
            for k in c.containers:
                for p in k.ports:
                    if p.published is None or (p.host_ip or "").strip() in _LOCAL_IPS:
                        continue
                    reasons.append(
                        f"{'published port' if c.platform == 'compose' else 'hostPort'} "
                        f"{p.published}->{p.port}"
                    )
                    first = first or p.source
            for exp in c.exposure:  # published ports were judged above, with their host IP
                low = exp.lower()
                if "loadbalancer" in low or "nodeport" in low:
                    reasons.append(exp)
            if not reasons:
                continue
            lb = any("loadbalancer" in r.lower() for r in reasons)
            file, line = where(first, c.source)
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
                fix=(
                    f"{c.name}:\n  ports: ['127.0.0.1:<port>:<port>']  # or remove ports:"
                    if c.platform == "compose"
                    else f"# Service in front of {c.name}\nspec:\n  type: ClusterIP"
                ),
                tradeoff="Direct access for humans needs a tunnel (kubectl port-forward, SSH).",
            )
