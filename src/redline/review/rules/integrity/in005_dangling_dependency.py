"""IN005 dangling-dependency: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
from redline.model import Unresolved
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.integrity._shared import _adjusted


@register
class DanglingDependency(Rule):
    """What it does:
    Flags a reference to a host that resolves to no component: an env var, config value or `depends_on`
    that names a service the scan did not find (`System.unresolved`).

    Why it matters:
    The caller is configured to call something that is not deployed. Either the feature that uses it fails
    at run time (DNS lookup errors, timeouts on every request that takes that path), or the reference is
    stale configuration that misleads everyone reading it. It often marks an optional component that was
    removed from the manifests but not from its callers' config.

    Example:
    frontend env SHOPPING_ASSISTANT_SERVICE_ADDR=shoppingassistantservice:80, and no such Service.

    Fix:
    # deploy the missing service, or remove the reference:
    env:
      - name: SHOPPING_ASSISTANT_SERVICE_ADDR   # delete when the feature is off

    Advice: which side is wrong (a component missing from the manifests, a stale reference, or a host
    outside the system on purpose, declared in redline.yaml) is a decision the files cannot make, and
    redline.yaml is not a document `redline fix` edits.

    Trade-offs:
    None, once it is clear which side is wrong. If the host is outside the system on purpose (a managed
    database), declare it as an external component in redline.yaml.
    """

    code = "IN005"
    name = "dangling-dependency"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        for u in ctx.system.unresolved:
            if (u.from_, u.host) in seen:
                continue
            seen.add((u.from_, u.host))
            caller = ctx.component(u.from_)
            base, note = _adjusted(ctx, self.severity)
            yield self.finding(
                component=u.from_,
                file=u.source.file,
                line=u.source.line,
                severity=ctx.severity_for(caller, base),
                message=(
                    f"`{u.from_}` refers to host `{u.host}`, which is no component of the system: {u.reason}"
                )
                + note,
                why=(
                    f"Whatever `{u.from_}` does with `{u.host}` fails at run time (DNS errors or timeouts "
                    "on that "
                    "path), or the reference is stale configuration."
                ),
                fix=self._fix(u),
                tradeoff="None, once it is clear which side is wrong.",
            )

    @staticmethod
    def _fix(u: Unresolved) -> Fix:
        return advice(
            f"deploy `{u.host}`, remove the reference, or declare it external",
            f"Deploy `{u.host}`, remove the reference from `{u.from_}` ({u.source}), or, when it is outside "
            "the system on purpose, declare it as an external component in redline.yaml (as below).",
            example={"components": {u.host: {"kind": "external"}}},
        )
