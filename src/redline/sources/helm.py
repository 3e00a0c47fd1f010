"""Helm charts: rendered offline, as ``helm template`` does, each template's output read as Kubernetes.

Rendering runs in a child process with a time limit per chart (a template can loop for ever), with
``helm-python-sdk`` (Helm's own engine, no binary; ``pip install 'redline[helm]'``) when it is installed,
else a ``helm`` binary on PATH. Values: the chart's values.yaml, then each ``--values FILE``, then each
``--set k=v``, as helm merges them; release ``release-name`` in namespace ``default`` (helm's defaults).

Every rendered template is an input of its own, cited by its template file
(``helm-chart/templates/frontend.yaml``) and the line in that template's rendered output (what
``helm template --show-only templates/frontend.yaml`` prints after its ``# Source:`` line). Evidence of an
edge whose value came from a values key says which (``values.yaml frontend.name``), when the template
line that produced it can be found. ``helm test`` hooks are not deployed and are left out.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.model import SkipKind
from redline.sources.diagnostics import Collector
from redline.sources.helm_deps import prepare
from redline.sources.registry import InputFile, ScanState

RENDER_TIMEOUT_S = 60.0  # per chart, child process start included
INSTALL_HINT = "pip install 'redline[helm]' (or put a `helm` binary on PATH)"
MAX_TEMPLATES = 5_000  # rendered templates taken from one chart
_HOOK_TESTS = ("test", "test-success", "test-failure")
# Where Helm says a render failed: `execution error at (chart/templates/x.yaml:3:11): ...`,
# `parse error at (chart/templates/x.yaml:3): ...`, `template: chart/templates/x.yaml:12:3: executing ...`
_TEMPLATE_AT = re.compile(r"(?:template: |at \()([^\s:()]{1,500}):(\d{1,9})")
_SOURCE = "# Source: "
_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]{0,100}){1,20})")


@dataclass
class Rendered:
    """One chart's rendered templates: template path (relative to the scan root) -> rendered text."""

    chart: Path
    rel: str
    templates: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # the merged values (for evidence)
    values_from: str = "values.yaml"  # where a values key's value came from, as evidence says it
    # template path -> the keys of the (sub)chart's values in the merged values (``("cart",)``)
    scopes: dict[str, tuple[str, ...]] = field(default_factory=dict)


def render_charts(scan: ScanState) -> tuple[set[Path], list[Rendered]]:
    """Take every top-level chart's files (templates are Go text, not YAML) and render each chart."""
    found, out = scan.found, scan.out
    taken: set[Path] = set()
    rendered: list[Rendered] = []
    top = [c for c in found.charts if not any(p in found.charts for p in c.parents)]
    engine = _engine() if scan.options.render_helm else None
    for chart in top:
        members = [f for f in found.files if chart in f.parents]
        taken.update(members)
        rel = found.rel(chart) + "/"  # "./" when the chart is the folder scanned
        if engine is None:
            count = len([f for f in members if "templates" in f.relative_to(chart).parts])
            why = "rendering turned off" if not scan.options.render_helm else f"no renderer: {INSTALL_HINT}"
            out.skip(
                rel,
                f"Helm chart ({count} templates) not rendered ({why}); "
                f"or run `helm template {rel}` and scan the output",
                kind=SkipKind.NOT_RENDERED,
            )
            continue
        with tempfile.TemporaryDirectory(prefix="redline-helm-") as tmp:
            prepared = prepare(chart, rel, scan, Path(tmp))
            if prepared is None:
                continue
            result = render(
                prepared.path,
                rel,
                scan.options.helm_values,
                scan.options.helm_set,
                engine,
                out,
                prepared.subcharts,
            )
        if result is None:
            continue
        result.chart = chart
        rendered.append(result)
        _hand_on(result, scan)
    return taken, rendered


def _engine() -> str | None:
    """``sdk`` when helm-python-sdk is importable, else the path of a ``helm`` binary, else None."""
    try:
        import helm_python  # noqa: F401
    except Exception:  # not installed, or its native library cannot load
        return shutil.which("helm")
    return "sdk"


def render(
    chart: Path,
    rel: str,
    values: tuple[Path, ...],
    sets: tuple[str, ...],
    engine: str,
    out: Collector,
    subcharts: Mapping[str, str] | None = None,
) -> Rendered | None:
    """Render ``chart`` in a child process; a failure is a skip naming the template and line.
    ``subcharts``: ``charts/<name>/`` -> the folder a dependency was resolved from, as cited."""
    if engine == "sdk":
        cmd = [sys.executable, str(Path(__file__).with_name("helm_render.py")), str(chart)]
    else:
        cmd = [engine, "template", str(chart)]
    for v in values:
        cmd += ["--values", str(v)]
    for s in sets:
        cmd += ["--set", s]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        out.skip(rel, f"Helm chart: rendering took longer than {RENDER_TIMEOUT_S:.0f} s; stopped")
        return None
    except OSError as exc:
        out.skip(rel, f"Helm chart: the renderer could not run: {exc}")
        return None
    if proc.returncode != 0:
        _failed(rel, proc.stderr, proc.returncode, out)
        return None
    if engine == "sdk":
        payload = json.loads(proc.stdout)
        templates, merged = payload["templates"], payload["values"]
        how = "helm-python-sdk"
    else:
        templates, merged, how = split_sources(proc.stdout), {}, "`helm template`"
    result = Rendered(chart, rel, values=merged, values_from="values" if values or sets else "values.yaml")
    for key, text in list(templates.items())[:MAX_TEMPLATES]:
        path = _template_rel(rel, key, subcharts or {})
        if path is not None and text.strip():
            result.templates[path] = text
            result.scopes[path] = _scope(key)
    given = "its default values" + (", --values" if values else "") + (", --set" if sets else "")
    out.warn(rel, None, f"Helm chart rendered by {how} with {given}: {len(result.templates)} templates")
    return result


def _failed(rel: str, stderr: str, code: int, out: Collector) -> None:
    """A render error as an unreadable entry on the template and line Helm names (else on the chart)."""
    text = stderr.strip()
    last = text.splitlines()[-1] if text else f"exit {code}"
    if "missing in charts/" in text:
        out.skip(rel, f"Helm chart: {last} (run `helm dependency build`)", kind=SkipKind.NOT_RENDERED)
        return
    m = _TEMPLATE_AT.search(text)
    if m is None:
        out.skip(rel, f"Helm chart: rendering failed: {last}")
        return
    template = _template_rel(rel, m.group(1), {}) or rel
    out.skip(template, f"Helm chart: rendering failed: {last}", line=int(m.group(2)))


def _template_rel(chart_rel: str, key: str, subcharts: Mapping[str, str]) -> str | None:
    """``chart/templates/x.yaml`` (Helm names a template by its chart's name) -> the file's path in the
    scan; a template of a dependency resolved from elsewhere (``chart/charts/cart/templates/x.yaml``) ->
    its real file. None for what helm template does not print (NOTES.txt, ``_helpers.tpl`` partials)."""
    parts = key.split("/")
    name = parts[-1]
    if len(parts) < 2 or name.startswith("_") or name == "NOTES.txt" or ".." in parts:
        return None
    inner = "/".join(parts[1:])
    if len(parts) > 3 and parts[1] == "charts":
        folder = subcharts.get(f"charts/{parts[2]}/")
        if folder is not None:
            return folder + "/".join(parts[3:])
    return ("" if chart_rel == "./" else chart_rel) + inner


def _scope(key: str) -> tuple[str, ...]:
    """Where a template's ``.Values`` lie in its top chart's values: ``top/charts/a/charts/b/templates/x``
    -> ``("a", "b")`` (helm puts a subchart's values under its name or alias)."""
    parts = key.split("/")
    return tuple(parts[i + 1] for i in range(1, len(parts) - 1) if parts[i] == "charts")


def split_sources(stream: str) -> dict[str, str]:
    """``helm template`` output -> template -> its documents (after each ``# Source:`` line)."""
    result: dict[str, str] = {}
    current: str | None = None
    for line in stream.splitlines(keepends=True):
        if line.startswith(_SOURCE):
            current = line[len(_SOURCE) :].strip()
            if current in result:
                result[current] += "---\n"
            else:
                result[current] = ""
        elif current is not None and line.rstrip() != "---":
            result[current] += line
    return result


def _hand_on(result: Rendered, scan: ScanState) -> None:
    """Each rendered template to the readers after Helm, as a YAML input cited by its template path."""

    stated = _chart_text(result.chart, scan)

    def parse(text: str, rel: str, out: Collector) -> list[Any]:
        docs = _without_test_hooks(scan.parse(text, rel, out), rel, out)
        for doc in docs:
            _unstated_secrets(doc, stated)
        return docs

    for rel, text in result.templates.items():
        path = scan.root / rel
        scan.add_input(InputFile(path.with_suffix(".yaml"), rel, text, parse=parse, rendered=True))


GENERATED = "{{ generated when the chart is rendered }}"
MAX_CHART_TEXT = 4 * 1024 * 1024  # characters of a chart's files searched for a Secret's value


def _chart_text(chart: Path, scan: ScanState) -> str:
    """The text of the chart's files (values and templates), to tell stated values from generated ones."""
    parts: list[str] = []
    size = 0
    for f in scan.found.files:
        if chart in f.parents and size < MAX_CHART_TEXT:
            try:
                parts.append(f.read_text(encoding="utf-8", errors="replace")[: MAX_CHART_TEXT - size])
            except OSError:
                continue
            size += len(parts[-1])
    return "\n".join(parts)


def _unstated_secrets(doc: Any, stated: str) -> None:
    """A Secret value the chart's files do not hold (``randAlphaNum``, a lookup) was generated at render
    time, not committed: it is kept as a template reference, never as a value someone wrote."""
    if not isinstance(doc, dict) or doc.get("kind") != "Secret":
        return
    for key in ("data", "stringData"):
        data = doc.get(key)
        if not isinstance(data, dict):
            continue
        for name, value in list(data.items()):
            if isinstance(value, str) and value and not _stated(value, stated, key == "data"):
                data[name] = GENERATED


def _stated(value: str, stated: str, encoded: bool) -> bool:
    if value in stated:
        return True
    if not encoded:
        return False
    try:
        plain = base64.b64decode(value, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    return bool(plain) and plain in stated


def _without_test_hooks(docs: list[Any], rel: str, out: Collector) -> list[Any]:
    """``helm template`` prints ``helm test`` hooks, but they run only on ``helm test``: left out."""
    kept = []
    for doc in docs:
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        notes = meta.get("annotations") if isinstance(meta, dict) else None
        hook = notes.get("helm.sh/hook") if isinstance(notes, dict) else None
        if isinstance(hook, str) and any(h.strip() in _HOOK_TESTS for h in hook.split(",")):
            out.skip(rel, "a `helm test` hook: runs only on `helm test`, not deployed", kind=SkipKind.IGNORED)
            continue
        kept.append(doc)
    return kept


# ---------------------------------------------------------------------------------------- evidence


def annotate(scan: ScanState, charts: list[Rendered]) -> None:
    """Name the values key behind each piece of evidence a rendered template gave, when the template
    line that produced the value can be found. Only lines evidence cites are looked at."""
    by_rel = {rel: (chart, text) for chart in charts for rel, text in chart.templates.items()}
    if not by_rel:
        return
    for c in scan.system.components:
        if c.source.file in by_rel:
            c.rendered_from = "helm"
    cache: dict[str, _Template | None] = {}
    for edge in scan.system.edges:
        for i, ev in enumerate(edge.evidence):
            if ev.source.file not in by_rel or ev.source.line is None:
                continue
            if ev.source.file not in cache:
                file = ev.source.file
                chart, text = by_rel[file]
                cache[file] = _Template.load(scan.root / file, file, text, chart)
            template = cache[ev.source.file]
            note = template.note(ev.source.line) if template is not None else None
            if note and note not in ev.reason:
                edge.evidence[i] = ev.model_copy(update={"reason": f"{ev.reason}; {note}"})


@dataclass
class _Template:
    """A template's source lines (those with actions, as literal parts) beside its rendered lines."""

    name: str
    source: list[str]
    shapes: list[tuple[int, list[str]]]
    rendered: list[str]
    values: dict[str, Any]
    values_from: str
    scope: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path, rel: str, rendered: str, chart: Rendered) -> _Template | None:
        try:
            source = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        shapes = [(n, _literal_parts(line)) for n, line in enumerate(source, 1) if "{{" in line]
        kept = [(n, parts) for n, parts in shapes if parts is not None and "".join(parts).strip()]
        scope = chart.scopes.get(rel, ())
        return cls(path.name, source, kept, rendered.splitlines(), chart.values, chart.values_from, scope)

    def note(self, number: int) -> str | None:
        """``from values.yaml key a.b (x.yaml template line N)`` for rendered line ``number`` (or the
        ``value:`` line after an env item's ``- name:`` line) when exactly one template line could have
        made it: its literal text around the ``{{ }}`` actions matches, and a ``.Values`` key it names
        holds a value that shows in the rendered line."""
        for at in (number, number + 1):
            if not 1 <= at <= len(self.rendered):
                return None
            line = self.rendered[at - 1]
            found = [
                (n, _keys(self.source[n - 1], self.values, line, self.scope))
                for n, p in self.shapes
                if _fits(line, p)
            ]
            found = [(n, keys) for n, keys in found if keys]
            if len(found) == 1:
                n, keys = found[0]
                named = f"{self.values_from} key{'s' if len(keys) > 1 else ''} {', '.join(keys)}"
                return f"from {named} ({self.name} template line {n})"
            if found or not line.lstrip().startswith("- name:"):
                return None  # several template lines could have made it (unknown), or none did
        return None


def _keys(template_line: str, values: dict[str, Any], line: str, scope: tuple[str, ...] = ()) -> list[str]:
    """The ``.Values`` keys of a template line whose value shows in the rendered ``line``, as keys of the
    top chart's values (a subchart's under its name: ``ui.app.endpoints.carts``)."""
    refs = dict.fromkeys(".".join([*scope, ref[1:]]) for ref in _VALUES_REF.findall(template_line))
    return [key for key in refs if _shown(values, key, line)]


def _literal_parts(line: str) -> list[str] | None:
    """The text of a template line outside its ``{{ }}`` actions (``{{-`` trims spaces before it)."""
    parts: list[str] = []
    pos = 0
    for _ in range(50):
        start = line.find("{{", pos)
        if start < 0:
            break
        end = line.find("}}", start + 2)
        if end < 0:
            return None
        text = line[pos:start]
        parts.append(text.rstrip() if line.startswith("{{-", start) else text)
        pos = end + 2
    parts.append(line[pos:])
    return parts


def _fits(line: str, parts: list[str]) -> bool:
    """Whether ``line`` reads as ``parts`` with anything between them (linear: ordered ``find``)."""
    first, last = parts[0], parts[-1]
    if not line.startswith(first) or not line.endswith(last) or len(line) < len(first) + len(last):
        return False
    pos = len(first)
    for middle in parts[1:-1]:
        found = line.find(middle, pos, len(line) - len(last))
        if found < 0:
            return False
        pos = found + len(middle)
    return True


def _shown(values: dict[str, Any], dotted: str, line: str) -> bool:
    """Whether the scalar at ``dotted`` in ``values`` appears in ``line``."""
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, str | int | float) and not isinstance(node, bool) and str(node) in line
