"""SE003 high-entropy-env-value: see the class docstring."""

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
class HighEntropyEnvValue(Rule):
    """What it does:
    Flags an environment variable whose name does not say "secret" but whose value is shaped like a
    generated key: a known credential format (AWS `AKIA...`, GitHub `ghp_...`, Slack `xox?-`, Stripe
    `sk_live_`, Google `AIza...`, a PEM private key), or a single token of at least 20 characters
    (`thresholds.secret_min_length`) mixing upper case, lower case and digits with a Shannon entropy of at
    least 4 bits per character (`thresholds.secret_min_entropy`). Hostnames, URLs, paths, UUIDs and
    numbers are excluded.

    Why it matters:
    Keys get pasted under whatever name the library wants (`STRIPE`, `MAPS`, `SENTRY`), where name-based
    checks miss them. The consequences are those of SE001.

    Example:
    env: [{name: MAPS, value: "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"}]

    Fix:
    Advice, as SE001: create key `maps` of Secret `<workload>-secrets` outside the repository, then read
    it with `valueFrom.secretKeyRef`; Compose: an untracked `.env`.

    env:
      - name: MAPS
        valueFrom: {secretKeyRef: {name: api-secrets, key: maps}}

    Trade-offs:
    Entropy is a heuristic: a random-looking build id or cache key can trigger it. Suppress the finding
    for that variable rather than lowering the threshold.
    """

    code = "SE003"
    name = "high-entropy-env-value"
    category = Category.SECURITY
    severity = Severity.MEDIUM
    fix_safety = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k, e, hit in _hits(ctx, c):
                if hit.reason != "shaped like a generated key (high entropy)":
                    continue
                file, line = where(e.source, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"env `{e.name}` of container `{k.name}` in `{c.name}` holds a value shaped like a "
                        "key "
                        f"(`{hit.shown}`, {len((e.value or '').strip())} chars){_where_from(e)}"
                    ),
                    why=(
                        "If this is a credential, everyone who can read the repository has it, and it cannot "
                        "be rotated without a commit."
                    ),
                    fix=_env_fix(c, k, e, _untracked(e.name)),
                    tradeoff=_ENV_TRADEOFF + " Entropy is a heuristic: suppress it for a non-secret id.",
                    fingerprint=secret_fingerprint(e.value),
                )
