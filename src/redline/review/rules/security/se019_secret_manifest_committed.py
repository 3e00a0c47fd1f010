"""SE019 secret-manifest-committed: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import advice
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.security._shared import _committed_entries, _external_secret


@register
class SecretManifestCommitted(Rule):
    """What it does:
    Flags a `kind: Secret` manifest committed with values: `stringData` in plaintext, or `data`, which is
    base64 (an encoding, not encryption: it is decoded to judge the value). Not reported: empty values,
    references and template placeholders (`${VAR}`, `<password>`, `{{ .Values.x }}`), values a human is
    meant to replace (`REPLACE_ME`, `xxx`, `dummy`, `your-token`), certificates (public), and keys that
    name rather than hold a credential (`username`, `host`, `port`, `database`) unless their value is a
    URL with a password or key-shaped. A well-known default password (`changeme`, `password`, `admin`)
    *is* reported, and said so: it works as written, and it is the first one an attacker tries.

    Why it matters:
    A Secret in the repository is a credential in the repository: readable by everyone with access, its
    forks and its CI logs, kept forever in git history, and the same in every environment the manifest
    is applied to. `kubectl apply` of the file is the leak; RBAC on the cluster protects nothing here.

    Example:
    kind: Secret, stringData: {password: s3cr3t-pw}   # or data: {password: czNjcjN0LXB3}

    Fix:
    Advice: the values have to move into a secret store (or be encrypted) by someone who holds them,
    and the committed ones rotated, since git history keeps them. Commit a reference in the Secret's
    place: an ExternalSecret, a SealedSecret or a SOPS-encrypted file.

    apiVersion: external-secrets.io/v1beta1
    kind: ExternalSecret
    metadata: {name: db}
    spec:
      secretStoreRef: {kind: ClusterSecretStore, name: <your secret store>}
      target: {name: db}
      data: [{secretKey: password, remoteRef: {key: <path in your store>, property: password}}]

    Trade-offs:
    A secret store (or a sealing key) to run and grant access to, and one more controller in the
    cluster; local development needs its own way to create the Secret.
    """

    code = "SE019"
    name = "secret-manifest-committed"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in ctx.system.objects:
            found = _committed_entries(o) if o.kind == "Secret" else []
            if not found:
                continue
            line = (o.spec.get("data_lines") or {}).get(found[0][0])
            plural = "s" if len(found) > 1 else ""
            yield self.finding(
                component=None,
                file=o.source.file,
                line=line if isinstance(line, int) else o.source.line,
                message=(
                    f"Secret `{o.name}` commits {len(found)} value{plural} to the repository: "
                    + ", ".join(
                        f"`{k}`" + (" (a well-known default password)" if d else "") for k, d in found
                    )
                ),
                why=(
                    "Everyone who can read the repository, its forks or its CI logs has these credentials, "
                    "git history keeps them, and base64 `data` is an encoding, not encryption."
                ),
                fix=advice(
                    f"replace Secret `{o.name}` with a reference to a secret store, and rotate its values",
                    (
                        f"Move the values of Secret `{o.name}` into a secret store, commit a reference in "
                        "its place (an ExternalSecret as below, a SealedSecret or a SOPS-encrypted file), "
                        "and rotate them: git history keeps the committed ones."
                    ),
                    _external_secret(o.name, o.namespace, [k for k, _d in found]),
                ),
                tradeoff=(
                    "A secret store or sealing key to run and grant access to; local development needs its "
                    "own way to create the Secret."
                ),
            )
