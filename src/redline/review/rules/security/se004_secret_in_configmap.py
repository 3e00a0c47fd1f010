"""SE004 secret-in-configmap: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    secrets_in_text,
    threshold,
)
from redline.review.rules.security._shared import _configmap_line


@register
class SecretInConfigMap(Rule):
    """What it does:
    Flags secret material in a ConfigMap's data: a key named like a credential with a plaintext value, a
    value shaped like a generated key, a connection string with a password, or, inside a config file held
    in the ConfigMap, a `password: value` / `api_key = value` line whose value is plaintext.

    Why it matters:
    ConfigMaps are meant to be read: they are shown by `kubectl describe`, readable by any workload
    identity granted `get configmaps` (commonly broad), not covered by encryption at rest, and printed by
    GitOps diffs. Secret material there has the exposure of SE001 plus that of the cluster API.

    Example:
    kind: ConfigMap, data: {DB_PASSWORD: hunter2}

    Fix:
    kind: Secret
    type: Opaque
    stringData: {DB_PASSWORD: <from your secret store>}   # and envFrom: [{secretRef: {name: ...}}]

    Trade-offs:
    Secrets need their own creation and rotation path; config files that embed credentials must be split
    or templated at start-up.
    """

    code = "SE004"
    name = "secret-in-configmap"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        min_len = int(threshold(ctx, "secret_min_length", 20))
        min_entropy = threshold(ctx, "secret_min_entropy", 4.0)
        for o in ctx.system.objects:
            if o.kind != "ConfigMap":
                continue
            data = o.spec.get("data") or {}
            lines = o.spec.get("data_lines") or {}
            if not isinstance(data, dict):
                continue
            for key, value in data.items():
                if not isinstance(value, str):
                    continue
                for offset, inner, hit in secrets_in_text(
                    str(key), value, min_length=min_len, min_entropy=min_entropy
                ):
                    line = _configmap_line(o, lines.get(key), offset, multiline="\n" in value.strip())
                    where_in = f"key `{key}`" if inner == key else f"`{inner}` inside key `{key}`"
                    default = " (a well-known default password)" if hit.default else ""
                    yield self.finding(
                        component=None,
                        file=o.source.file,
                        line=line,
                        message=(
                            f"ConfigMap `{o.name}` holds {hit.reason} in {where_in}: `{hit.shown}`{default}"
                        ),
                        why=(
                            "ConfigMaps are shown by `kubectl describe`, readable by any identity allowed "
                            "to get "
                            "configmaps, not encrypted at rest, and printed in GitOps diffs."
                        ),
                        fix=(
                            f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {o.name}-secret}}\ntype: "
                            "Opaque\n"
                            f"stringData: {{{inner}: <from your secret store>}}"
                        ),
                        tradeoff="A Secret needs its own creation and rotation path outside the repository.",
                    )
