"""SE002 credentials-in-url: see the class docstring."""

from __future__ import annotations

import re
from collections.abc import Iterator

from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register, secret_fingerprint
from redline.review.rules._util import where
from redline.review.rules.security._shared import (
    _ENV_TRADEOFF,
    _env_fix,
    _hits,
    _referenced,
    _untracked,
    _where_from,
)


@register
class CredentialsInUrl(Rule):
    """What it does:
    Flags an environment variable whose value embeds a password in a connection string, whatever the
    variable is called: `scheme://user:password@host` userinfo, or a `password=` / `pwd=` parameter of a
    JDBC or ADO.NET style string. A password part that is a placeholder (`${POSTGRES_PASSWORD}`) is not
    reported.

    Why it matters:
    Connection strings hide credentials under innocent names (`DATABASE_URL`, `BROKER_URL`) that name-based
    secret scanners skip, and they are printed whole in start-up logs, error messages and crash reports.

    Example:
    DATABASE_URL: postgres://app:hunter2@db:5432/app

    Fix:
    Advice, as SE001. Kubernetes: create a Secret holding the whole URL (key `database-url` of
    `<workload>-secrets`) outside the repository, then read it with `valueFrom.secretKeyRef`. Compose:
    the URL with its password replaced by a reference to an untracked `.env`.

    environment:
      DATABASE_URL: postgres://app:${DATABASE_PASSWORD:?}@db:5432/app   # `:?` stops Compose when unset

    Trade-offs:
    The password must be assembled at start-up (interpolation, or a Secret holding the whole URL).
    """

    code = "SE002"
    name = "credentials-in-url"
    category = Category.SECURITY
    severity = Severity.HIGH
    fix_safety = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k, e, hit in _hits(ctx, c):
                if hit.reason not in ("credentials in a URL", "a password parameter in a connection string"):
                    continue
                default = " (a well-known default password)" if hit.default else ""
                file, line = where(e.source, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"env `{e.name}` of container `{k.name}` in `{c.name}` embeds a password in "
                        f"`{hit.shown}`{default}{_where_from(e)}"
                    ),
                    why=(
                        "The password sits in the repository and is printed wherever the URL is logged: "
                        "start-up banners, connection errors, crash reports."
                    ),
                    fix=_env_fix(
                        c,
                        k,
                        e,
                        _referenced(hit.shown, _untracked(_password_var(e.name))),
                        "password",
                    ),
                    tradeoff=_ENV_TRADEOFF,
                    fingerprint=secret_fingerprint(e.value),
                )


def _password_var(name: str) -> str:
    """``DATABASE_URL`` -> ``DATABASE_PASSWORD``: the variable that will hold the URL's password."""
    return re.sub(r"_(URL|URI|DSN|CONNECTION_STRING|CONN|STRING)$", "", name.upper()) + "_PASSWORD"
