"""SE013 ingress-without-tls: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.security._shared import _TLS_ANNOTATIONS


@register
class IngressWithoutTls(Rule):
    """What it does:
    Flags an Ingress with no `spec.tls` section and no annotation that terminates TLS elsewhere (AWS
    `certificate-arn`, GKE `pre-shared-cert` / `managed-certificates`, cert-manager, `ssl-cert`,
    `force-ssl-redirect`).

    Why it matters:
    Traffic to the Ingress is plain HTTP: session cookies, bearer tokens and form posts cross every network
    between the user and the cluster in the clear, and can be modified in flight. Browsers mark the site
    as not secure.

    Example:
    kind: Ingress, spec: {rules: [{host: shop.example.com, http: ...}]}

    Fix:
    Advice: a `tls` section needs a certificate Secret that does not exist yet; adding the section first
    makes most controllers redirect to HTTPS and serve their default, untrusted certificate. Issue the
    certificate (cert-manager, your CA), then add the section that names it.

    spec:
      tls:
        - hosts: [shop.example.com]
          secretName: shop-tls      # issued by cert-manager, for instance

    Trade-offs:
    Certificates to issue and renew (automated with cert-manager / ACME); TLS handshakes cost a little CPU
    and one round trip on new connections.
    """

    code = "SE013"
    name = "ingress-without-tls"
    category = Category.SECURITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in ctx.system.objects:
            if o.kind != "Ingress" or o.spec.get("tls"):
                continue
            if any(marker in f"{k}={v}" for k, v in o.annotations.items() for marker in _TLS_ANNOTATIONS):
                continue
            hosts = sorted(
                {str(r["host"]) for r in (o.spec.get("rules") or []) if isinstance(r, dict) and r.get("host")}
            )
            on = f" for {', '.join(hosts)}" if hosts else ""
            yield self.finding(
                component=None,
                file=o.source.file,
                line=o.source.line,
                message=f"Ingress `{o.name}` serves plain HTTP{on}: it has no tls section",
                why=(
                    "Cookies, tokens and form posts to this Ingress cross the network in the clear and "
                    "can be "
                    "read or altered in flight."
                ),
                fix=_fix(o.name, hosts),
                tradeoff=(
                    "Certificates to issue and renew (automate with cert-manager); a little handshake CPU."
                ),
            )


def _fix(name: str, hosts: list[str]) -> Fix:
    secret = f"{name}-tls"
    what = (
        f"Issue a certificate{' for ' + ', '.join(hosts) if hosts else ''} into Secret `{secret}` "
        "(cert-manager does it from an annotation naming your issuer), then add the tls section. No edit "
        "is offered: "
        "without the Secret, the controller would serve an untrusted default certificate."
    )
    tls: dict[str, object] = {"hosts": hosts, "secretName": secret} if hosts else {"secretName": secret}
    return advice(f"terminate TLS at Ingress `{name}`", what, {"spec": {"tls": [tls]}})
