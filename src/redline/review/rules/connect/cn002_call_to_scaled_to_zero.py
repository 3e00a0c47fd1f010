"""CN002 call-to-scaled-to-zero: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import doc_of, service_path
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import loc, where
from redline.review.rules.connect._shared import _callers


@register
class CallToScaledToZero(Rule):
    """What it does:
    Flags a workload that runs `replicas: 0`, with no autoscaler to raise it, while other components call
    it (a call stated in redline.yaml or inferred from env, config, `depends_on` or links).

    Why it matters:
    Nothing serves the callee: its Service has no endpoints, so every call is refused or times out, and
    every request of the callers that takes that path fails. Scaling to zero also hides the risk: a
    single-replica database is reported as a single point of failure, a zero-replica one is not, so the
    review looks greener while the system is down.

    Example:
    Deployment `db` with replicas: 0; `api` env DATABASE_URL=postgres://db:5432/app

    Fix:
    spec:
      replicas: 1   # or remove the callers' references if the component is retired

    Unsafe: it starts the workload. The edit sets one replica where the count is written (Kubernetes
    `spec.replicas`; Compose `deploy.replicas`, with `scale` removed), never more, so a single-writer
    datastore stays a single writer. When the count is stated elsewhere (kustomize, redline.yaml), the
    fix is advice. If the component is retired on purpose, do not apply it: remove the callers'
    references instead.

    Trade-offs:
    The replicas cost what they cost. If the component is off on purpose, remove the calls (or the
    feature that makes them) so nothing depends on it.
    """

    code = "CN002"
    name = "call-to-scaled-to-zero"
    category = Category.CONNECT
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.replicas != 0 or c.autoscaling is not None or c.is_batch:
                continue
            edges = _callers(ctx, c.name)
            if not edges:
                continue
            callers = sorted({e.from_ for e in edges})
            file, line = where(
                c.provenance["replicas"].source if "replicas" in c.provenance else None, c.source
            )
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=(
                    f"`{c.name}` runs 0 replicas and no autoscaler raises it, but "
                    f"{ctx.names(callers)} {'call' if len(callers) > 1 else 'calls'} it"
                ),
                why=(
                    f"Nothing serves `{c.name}`: every call from {ctx.names(callers)} is refused or times "
                    "out, and the requests that need it fail."
                ),
                fix=self._fix(c),
                tradeoff=(
                    "The replicas cost what they cost; if it is off on purpose, remove the callers' "
                    "references instead."
                ),
                evidence=[
                    f"{loc(*(ev.source for ev in e.evidence), e.source)} {e.from_} calls {c.name}"
                    for e in edges
                ],
            )

    @staticmethod
    def _fix(c: Component) -> Fix:
        title = f"run one replica of `{c.name}`"
        doc = doc_of(c)
        stated = c.provenance.get("replicas")
        if doc is None or (stated is not None and stated.source.file != c.source.file):
            at = f" ({stated.origin}, {stated.source})" if stated is not None else ""
            return advice(
                title,
                f"Set the replica count of `{c.name}` to 1 where it is stated{at}, or remove its "
                "callers' references if it is retired.",
            )
        if c.platform == "compose":
            svc = service_path(c)
            return unsafe(
                title,
                Edit(doc=doc, op=Op.REMOVE, path=(*svc, "scale")),
                Edit(doc=doc, op=Op.SET, path=(*svc, "deploy", "replicas"), value=1),
            )
        return unsafe(title, Edit(doc=doc, op=Op.SET, path=("spec", "replicas"), value=1))
