"""SE001 secret-in-env: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register, secret_fingerprint
from redline.review.rules._util import where
from redline.review.rules.security._shared import (
    _ENV_TRADEOFF,
    _env_fix,
    _hits,
    _untracked,
    _where_from,
)


@register
class SecretInEnv(Rule):
    """What it does:
    Flags an environment variable named like a credential (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`,
    `*API_KEY*`, `*PRIVATE_KEY*`, `*ACCESS_KEY*`, ...) whose value is written in plaintext in a Kubernetes
    manifest or Compose file. References are not reported: `valueFrom.secretKeyRef`, `${VAR}` / `$(VAR)`
    placeholders, file paths (`/run/secrets/db`), secret-manager references, empty values. Names that
    describe a secret rather than hold it (`PASSWORD_FILE`, `TOKEN_TTL`, `AWS_ACCESS_KEY_ID`) are
    skipped. A well-known default password (`postgres`, `changeme`, `admin`) *is* reported, and said so.

    Why it matters:
    Everything in the repository is readable by everyone with access to it, its forks, its CI logs and
    every laptop that cloned it, forever (git history keeps it after the line is deleted). A plaintext
    credential cannot be rotated without a commit, is identical in every environment that uses the file,
    and a default one is the first thing an attacker tries.

    Example:
    env: [{name: DB_PASSWORD, value: "s3cr3t-pw"}]

    Fix:
    Advice. The value must first go where only its owner writes it: a Secret created outside the
    repository (Kubernetes) or an untracked `.env` (Compose). No edit is offered, because a reference
    written before that Secret exists keeps the pod from starting, and nothing in these files can show
    whether it exists. The advice names the Secret and key and shows the reference:

    env:
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef: {name: api-secrets, key: db-password}

    Trade-offs:
    A Secret to create and rotate per environment, outside the repository. Kubernetes Secrets are only
    base64-encoded unless encryption at rest or an external secret store (External Secrets, Vault, SOPS)
    is used.
    """

    code = "SE001"
    name = "secret-in-env"
    category = Category.SECURITY
    severity = Severity.HIGH
    fix_safety = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k, e, hit in _hits(ctx, c):
                if hit.reason not in ("named like a credential", "a well-known default password"):
                    continue
                default = " (a well-known default password)" if hit.default else ""
                file, line = where(e.source, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"env `{e.name}` of container `{k.name}` in `{c.name}` holds a plaintext credential "
                        f"`{hit.shown}`{default}{_where_from(e)}"
                    ),
                    why=(
                        f"Anyone who can read this file or its git history has the credential of `{c.name}`; "
                        "it cannot be rotated without a commit and is the same in every environment"
                        + ("; a default password needs no leak at all." if hit.default else ".")
                    ),
                    fix=_env_fix(c, k, e, _untracked(e.name)),
                    tradeoff=_ENV_TRADEOFF,
                    fingerprint=secret_fingerprint(e.value),
                )
