"""SE004 secret-in-configmap: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
from redline.model import K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register, secret_fingerprint
from redline.review.rules._util import secrets_in_text, threshold
from redline.review.rules.security._shared import _configmap_line, _external_secret


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
    Advice: the value has to move out of the repository into a secret store or a Secret created there,
    which no edit of these files can do without writing the value. The example commits an ExternalSecret
    in its place; a credential inside a config file is templated from an environment variable instead.

    apiVersion: external-secrets.io/v1beta1
    kind: ExternalSecret
    metadata: {name: api-config-secret}
    spec:
      secretStoreRef: {kind: ClusterSecretStore, name: <your secret store>}
      target: {name: api-config-secret}
      data: [{secretKey: DB_PASSWORD, remoteRef: {key: <path in your store>, property: DB_PASSWORD}}]

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
                            f"ConfigMap `{o.name}` holds {_what(hit.reason)} in {where_in}: "
                            f"`{hit.shown}`{default}"
                        ),
                        why=(
                            "ConfigMaps are shown by `kubectl describe`, readable by any identity allowed "
                            "to get "
                            "configmaps, not encrypted at rest, and printed in GitOps diffs."
                        ),
                        fix=_fix(o, str(key), inner),
                        tradeoff="A Secret needs its own creation and rotation path outside the repository.",
                        fingerprint=secret_fingerprint(value) if inner == key else None,
                    )


def _what(reason: str) -> str:
    """``"named like a credential"`` -> ``"a value named like a credential"``: a noun phrase for messages."""
    return reason if reason.startswith(("a ", "an ", "credentials")) else f"a value {reason}"


def _fix(o: K8sObject, key: str, inner: str) -> Fix:
    """Advice: a key of its own moves to a Secret; a credential inside a config file is templated."""
    if inner == key:
        secret = f"{o.name}-secret"
        what = (
            f"Move `{key}` out of ConfigMap `{o.name}` into Secret `{secret}`, created from a secret store "
            "(the ExternalSecret below) or by hand outside the repository, and read it with "
            "secretKeyRef or envFrom.secretRef."
        )
        return advice(f"move `{key}` to a Secret", what, _external_secret(secret, o.namespace, [key]))
    what = (
        f"In `{key}` of ConfigMap `{o.name}`, replace the value of `{inner}` with a placeholder the "
        "application expands from its environment at start-up (Spring expands `${VAR}` itself; otherwise "
        "`envsubst` before start), and give that variable from a Secret created outside the repository."
    )
    return advice(f"template `{inner}` in `{key}` from the environment", what)
