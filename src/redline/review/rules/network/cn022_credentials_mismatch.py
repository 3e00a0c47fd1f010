"""CN022 credentials-mismatch: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, Safety, advice
from redline.model import Component, Edge
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import is_datastore, where
from redline.review.rules.network._shared import (
    _call_evidence,
    _client_creds,
    _Cred,
    _Engine,
    _engine_of,
    _server_creds,
)


@register
class CredentialsMismatch(Rule):
    """What it does:
    Compares the database user, password and database name a client states for a datastore it calls (a
    connection URL's user, password and path, a JDBC/ADO.NET string's User Id / Password / Database, or the
    `*_USER` / `*_PASSWORD` / `*_NAME` variables beside the `*_HOST` variable that names the datastore)
    with the account the datastore's official image creates from its own env (`POSTGRES_USER` (default
    postgres) / `POSTGRES_PASSWORD` / `POSTGRES_DB` (default: the user), `MYSQL_USER` / `MYSQL_PASSWORD` /
    `MYSQL_DATABASE` and `MYSQL_ROOT_PASSWORD` for a root client, `MONGO_INITDB_ROOT_USERNAME` /
    `_PASSWORD`, `RABBITMQ_DEFAULT_USER` / `_PASS` (default guest)). Only literal values on both sides are
    compared; a Secret reference or an unresolved variable is unknown, never a mismatch. A different user
    or database is reported only when no init scripts (or RabbitMQ definitions) are mounted that could
    create it; a different password only for the same user. Values are never shown.

    Why it matters:
    Every connection is refused at authentication ("password authentication failed for user", "Access
    denied for user"): the client crash-loops or fails every request that touches the datastore, while
    both pods look healthy to the network. It happens when one side is edited (a rotated password, a
    renamed database) and the other is not.

    Example:
    postgres env POSTGRES_USER=orders, POSTGRES_PASSWORD=another-pass
    orders   env DATABASE_URL=postgres://orders:orders-pass@postgres:5432/orders

    Fix:
    Advice only: which side holds the right value is the owner's call, and a credential is never written
    into a fix. Kubernetes: one Secret both sides read; Compose: one variable (from ``.env``) interpolated
    into both services' environment.

    # one Secret read by both sides
    env:
      - name: POSTGRES_PASSWORD
        valueFrom: {secretKeyRef: {name: postgres, key: password}}

    Trade-offs:
    A shared Secret couples the two deployments' rotation: rotating it needs the datastore's password
    changed (ALTER USER) too, because the image reads its env only when it initialises an empty data
    directory.
    """

    code = "CN022"
    name = "credentials-mismatch"
    category = Category.CONNECT
    severity = Severity.HIGH
    fix_safety = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for e in ctx.system.edges:
            a, b = ctx.component(e.from_), ctx.component(e.to)
            if a is None or b is None or a.name == b.name or not is_datastore(b):
                continue
            found = _engine_of(b)
            if found is None:
                continue
            eng, k = found
            server, more_accounts = _server_creds(b, eng, k)
            for client, var in _client_creds(a, e):
                diff = self._differs(eng, client, server, more_accounts)
                if diff is not None:
                    yield self._mismatch(ctx, a, b, var, *diff, e)

    @staticmethod
    def _differs(
        eng: _Engine, client: dict[str, _Cred], server: dict[str, _Cred | None], more: bool
    ) -> tuple[str, _Cred, _Cred] | None:
        """The first field that differs: (field, client side, server side), or None."""
        user, s_user = client.get("user"), server.get("user")
        root = eng.root_user is not None and user is not None and user.value == eng.root_user
        if user is not None and s_user is not None and not root and user.value != s_user.value:
            # other accounts may come from init scripts, Jobs or migrations: only a stated one is decisive
            return None if more or s_user.default else ("user", user, s_user)
        same_user = user is not None and (root or (s_user is not None and user.value == s_user.value))
        if not same_user:
            return None
        pw = client.get("password")
        s_pw = server.get("root_password") if root else server.get("password")
        if pw is not None and s_pw is not None and pw.value != s_pw.value:
            return "password", pw, s_pw
        db, s_db = client.get("database"), server.get("database")
        if (
            eng.compare_database
            and not root
            and not more
            and db is not None
            and s_db is not None
            and not s_db.default
            and db.value != s_db.value
        ):
            return "database", db, s_db
        return None

    def _mismatch(
        self, ctx: Context, a: Component, b: Component, var: str, field: str, c: _Cred, s: _Cred, e: Edge
    ) -> Finding:
        file, line = where(c.source)
        server_var = s.var.split(" ", 1)[0]
        return self.on(
            ctx,
            a,
            file=file,
            line=line,
            message=(
                f"`{a.name}` connects to `{b.name}` with a {field} that differs from the one `{b.name}` "
                f"sets: client {c.where} vs server {s.where}"
            ),
            why=(
                f"Every connection from `{a.name}` is refused at authentication, so each request that needs "
                f"`{b.name}` fails (or `{a.name}` crash-loops at start), while both pods look healthy."
            ),
            fix=self._fix(a, b, field, c.var, server_var),
            tradeoff=(
                "A shared Secret couples both sides' rotation; the datastore reads its env only on first "
                "initialisation, so a rotation also needs the account changed in the database."
            ),
            evidence=_call_evidence(e),
        )

    @staticmethod
    def _fix(a: Component, b: Component, field: str, client_var: str, server_var: str) -> Fix:
        an, bn = a.object_name or a.name, b.object_name or b.name
        title = f"state the {field} `{an}` uses for `{bn}` once, read by both"
        sides = f"`{bn}`'s {server_var} and `{an}`'s {client_var}"
        if client_var.upper().endswith(("URL", "URI", "DSN")):
            sides += f" (built into the {client_var} string)"
        why = (
            "No edit is offered: which side holds the right value is yours to say, and redline never "
            "writes a credential."
        )
        if b.platform == "compose":
            var = "${" + server_var + "}"
            return advice(
                title,
                f"Set {server_var} once in the project's .env file and interpolate it as {var} into both "
                f"{sides}. {why}",
                example={"services": {bn: {"environment": {server_var: var}}}},
            )
        ref = {"secretKeyRef": {"name": bn, "key": field}}
        return advice(
            title,
            f"Keep the {field} in one Secret (here named after `{bn}`) and read it on both sides: {sides}. "
            f"{why}",
            example={"env": [{"name": server_var, "valueFrom": ref}]},
        )
