"""`redline scan` for people: what was not read (first), files read, components, edges with evidence,
unresolved references, redline.yaml overrides, warnings."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from redline._gc import paused_gc
from redline.model import Component, System
from redline.model.secrets import masked
from redline.report import skipped
from redline.report.plain_table import print_table


def _replicas(c: Component) -> str:
    text = "?" if c.replicas is None else str(c.replicas)
    if c.autoscaling is not None:
        lo = "?" if c.autoscaling.min_replicas is None else c.autoscaling.min_replicas
        hi = "?" if c.autoscaling.max_replicas is None else c.autoscaling.max_replicas
        text += f" (HPA {lo}–{hi})"
    prov = c.provenance.get("replicas")
    if prov is not None:
        text += " (default)" if prov.origin.startswith("platform default") else " *"
    return text


def render(system: System, console: Console, *, verbose: bool = False) -> None:
    """Print the scan as tables. ``verbose`` lists every piece of evidence, not only the strongest."""
    with paused_gc():  # rich allocates millions of segments and no cycles: collector passes cost ~30%
        _render(system, console, verbose=verbose)


def _render(system: System, console: Console, *, verbose: bool) -> None:
    # Kubernetes objects are not shown here: masking them (two thirds of the masking work) is skipped.
    system = masked(system.model_copy(update={"objects": []}))
    kinds: dict[str, int] = {}
    for f in system.files:
        kinds[f.as_] = kinds.get(f.as_, 0) + 1
    read = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    title = f"[bold]{system.name or 'system'}[/] — {system.root}"
    console.print(title)
    console.print(
        f"files read: {len(system.files)} ({read}); skipped: {len(system.skipped)}; "
        f"warnings: {len(system.warnings)}"
    )
    skipped.render_text(system.skipped, console)

    table = Table(title=f"Components ({len(system.components)})", title_justify="left", expand=False)
    for col in ("name", "kind", "engine", "replicas", "platform", "defined at"):
        table.add_column(col, overflow="fold")
    for c in system.components:
        table.add_row(c.name, c.kind.value, c.engine or "", _replicas(c), c.platform, str(c.source))
    print_table(console, table)

    if system.edges:
        et = Table(title=f"Dependencies ({len(system.edges)})", title_justify="left")
        for col in ("from", "to", "conf.", "evidence"):
            et.add_column(col, overflow="fold")
        for e in system.edges:
            evidence = e.evidence if verbose else e.evidence[:1]
            shown = "\n".join(f"{ev.source}  {ev.reason}" for ev in evidence)
            if not verbose and len(e.evidence) > 1:
                shown += f"\n(+{len(e.evidence) - 1} more)"
            call = []
            if e.count is not None:
                call.append(f"×{e.count:g}")
            if e.timeout_s is not None:
                call.append(f"timeout {e.timeout_s:g}s")
            if e.retries is not None:
                call.append(f"retries {e.retries}")
            to = (
                e.to
                + (f" [{', '.join(call)}]" if call else "")
                + (" (startup order)" if e.startup_only else "")
            )
            et.add_row(e.from_, to, f"{e.confidence:.2f}", shown)
        print_table(console, et)

    _entrypoints(system, console)
    if system.unresolved:
        ut = Table(title=f"Unresolved references ({len(system.unresolved)})", title_justify="left")
        for col in ("from", "host", "at", "why"):
            ut.add_column(col, overflow="fold")
        for u in system.unresolved:
            ut.add_row(u.from_, u.host, str(u.source), u.reason)
        print_table(console, ut)
    overrides = [(c, f, p) for c in system.components for f, p in c.provenance.items() if p.overrode]
    if overrides:
        console.print("[bold]redline.yaml overrides[/]")
        for c, field, p in overrides:
            console.print(f"  {c.name}.{field}: {p.source} (won over {p.overrode})")
    if system.warnings:
        console.print(f"[bold]Warnings ({len(system.warnings)})[/]")
        for w in system.warnings:
            where = f"{w.file}:{w.line}" if w.line else w.file
            console.print(Text(f"  {where}: {w.message}"))


def _entrypoints(system: System, console: Console) -> None:
    """Each entry point with why it was chosen: stated where, or what exposes it."""
    if not system.entrypoints:
        console.print(
            "[bold]Entry points[/]: none stated, none inferred (no service or gateway is exposed by an "
            "Ingress, a LoadBalancer or NodePort Service or a published port without another component "
            "calling it; "
            "state them under `entrypoints:` in redline.yaml)"
        )
        return
    inferred = all(ep.inferred for ep in system.entrypoints)
    console.print(f"[bold]Entry points[/] ({'inferred' if inferred else 'stated'})")
    for ep in system.entrypoints:
        rate = f" @ {ep.rps:g} rps" if ep.rps is not None else ""
        name = ep.component if ep.name == ep.component else f"{ep.name} → {ep.component}"
        why = ep.reason or (f"stated at {ep.source}" if ep.source else "stated")
        console.print(Text(f"  {name}{rate}: {why}"))
