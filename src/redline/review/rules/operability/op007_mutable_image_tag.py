"""OP007 mutable-image-tag: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Safety, advice
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    is_datastore,
    where,
)
from redline.review.rules.operability._shared import _image_name


@register
class MutableImageTag(Rule):
    """What it does:
    Flags a container image with no tag or the `:latest` tag and no digest. An image pinned by digest
    (`@sha256:...`) is fine whatever its tag. Images named exactly like their component or container with
    no registry (`image: frontend` in a Deployment `frontend`) are skipped: they are placeholders that a
    build tool (skaffold, `docker compose build`, kustomize `images:`) replaces or builds locally.

    Why it matters:
    `latest` is whatever was pushed last. Two replicas of one Deployment can run different code, a node
    that restarts a pod silently upgrades it (a new major version of a database, with a new on-disk
    format), and a rollback to "the previous version" has nothing to roll back to.

    Example:
    image: mongo          # resolves to mongo:latest

    Fix:
    Advice: the version to pin is the one that runs today, which only the registry or the running pods know;
    redline does not invent a tag or a digest. Read it off a running container (`kubectl get pod -o
    jsonpath='{..imageID}'`, `docker compose images`) and pin it:

    image: mongo:7.0.14   # or mongo:7.0.14@sha256:<digest>

    Trade-offs:
    Pinned versions must be bumped deliberately (Renovate or Dependabot can open the PRs); digests are
    exact but unreadable, so pin `name:version@sha256:...` together.
    """

    code = "OP007"
    name = "mutable-image-tag"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform not in ("kubernetes", "compose"):
                continue
            for k in c.containers:
                if not k.image or k.image_digest or "@sha256:" in k.image:
                    continue
                tag = k.image_tag
                if tag is None:
                    last = k.image.rsplit("/", 1)[-1]
                    tag = last.split(":", 1)[1] if ":" in last else None
                if tag not in (None, "latest"):
                    continue
                if "$" in k.image or "{{" in k.image:  # interpolated: the tag comes from elsewhere
                    continue
                name = _image_name(k.image)
                placeholder = name in (c.name, k.name, c.name.rsplit("/", 1)[-1])
                if "/" not in k.image and placeholder and c.engine is None:
                    continue
                file, line = where(k.source, c.source)
                what = "the `:latest` tag" if tag == "latest" else "no tag (so `:latest`)"
                repo = k.image.removesuffix(":latest")
                main = is_datastore(c) and k.image == c.image  # the datastore itself, not a sidecar
                sev = self.severity.shifted(-1) if main else self.severity
                # Blast radius only lowers this one (tooling, batch): drift is not worse for being central.
                adjusted = ctx.severity_for(c, sev)
                sev = adjusted if adjusted.rank > sev.rank else sev
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=sev,
                    message=f"container `{k.name}` of `{c.name}` runs image `{k.image}` with {what}",
                    why=(
                        f"Any restart of `{c.name}` may pull different code than its other replicas run"
                        + (
                            ", and a datastore can jump a major version and its on-disk format"
                            if main
                            else ""
                        )
                        + "; a rollback has no previous version to return to."
                    ),
                    fix=advice(
                        f"pin the image of container `{k.name}` of `{c.name}` to a version",
                        f"Pin `{repo}` to the version that runs now, as `{repo}:<version>` or "
                        f"`{repo}:<version>@sha256:<digest>`: read it off a running container (kubectl get "
                        "pod -o jsonpath='{..imageID}', docker compose images). redline does not invent a "
                        "version.",
                    ),
                    tradeoff="Pinned versions need deliberate bumps (automate with Renovate or Dependabot).",
                )
