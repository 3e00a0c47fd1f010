"""Helpers shared by the integrity rules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from redline.fix.build import own_selector, selector_refusal
from redline.fix.edits import Fix, Path, advice
from redline.model import Component, K8sObject
from redline.review.context import Context
from redline.review.rule import Severity
from redline.review.rules._util import as_int


def _partial_scan(ctx: Context) -> str | None:
    """Why the scan may be missing definitions: a short note for messages, or None for a complete scan.

    Skipped Helm templates are the common case: the objects they define exist in the cluster but not in
    the scan, so a reference into them looks dangling.
    """
    skipped = ctx.system.skipped
    if not skipped:
        return None
    helm = [s for s in skipped if "helm" in s.reason.lower() or "/templates/" in s.file.replace("\\", "/")]
    if helm:
        return f"the scan skipped {len(helm)} Helm template file(s), which may define it"
    return f"the scan skipped {len(skipped)} file(s), which may define it"


def _adjusted(ctx: Context, base: Severity) -> tuple[Severity, str]:
    note = _partial_scan(ctx)
    if note is None:
        return base, ""
    return base.shifted(1), f" ({note})"


def _objects(ctx: Context, kind: str) -> Iterator[K8sObject]:
    yield from ctx.objects(kind)


def _selector(o: K8sObject, key: str = "selector") -> dict[str, str]:
    """A flat view of an object's label selector (``matchLabels`` or a plain map)."""
    sel = o.spec.get(key)
    if not isinstance(sel, dict):
        return {}
    if "matchLabels" in sel or "matchExpressions" in sel:
        labels = sel.get("matchLabels") or {}
        exprs = sel.get("matchExpressions") or []
        out = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
        for e in exprs if isinstance(exprs, list) else []:
            if isinstance(e, dict):
                out[str(e.get("key"))] = f"{e.get('operator')} {e.get('values') or ''}".strip()
        return out
    return {str(k): str(v) for k, v in sel.items()}


def _fmt_selector(sel: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(sel.items()))


def _near_misses(ctx: Context, o: K8sObject, sel: dict[str, str]) -> list[str]:
    """Workloads in the object's namespace that were probably meant: they carry a selector key with another
    value, or are named like the object. Shown with their labels, so the mismatch is visible."""
    out = []
    for c in ctx.system.components:
        if c.platform != "kubernetes" or (c.namespace or "default") != o.namespace:
            continue
        short = c.name.rsplit("/", 1)[-1]
        if any(k in c.labels for k in sel) or short == o.name:
            shown = {k: c.labels[k] for k in sel if k in c.labels} or c.labels
            out.append(f"`{c.name}` ({_fmt_selector(shown)})")
    return out


@dataclass(frozen=True)
class _Backend:
    """One backend of an Ingress: the Service and port it names, and where it is written."""

    path: Path  # to the backend mapping, inside the Ingress document
    service: str
    port: object  # a port name or number, None when the backend states none
    v1: bool  # networking.k8s.io/v1 (`service: {name, port}`), else `serviceName` / `servicePort`


def _ingress_backends(o: K8sObject) -> Iterator[_Backend]:
    """Every backend of an Ingress (networking.k8s.io/v1 and older), with its path in the document."""

    def backend(b: object, path: Path) -> Iterator[_Backend]:
        if not isinstance(b, dict):
            return
        svc = b.get("service")
        if isinstance(svc, dict) and svc.get("name"):
            port = svc.get("port")
            number = (port.get("name") or port.get("number")) if isinstance(port, dict) else None
            yield _Backend(path, str(svc["name"]), number, True)
        elif b.get("serviceName"):
            yield _Backend(path, str(b["serviceName"]), b.get("servicePort"), False)

    for key in ("defaultBackend", "backend"):
        yield from backend(o.spec.get(key), ("spec", key))
    for i, rule in enumerate(o.spec.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        http = rule.get("http")
        for j, path in enumerate((http or {}).get("paths") or [] if isinstance(http, dict) else []):
            if isinstance(path, dict):
                yield from backend(path.get("backend"), ("spec", "rules", i, "http", "paths", j, "backend"))


def _healthy_waits(ctx: Context) -> Iterator[tuple[str, str, str]]:
    """``(dependent, dependency, evidence location)`` for every ``depends_on: condition: service_healthy``."""
    for e in ctx.system.edges:
        for ev in e.evidence:
            if ev.kind == "depends_on" and "service_healthy" in ev.reason:
                yield e.from_, e.to, str(ev.source)


def _pod_ports(c: Component) -> tuple[set[str], set[int]]:
    names: set[str] = set()
    numbers: set[int] = set()
    for k in c.containers:
        if k.init:
            continue
        for p in k.ports:
            if p.name:
                names.add(p.name)
            n = as_int(p.port)
            if n is not None:
                numbers.add(n)
    return names, numbers


def _norm(name: str | None) -> str:
    """A name with case and separators dropped: ``front-end``, ``front_end`` and ``frontend`` agree."""
    return re.sub(r"[-_.]", "", (name or "").lower())


def _workloads_in(ctx: Context, namespace: str) -> list[Component]:
    return [
        c
        for c in ctx.system.components
        if c.platform == "kubernetes" and c.containers and (c.namespace or "default") == namespace
    ]


def _meant(
    ctx: Context, o: K8sObject, names: Iterable[str] = (), keys: Iterable[str] = ()
) -> Component | None:
    """The one workload of ``o``'s namespace that ``o`` was written for, when the files say so unambiguously.

    By name first: a workload named like the object or like one of ``names`` (a selector's values, a
    target's name), separators and case aside; failing that, one a single letter away (``cart`` for
    ``carts``: a typo or a rename). Then by label key: the only workload carrying one of ``keys`` (the
    selector's keys) with another value. None when no step picks exactly one workload: the fix is then
    advice, never a choice between candidates."""
    workloads = _workloads_in(ctx, o.namespace)
    wanted = {_norm(o.name), *(_norm(n) for n in names)} - {""}
    for close in (_same, _one_letter_away):
        named = [c for c in workloads if any(close(_norm(c.object_name), w) for w in wanted)]
        if len(named) == 1:
            return named[0]
        if named:
            return None
    keyed = [c for c in workloads if any(k in c.labels for k in keys)]
    return keyed[0] if len(keyed) == 1 else None


def _same(a: str, b: str) -> bool:
    return a == b


def _one_letter_away(a: str, b: str) -> bool:
    """One letter added, dropped or changed, between names of at least four letters."""
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _meant_pods(
    ctx: Context, o: K8sObject, sel: dict[str, str], title: str, *, how: str, missing: str
) -> tuple[Component, dict[str, str]] | Fix:
    """The workload ``o`` was written for and that workload's own pod selector, or the advice saying why
    no selector can be proposed: a partial scan, no single workload meant, or a label the app shares.
    ``how`` says what to set (used when the scan was partial); ``missing`` what to do when none is meant."""
    note = _partial_scan(ctx)
    if note is not None:
        return advice(title, f"{how}; {note}.")
    w = _meant(ctx, o, sel.values(), sel.keys())
    if w is None:
        return advice(title, missing)
    own = own_selector(ctx.system, w)
    if own is None:
        return advice(
            title,
            f"`{w.name}` is the workload meant, but {selector_refusal(ctx.system, w)}. Give its pods a "
            "label of their own, then select it.",
        )
    return w, own
