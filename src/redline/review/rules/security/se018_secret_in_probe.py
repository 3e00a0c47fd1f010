"""SE018 secret-in-probe: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import (
    Category,
    Finding,
    Rule,
    Severity,
    arguments_fingerprint,
    register,
)
from redline.review.rules._util import where
from redline.review.rules.security._shared import _argument_secrets, _probe_fix, _probes


@register
class SecretInProbe(Rule):
    """What it does:
    Flags a health check that carries a credential in plaintext: a Kubernetes exec probe or a Compose
    `healthcheck.test` running `curl -u user:pw`, `redis-cli -a X`, `mysqladmin -pX`, a flag like
    `--password X`, or a URL with a password. References (`$REDIS_PASSWORD`, `${DB_PASSWORD}`,
    `$$VAR`) are not reported.

    Why it matters:
    A probe runs every few seconds for the life of the pod: its command line is in the process list of
    the node each time, in `kubectl describe pod`, `docker inspect` and the events of every failed
    check. The credential is also committed, with the consequences of SE001.

    Example:
    livenessProbe: {exec: {command: ["sh", "-c", "curl -fsu admin:s3cr3t http://localhost:8080/health"]}}

    Fix:
    Advice: an unauthenticated health endpoint is a change to the application, and a credential read
    from the environment must first be put in a Secret or an untracked `.env` file by its owner. The
    advice shows the same check reading the credential from the environment.

    livenessProbe:
      httpGet: {path: /health, port: 8080}   # an unauthenticated health endpoint
    # or, when the check must authenticate, read the secret from the environment:
    # exec: {command: ["sh", "-c", "redis-cli -a \"$REDIS_PASSWORD\" ping"]}

    Trade-offs:
    An unauthenticated health endpoint must reveal nothing but health; reading the secret from the
    environment keeps it out of the repository, not out of the process list (`REDISCLI_AUTH` does).
    """

    code = "SE018"
    name = "secret-in-probe"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for what, key, probe in _probes(c):
                shown = _argument_secrets(probe.command or [])
                if not shown:
                    continue
                file, line = where(probe.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"the {what} in `{c.name}` carries a credential: "
                        + ", ".join(f"`{s}`" for s in shown)
                    ),
                    why=(
                        f"The check runs every few seconds: the credential of `{c.name}` is in the node's "
                        "process list, `kubectl describe` / `docker inspect`, failed-check events, and the "
                        "repository."
                    ),
                    fix=_probe_fix(c, key, probe.command or []),
                    tradeoff=(
                        "An unauthenticated health endpoint must reveal nothing but health; a secret read "
                        "from the environment stays out of the repository, not out of the process list."
                    ),
                    fingerprint=arguments_fingerprint(probe.command or []),
                )
