"""Compose files -> components, merged the way ``docker compose`` merges them.

What ``docker compose`` does, and so what this does:

* A directory's default project is its ``compose.yaml`` (or ``compose.yml``, ``docker-compose.yaml``,
  ``docker-compose.yml``) with its ``*.override.y(a)ml`` merged on top. Other compose files in the same
  directory (``docker-compose-swarm.yml``, ``docker-compose.monitoring.yml``) are read as projects of
  their own: they are alternatives or add-ons chosen with ``-f``, and merging them would invent a system
  nobody runs.
* Merging follows the Compose specification: mappings merge key by key, ``environment``, ``labels`` and
  ``depends_on`` merge by name, most sequences are appended without duplicates, ``command`` and
  ``entrypoint`` are replaced; ``!reset`` removes a value and ``!override`` replaces it whole.
* ``include:`` adds another file's services; ``extends:`` copies a base service under the one that
  names it (same file or ``file:``).
* Every value is interpolated as the specification says (``$VAR``, ``${VAR}``, ``:-``/``-``, ``:?``/``?``,
  ``:+``/``+``, nested operands, ``$$``) from the project's ``.env`` (redline has no shell), per file before
  merging; an included file adds its own folder's ``.env``. ``environment: [VAR]`` takes VAR from there.
  What cannot be resolved is kept as written, with a warning naming the variable; env vars keep the raw
  value too, so a reference is never mistaken for a plaintext secret.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv.parser import parse_stream

from redline.model import (
    Component,
    Container,
    EnvVar,
    Kind,
    Port,
    Probe,
    Provenance,
    Resources,
    SecurityContext,
    Source,
    Substitution,
    Volume,
)
from redline.model.units import parse_compose_bytes, parse_cpu, parse_duration
from redline.sources.diagnostics import Collector, Reader, found
from redline.sources.engines import classify, split_image
from redline.sources.yamlio import LineDict, LineList, YamlError, load_documents, tag_of

MAIN_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE_NAMES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
)
TOP_LEVEL_KEYS = frozenset(
    {"version", "name", "include", "services", "networks", "volumes", "configs", "secrets", "models"}
)
"""The Compose specification's top-level keys; ``x-*`` extensions are allowed too."""
_COMPOSE_FILE = re.compile(r"^(docker-)?compose([.-][\w.-]+)?\.ya?ml$", re.IGNORECASE)
_SERVICE_KEYS = {
    "image",
    "build",
    "environment",
    "ports",
    "depends_on",
    "command",
    "volumes",
    "restart",
    "deploy",
    "links",
    "healthcheck",
    "env_file",
    "networks",
    "expose",
    "entrypoint",
    "container_name",
    "hostname",
    "extends",
    "profiles",
    "labels",
    "logging",
    "ulimits",
    "cap_add",
    "privileged",
    "user",
    "working_dir",
    "stop_grace_period",
    "network_mode",
}


def is_compose_name(name: str) -> bool:
    return bool(_COMPOSE_FILE.match(name))


def looks_like_compose(doc: Any) -> bool:
    """A top-level ``services:`` mapping whose entries look like Compose services."""
    if not isinstance(doc, dict) or "apiVersion" in doc:
        return False
    services = doc.get("services")
    if not isinstance(services, dict) or not services:
        return False
    shaped = 0
    for value in services.values():
        if isinstance(value, dict) and (not value or _SERVICE_KEYS & set(value)):
            shaped += 1
        elif value is not None:
            return False
    return shaped > 0


@dataclass
class ComposeFile:
    path: Path  # absolute
    rel: str  # relative to the scan root
    doc: LineDict


@dataclass
class Project:
    """One Compose project: its name, directory, merged services and the files that made them."""

    name: str
    directory: Path
    files: list[str]
    services: dict[str, LineDict] = field(default_factory=dict)
    service_files: dict[str, str] = field(default_factory=dict)  # service -> file it was first defined in
    env: Env = field(default_factory=dict)  # the project directory's .env
    file_envs: dict[str, Env] = field(default_factory=dict)  # file -> the variables it was interpolated with
    volumes: dict[str, Any] = field(default_factory=dict)

    def env_of(self, file: str) -> Env:
        """The variables ``file`` was interpolated with (an included file adds its own folder's .env)."""
        return self.file_envs.get(file, self.env)


def is_addon(f: ComposeFile, main: ComposeFile) -> bool:
    """A file that adds to the main file's services (used with ``-f main -f addon``), not a system of its own.

    Its mark: a service given here without an image, a build or an ``extends`` (a fragment such as a
    logging driver or an extra env var). Compose refuses to run such a service on its own, so the file
    only makes sense laid over the main project, which may define that service itself, in its override
    file, or in a file it pulls in with ``include:`` (so the name is not looked up in the main file).
    """
    services = f.doc.get("services")
    if not isinstance(services, dict) or not isinstance(main.doc, dict):
        return False
    return any(
        isinstance(svc, dict) and not {"image", "build", "extends"} & set(svc) for svc in services.values()
    )


def plan_projects(files: list[ComposeFile]) -> list[list[ComposeFile]]:
    """Group a directory's compose files into projects: main + overrides, and each other file alone."""
    by_dir: dict[Path, list[ComposeFile]] = {}
    for f in files:
        by_dir.setdefault(f.path.parent, []).append(f)
    plans: list[list[ComposeFile]] = []
    for directory in sorted(by_dir):
        group = {f.path.name: f for f in by_dir[directory]}
        main = next((group[n] for n in MAIN_NAMES if n in group), None)
        used: set[str] = set()
        if main is not None:
            plan = [main]
            used.add(main.path.name)
            for n in OVERRIDE_NAMES:
                if n in group:
                    plan.append(group[n])
                    used.add(n)
            plans.append(plan)
        for name in sorted(group):
            if name not in used:
                if main is not None and is_addon(group[name], main):
                    continue  # reported by the caller as an opt-in add-on
                plans.append([group[name]])
    return plans


def included_files(files: list[ComposeFile]) -> set[Path]:
    """Files some other compose file pulls in with ``include:`` (and so are not projects of their own).

    A file in an include cycle with its includer (a file that includes itself, or A -> B -> A) is not
    counted as included by it: otherwise the whole cycle would vanish without a word. Assembling such a
    project warns about the cycle.
    """
    edges = {f.path.resolve(): [t for _, t, _ in _include_targets(f)] for f in files}
    result: set[Path] = set()
    for source, targets in edges.items():
        for target in targets:
            if not _reaches(edges, target, source):
                result.add(target)
    return result


def _include_targets(f: ComposeFile) -> list[tuple[str, Path, int | None]]:
    """(path as written, resolved path, line) of each file ``f`` includes (short and long syntax)."""
    inc = f.doc.get("include")
    if not isinstance(inc, LineList):
        return []
    result: list[tuple[str, Path, int | None]] = []
    for item, line in zip(inc, inc.item_lines, strict=False):
        paths = item if isinstance(item, str) else item.get("path") if isinstance(item, dict) else None
        for p in [paths] if isinstance(paths, str) else paths if isinstance(paths, list) else []:
            if isinstance(p, str) and "\0" not in p:
                result.append((p, (f.path.parent / p).resolve(), line))
    return result


def _reaches(edges: dict[Path, list[Path]], start: Path, goal: Path) -> bool:
    """Whether ``goal`` can be reached from ``start`` by following includes (each file visited once)."""
    stack, seen = [start], {start}
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for nxt in edges.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


@dataclass(frozen=True)
class Binding:
    """A variable's value and where it was defined (``.env:3``)."""

    value: str
    source: Source


Env = Mapping[str, Binding]
"""The variables interpolation reads: the project's ``.env`` (redline has no shell environment)."""


class Interpolated(str):
    """A Compose value after interpolation; it remembers what was written (``raw``) and which variables
    filled it in (``uses``), so evidence can show the chain and a reference is never taken for a
    plaintext secret. ``str(x)`` is the plain resolved text."""

    raw: str
    uses: tuple[Substitution, ...]

    def __new__(cls, value: str, raw: str, uses: tuple[Substitution, ...] = ()) -> Interpolated:
        self = super().__new__(cls, value)
        self.raw, self.uses = raw, uses
        return self


_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")  # two-character ones first
MAX_NESTING = 16
"""Levels of ``${A:-${B:-...}}`` followed; each level rescans its text once, so cost is at most this
many passes over a value (linear)."""


@dataclass
class Expansion:
    """What interpolating one value gave: the text, the variables used, and what could not be resolved."""

    value: str
    uses: list[Substitution] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def interpolate(text: str, env: Env) -> Expansion:
    """``text`` interpolated as the Compose specification says (docs.docker.com/reference/compose-file/
    interpolation): ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?err}``,
    ``${VAR?err}``, ``${VAR:+alt}``, ``${VAR+alt}``, nested operands (``${A:-${B:-x}}``) and ``$$`` for a
    literal ``$``; a ``$`` not followed by a name or ``{`` stays as it is.

    Unlike Compose, a reference that cannot be resolved here (an unset ``${VAR}`` or ``${VAR:?err}``,
    an invalid ``${ VAR}``) is kept as written, with a problem naming the variable: the user's shell may
    set it, and a placeholder never names a host. Linear on any input (see :data:`MAX_NESTING`).
    """
    result = Expansion(value="")
    result.value = _expand(text, env, result, 0)
    return result


def _expand(text: str, env: Env, result: Expansion, depth: int) -> str:
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find("$", i)
        if j < 0:
            parts.append(text[i:])
            break
        parts.append(text[i:j])
        nxt = text[j + 1] if j + 1 < n else ""
        if nxt == "$":
            parts.append("$")
            i = j + 2
        elif nxt == "{":
            end = _closing_brace(text, j)
            if end < 0:  # no `}` closes it: nothing after it can close either
                result.problems.append(
                    f"invalid interpolation format {text[j : j + 40]!r} (no closing brace)"
                )
                parts.append(text[j:])
                break
            parts.append(_braced(text[j + 2 : end], text[j : end + 1], env, result, depth))
            i = end + 1
        elif nxt in _NAME_START:
            k = j + 1
            while k < n and text[k] in _NAME_CHARS:
                k += 1
            parts.append(_direct(text[j + 1 : k], text[j:k], env, result))
            i = k
        else:
            parts.append("$")
            i = j + 1
    return "".join(parts)


def _closing_brace(text: str, start: int) -> int:
    """The index of the ``}`` that closes the ``${`` at ``start`` (nested ``${`` counted, as Compose
    counts them; a bare ``{`` is text), or -1."""
    depth, i = 0, start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _use(name: str, binding: Binding, result: Expansion) -> str:
    sub = Substitution(name=name, value=binding.value, source=binding.source)
    if sub not in result.uses:
        result.uses.append(sub)
    return binding.value


def _direct(name: str, written: str, env: Env, result: Expansion) -> str:
    binding = env.get(name)
    if binding is None:
        result.problems.append(f"variable {name} is not set (Compose would use an empty string)")
        return written
    return _use(name, binding, result)


def _braced(body: str, written: str, env: Env, result: Expansion, depth: int) -> str:
    """One ``${...}``: ``body`` is what is between the braces."""
    k = 0
    while k < len(body) and body[k] in _NAME_CHARS:
        k += 1
    name, rest = body[:k], body[k:]
    op = next((o for o in _OPERATORS if rest.startswith(o)), None)
    if not name or name[0] not in _NAME_START or (rest and op is None):
        result.problems.append(f"invalid interpolation format {written[:40]!r}")
        return written
    if op is None:
        return _direct(name, written, env, result)
    if depth >= MAX_NESTING:
        result.problems.append(f"{written[:40]!r}: nested deeper than {MAX_NESTING} levels")
        return written
    arg = rest[len(op) :]
    binding = env.get(name)
    present = binding is not None and (binding.value != "" or ":" not in op)
    if op in (":-", "-"):
        if binding is not None and present:
            return _use(name, binding, result)
        return _expand(arg, env, result, depth + 1)
    if op in (":+", "+"):
        return _expand(arg, env, result, depth + 1) if present else ""
    if binding is not None and present:  # :? and ?
        return _use(name, binding, result)
    message = _expand(arg, env, Expansion(value=""), depth + 1)
    result.problems.append(
        f"required variable {name} is missing a value" + (f": {message}" if message else "")
    )
    return written


def _interpolate(value: str, env: dict[str, str]) -> str:
    """``value`` interpolated from plain values (see :func:`interpolate`)."""
    return interpolate(value, {k: Binding(v, Source(file="")) for k, v in env.items()}).value


class Interpolator:
    """Interpolates every value of one Compose file's services with that file's variables, as Compose does
    before merging files; what cannot be resolved is a warning on its line (each once)."""

    def __init__(self, env: Env, file: str, out: Collector) -> None:
        self.env, self.file = env, file
        self.notes = Notes(out)

    def tree(self, value: Any, line: int | None) -> Any:
        """``value`` with every string interpolated (mapping keys are not, as in Compose); lines, files
        and ``!reset``/``!override`` tags are kept. What changes is copied, never changed in place (an
        anchored node shared by two services would be interpolated twice); what does not is returned
        as it is."""
        if isinstance(value, LineDict):
            items = {k: self.tree(v, value.key_lines.get(k, value.line)) for k, v in value.items()}
            if all(items[k] is v for k, v in value.items()):
                return value  # nothing to interpolate: shared, not copied
            out_map = type(value)(items)
            out_map.line = value.line
            out_map.key_lines, out_map.key_files = dict(value.key_lines), dict(value.key_files)
            _copy_tag(value, out_map)
            return out_map
        if isinstance(value, LineList):
            lines = value.item_lines
            elements = [self.tree(v, lines[i] if i < len(lines) else value.line) for i, v in enumerate(value)]
            if all(new is old for new, old in zip(elements, value, strict=True)):
                return value
            out_list = type(value)(elements)
            out_list.line, out_list.item_lines = value.line, list(value.item_lines)
            _copy_tag(value, out_list)
            return out_list
        if isinstance(value, str) and "$" in value and tag_of(value) is None:
            return self.text(value, line)
        return value

    def text(self, value: str, line: int | None) -> str:
        done = interpolate(value, self.env)
        for problem in done.problems:
            self.notes.add(self.file, line, f"interpolation: {problem}; kept as written")
        return Interpolated(done.value, value, tuple(done.uses)) if done.value != value else value


class Notes:
    """Warnings that repeat (one unset variable used on ten lines) gathered into one per file and
    message, at the first line, naming the others: ``... (also at lines 49, 53)``."""

    MAX_LINES_SHOWN = 10

    def __init__(self, out: Collector) -> None:
        self.out = out
        self._lines: dict[tuple[str, str], list[int | None]] = {}

    def add(self, file: str, line: int | None, message: str) -> None:
        lines = self._lines.setdefault((file, message), [])
        if line not in lines:
            lines.append(line)

    def flush(self) -> None:
        for (file, message), lines in self._lines.items():
            more = [str(n) for n in lines[1:] if n is not None]
            shown = ", ".join(more[: self.MAX_LINES_SHOWN]) + (
                ", ..." if len(more) > self.MAX_LINES_SHOWN else ""
            )
            self.out.warn(file, lines[0], message + (f" (also at lines {shown})" if more else ""))
        self._lines.clear()


def _copy_tag(source: Any, target: Any) -> None:
    tag = tag_of(source)
    if tag is not None:
        target.tag = tag


MAX_ENV_FILE_BYTES = 256 * 1024


@dataclass(frozen=True)
class EnvEntry:
    """One ``KEY=VALUE`` of an env file: the value as resolved, as written, and what it took from where."""

    value: str
    raw: str
    source: Source
    uses: tuple[Substitution, ...] = ()


def read_env_file(path: Path, out: Collector, rel: str) -> dict[str, str]:
    """The variables of a dotenv file (see :func:`read_env_entries`), as plain values."""
    return {k: e.value for k, e in read_env_entries(path, out, rel).items()}


def read_env_entries(path: Path, out: Collector, rel: str, lookup: Env | None = None) -> dict[str, EnvEntry]:
    """The variables of a dotenv file, read by Compose's rules (docs.docker.com/compose/env-file):
    ``export`` and quotes, ``# comment`` after a space (or after the closing quote), multi-line quoted
    values, escapes in double quotes; unquoted and double-quoted values interpolate (``$VAR``,
    ``${VAR:-x}``), single-quoted ones are literal. A name is looked up in ``lookup`` first (the
    project's variables, as Compose does for a service's ``env_file``), then among the variables
    defined above it. A line that does not parse is a warning with its line. Missing files are not an
    error here (a scan must not fail on a developer's absent ``.env``); what is not a regular file is
    never opened (a FIFO would block).

    python-dotenv parses; interpolation is ours, because python-dotenv's would read the scanning
    machine's environment, expand single-quoted values and ignore ``$VAR``.
    """
    values: dict[str, EnvEntry] = {}
    text = _env_text(path, out, rel)
    if text is None:
        return values
    known: dict[str, Binding] = {}
    interp = Interpolator(ChainMap(dict(lookup or {}), known), rel, out)
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
            shown = (
                binding.original.string.strip().splitlines()[0][:60]
                if binding.original.string.strip()
                else ""
            )
            out.warn(rel, line, f"env file: expected KEY=VALUE, got {shown!r}; ignored")
            continue
        if binding.key is None or binding.value is None:
            continue  # a comment, a blank line, or a bare KEY (taken from the shell: unknown here)
        src = Source(file=rel, line=line)
        literal = binding.original.string.partition("=")[2].lstrip().startswith("'")
        value: str = binding.value
        if not literal and "$" in value:
            value = interp.text(binding.value, line)
        uses = value.uses if isinstance(value, Interpolated) else ()
        values[binding.key] = EnvEntry(str(value), binding.value, src, uses)
        known[binding.key] = Binding(str(value), src)
    interp.notes.flush()
    return values


def _env_text(path: Path, out: Collector, rel: str) -> str | None:
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            return None
        if st.st_size > MAX_ENV_FILE_BYTES:
            out.warn(rel, None, f"env file larger than {MAX_ENV_FILE_BYTES // 1024} KB; not read")
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None


def project_env(directory: Path, root: Path, out: Collector) -> Env:
    """The variables of the project directory's ``.env`` (Compose's default env file), with their lines."""
    path = directory / ".env"
    return {k: Binding(e.value, e.source) for k, e in read_env_entries(path, out, _rel(path, root)).items()}


def merge(base: Any, over: Any, key: str = "", over_file: str | None = None) -> Any:
    """Merge ``over`` onto ``base`` with the Compose specification's rules (``!reset``/``!override``
    included; a ``!reset`` value is removed by the mapping that holds it)."""
    tag = tag_of(over)
    if tag == "!reset":
        return None
    if tag == "!override":
        return resolve_tags(over)
    if key in ("environment", "labels", "depends_on", "extra_hosts", "sysctls"):
        base, over = _as_map(base), _as_map(over)
    if isinstance(base, dict) and isinstance(over, dict):
        result = LineDict(base)
        result.line = base.line if isinstance(base, LineDict) else None
        result.key_lines = dict(base.key_lines) if isinstance(base, LineDict) else {}
        result.key_files = dict(base.key_files) if isinstance(base, LineDict) else {}
        for k, v in over.items():
            if tag_of(v) == "!reset":
                result.pop(k, None)
                continue
            result[k] = merge(base[k], v, str(k)) if k in base else resolve_tags(v)
            if isinstance(over, LineDict) and k in over.key_lines:
                result.key_lines[k] = over.key_lines[k]
                if over_file is not None:
                    result.key_files[k] = over_file
        return result
    if isinstance(base, list) and isinstance(over, list) and key not in ("command", "entrypoint", "test"):
        result_list = LineList(base)
        result_list.line, result_list.item_lines = (
            getattr(base, "line", None),
            list(getattr(base, "item_lines", [])),
        )
        over_lines = getattr(over, "item_lines", [])
        for i, item in enumerate(over):
            if item not in result_list:
                result_list.append(item)
                result_list.item_lines.append(over_lines[i] if i < len(over_lines) else 0)
        return result_list
    return resolve_tags(over)


def resolve_tags(value: Any) -> Any:
    """``value`` with Compose's tags applied as if it were merged onto nothing: a key whose value is
    ``!reset`` is removed (its default applies), an ``!override`` value is the value. Values without
    tags inside are returned as they are (not copied)."""
    if isinstance(value, dict):
        if not any(tag_of(v) or isinstance(v, dict | list) for v in value.values()):
            return value
        result = LineDict()
        result.line = getattr(value, "line", None)
        result.key_lines = dict(getattr(value, "key_lines", {}))
        result.key_files = dict(getattr(value, "key_files", {}))
        for k, v in value.items():
            if tag_of(v) == "!reset":
                result.key_lines.pop(k, None)
                continue
            result[k] = resolve_tags(v)
        return result
    if isinstance(value, list):
        if not any(isinstance(v, dict | list) for v in value):
            return value
        result_list = LineList(resolve_tags(v) for v in value)
        result_list.line = getattr(value, "line", None)
        result_list.item_lines = list(getattr(value, "item_lines", []))
        return result_list
    return value


def _as_map(value: Any, r: Reader | None = None, field: str = "") -> Any:
    """``["A=1", "B"]`` -> ``{"A": "1", "B": None}``; mappings pass through. Lines are kept.

    An item that is neither a string nor a mapping with a key (a number, a list, ``{}``) is dropped,
    with a warning naming ``field`` and the item's line when a reader ``r`` is given.
    """
    if not isinstance(value, list):
        return value
    result = LineDict()
    result.line = getattr(value, "line", None)
    lines = getattr(value, "item_lines", [])
    for i, item in enumerate(value):
        line = lines[i] if i < len(lines) else None
        if isinstance(item, str):
            key, v = _split_item(item)
            result[key] = v
        elif isinstance(item, dict) and item:  # depends_on long list form is not valid, but be lenient
            key = next(iter(item))
            result[key] = item[key]
        else:
            if r is not None:
                r.out.warn(
                    r.file,
                    line or result.line,
                    f"{field}: expected a string item, got {found(item)}; ignored",
                )
            continue
        if line is not None:
            result.key_lines[key] = line
    return result


def _split_item(item: str) -> tuple[str, str | None]:
    """``KEY=VALUE`` -> (KEY, VALUE); ``KEY`` -> (KEY, None). An interpolated item keeps, in its value,
    what the value was written as and the variables that filled it in."""
    key, sep, value = item.partition("=")
    if not sep:
        return key, None
    if isinstance(item, Interpolated):
        raw_key, _, raw_value = item.raw.partition("=")
        if raw_key == key and value != raw_value:
            return key, Interpolated(value, raw_value, item.uses)
    return key, value


def assemble(plan: list[ComposeFile], root: Path, out: Collector, loader: Any) -> Project | None:
    """Merge a project's files (with ``include:`` and ``extends:``) into one service map."""
    main = plan[0]
    top_name = main.doc.get("name") if isinstance(main.doc.get("name"), str) else None
    project = Project(
        name=_project_name(top_name or main.path.parent.name)
        if main.path.name in MAIN_NAMES or top_name
        else _project_name(f"{main.path.parent.name}-{_suffix(main.path.name)}"),
        directory=main.path.parent,
        files=[f.rel for f in plan],
    )
    project.env = project_env(main.path.parent, root, out)
    seen_includes = {f.path.resolve() for f in plan}  # a file including one of these is a cycle
    for f in plan:
        _add_file(project, f, root, out, loader, seen_includes, depth=0, env=project.env)
    _apply_extends(project, root, out, loader)
    return project if project.services else None


def _suffix(filename: str) -> str:
    stem = re.sub(r"\.ya?ml$", "", filename, flags=re.IGNORECASE)
    return re.sub(r"^(docker-)?compose[.-]?", "", stem) or stem


def _project_name(raw: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "", raw.lower()) or "default"


def _rel(path: Path, root: Path) -> str:
    """``path`` relative to the scan root; files outside it (an ``include: ../x``) as ``../x``, never
    absolute, so reports and SARIF stay portable."""
    return Path(os.path.relpath(path, root)).as_posix()


def _add_file(
    project: Project,
    f: ComposeFile,
    root: Path,
    out: Collector,
    loader: Any,
    seen: set[Path],
    depth: int,
    env: Env,
) -> None:
    r = Reader(f.rel, out)
    project.file_envs[f.rel] = env
    r.list(f.doc, "include")  # warns when it is not a list
    for key in f.doc:
        if key not in TOP_LEVEL_KEYS and not str(key).startswith("x-"):
            r.warn(f.doc, key, f"{key}: not a Compose top-level key (Compose refuses the file); ignored")
    for p, target, line in _include_targets(f):
        if target in seen or depth > 10:
            out.warn(f.rel, line, f"include {p}: already included (an include cycle); skipped")
            continue
        seen.add(target)
        doc = loader(target)
        if doc is None:
            out.warn(f.rel, line, f"include {p}: file not found or unreadable")
            continue
        inc = ComposeFile(target, _rel(target, root), doc)
        _add_file(project, inc, root, out, loader, seen, depth + 1, _included_env(env, f, inc, root, out))
    interp = Interpolator(env, f.rel, out)
    services = interp.tree(r.map(f.doc, "services"), None)
    interp.notes.flush()
    if tag_of(services) is not None:  # `services: !reset {}` / `!override {...}` drop the services so far
        project.services.clear()
        project.service_files.clear()
    for name, svc in services.items():
        name = str(name)
        if tag_of(svc) == "!reset":
            project.services.pop(name, None)
            project.service_files.pop(name, None)
            continue
        if svc is None:
            svc = LineDict()
            svc.line = services.line_of(name)
        if not isinstance(svc, LineDict):
            r.warn(services, name, f"service {name}: expected a mapping, got {found(svc)}; ignored")
            continue
        if svc.line is None or name not in project.services:
            svc.line = services.line_of(name)
        if name in project.services and tag_of(svc) != "!override":
            project.services[name] = merge(project.services[name], svc, over_file=f.rel)
        else:
            line = svc.line
            svc = resolve_tags(svc) if isinstance(svc, LineDict) else svc
            svc.line = line
            project.services[name] = svc
            project.service_files[name] = f.rel
    vols = f.doc.get("volumes")
    if isinstance(vols, dict):
        project.volumes.update(vols)


def _included_env(env: Env, includer: ComposeFile, inc: ComposeFile, root: Path, out: Collector) -> Env:
    """The variables an included file is interpolated with: the includer's, then the included file's
    own folder's ``.env`` for names the includer does not set (``docker compose`` does the same)."""
    if inc.path.parent == includer.path.parent:
        return env
    return ChainMap(dict(env), dict(project_env(inc.path.parent, root, out)))


def _apply_extends(project: Project, root: Path, out: Collector, loader: Any) -> None:
    for name in list(project.services):
        chain: list[str] = []
        svc = project.services[name]
        for _ in range(10):  # extends chains are short; a cycle stops here
            ext = svc.get("extends")
            if ext is None:
                break
            rel = project.service_files.get(name, project.files[0])
            base_name, base = None, None
            if isinstance(ext, str):
                base_name = ext
                base = project.services.get(ext)
            elif isinstance(ext, dict) and isinstance(ext.get("service"), str):
                base_name = ext["service"]
                if isinstance(ext.get("file"), str) and "\0" not in ext["file"]:
                    target = (root / rel).parent / ext["file"]
                    doc = loader(target.resolve())
                    if isinstance(doc, dict) and isinstance(doc.get("services"), dict):
                        interp = Interpolator(project.env_of(rel), _rel(target, root), out)
                        base = interp.tree(doc["services"].get(base_name), None)
                        interp.notes.flush()
                else:
                    base = project.services.get(base_name)
            if not isinstance(base, dict) or base_name in chain:
                out.warn(
                    rel, svc.line_of("extends"), f"service {name}: extends {base_name!r}, which was not found"
                )
                break
            chain.append(str(base_name))
            child = LineDict((k, v) for k, v in svc.items() if k != "extends")
            child.line, child.key_lines = svc.line, dict(svc.key_lines)
            merged = merge(
                LineDict((k, v) for k, v in base.items() if k not in ("depends_on", "links")), child
            )
            merged.line = svc.line
            if "extends" in base:
                merged["extends"] = base["extends"]
            svc = merged
        project.services[name] = svc


def components(project: Project, root: Path, out: Collector) -> list[Component]:
    """One component per service of an assembled project."""
    result = []
    one_shot = run_to_completion(project)
    notes = Notes(out)
    for name, svc in project.services.items():
        rel = project.service_files.get(name, project.files[0])
        r = Reader(rel, out)
        comp = _component(name, svc, project, r, root, notes)
        waiter = one_shot.get(name)
        if waiter and comp.kind in (Kind.DATASTORE, Kind.CACHE, Kind.QUEUE):
            # `redis-cli --cluster create`, `mongo --eval rs.initiate()`: the datastore's image used as a
            # client by a run-once setup step, not the datastore itself.
            comp.kind, comp.engine = Kind.SERVICE, None
            comp.kind_reason = (
                f"runs to completion (`{waiter}` waits for it with service_completed_successfully); "
                f"its image {comp.image} is used as a client"
            )
        result.append(comp)
    notes.flush()
    return result


def run_to_completion(project: Project) -> dict[str, str]:
    """Services another service waits for with ``condition: service_completed_successfully``: one-shots
    (service -> the first service that waits for it)."""
    out: dict[str, str] = {}
    for name, svc in project.services.items():
        deps = _as_map(svc.get("depends_on") or {})
        for target, spec in deps.items() if isinstance(deps, dict) else []:
            if isinstance(spec, dict) and spec.get("condition") == "service_completed_successfully":
                out.setdefault(str(target), name)
    return out


def _component(name: str, svc: LineDict, project: Project, r: Reader, root: Path, notes: Notes) -> Component:
    image = r.str(svc, "image")
    kind, engine, reason = classify(name, image)
    written = svc.get("image")
    if isinstance(written, Interpolated) and reason.startswith("image "):
        reason += f" (written {written.raw} at {r.src(svc, 'image')})"
    deploy = r.map(svc, "deploy")
    env = _env(svc, project, r, root, notes)
    ports = _ports(svc, r.at(svc, "ports"))
    health = r.map(svc, "healthcheck")
    probe = None
    disabled = bool(health.get("disable") is True)
    if health and not disabled:
        test = health.get("test")
        cmd = [str(x) for x in test] if isinstance(test, list) else [str(test)] if test else []
        if cmd and cmd[0] == "NONE":
            disabled = True
        else:
            probe = Probe(
                type="exec",
                command=cmd,
                period_s=r.unit(health, "interval", parse_duration),
                timeout_s=r.unit(health, "timeout", parse_duration),
                failure_threshold=r.int(health, "retries"),
                initial_delay_s=r.unit(health, "start_period", parse_duration),
                source=r.src(svc, "healthcheck"),
            )
    limits = r.map(r.map(deploy, "resources"), "limits")
    reservations = r.map(r.map(deploy, "resources"), "reservations")
    resources = None
    if limits or reservations or "mem_limit" in svc or "cpus" in svc:
        resources = Resources(
            cpu_limit=r.unit(limits, "cpus", parse_cpu) or r.unit(svc, "cpus", parse_cpu),
            memory_limit=r.unit(limits, "memory", parse_compose_bytes)
            or r.unit(svc, "mem_limit", parse_compose_bytes),
            cpu_request=r.unit(reservations, "cpus", parse_cpu),
            memory_request=r.unit(reservations, "memory", parse_compose_bytes),
            source=r.src(svc, "deploy") if deploy else r.src(svc, "mem_limit"),
        )
    user = r.str(svc, "user")
    security = None
    if "privileged" in svc or user is not None or "cap_add" in svc:
        run_as = None
        if user is not None:
            head = user.split(":", 1)[0]
            run_as = 0 if head == "root" else _whole(head)
        security = SecurityContext(
            privileged=r.bool(svc, "privileged"),
            run_as_user=run_as,
            capabilities_add=[str(c) for c in r.list(svc, "cap_add")],
            source=r.src(svc, "privileged" if "privileged" in svc else "user"),
        )
    tag = digest = None
    if image:
        _, tag, digest = split_image(image)
    container = Container(
        name=name,
        image=image,
        image_tag=tag,
        image_digest=digest,
        ports=ports,
        env=env,
        resources=resources,
        security=security,
        command=(command := _command(svc.get("command"))),
        command_sources=r.item_srcs(svc, "command", len(command)),
        build=_build(svc.get("build")),
        dockerfile=_build(svc.get("build"), "dockerfile"),
        source=r.src(svc),
    )
    restart = r.str(svc, "restart")
    policy = r.map(deploy, "restart_policy")
    if restart is None and policy:
        restart = r.str(policy, "condition")
    aliases = {name}
    for key in ("container_name", "hostname"):
        if r.str(svc, key):
            aliases.add(r.str(svc, key) or "")
    nets = svc.get("networks")
    if isinstance(nets, dict):
        for net in nets.values():
            if isinstance(net, dict):
                aliases.update(a for a in r.list(net, "aliases") if isinstance(a, str))
    exposure = [
        f"published port {p.published}:{p.port}"
        for p in ports
        if p.published is not None and (p.host_ip or "") not in ("127.0.0.1", "localhost", "::1", "[::1]")
    ]
    replicas = r.int(deploy, "replicas")
    mode = r.str(deploy, "mode")
    if replicas is None and "scale" in svc:
        replicas = r.int(svc, "scale")
    defaulted = replicas is None and mode != "global"
    if defaulted:
        replicas = 1  # Compose runs one container unless told otherwise: its documented default
    return Component(
        name=name,
        kind=kind,
        kind_reason=reason,
        engine=engine,
        platform="compose",
        group=project.name,
        workload="compose-service",
        object_name=name,
        aliases=sorted(aliases - {name}),
        labels=_labels(svc, r.at(svc, "labels")),
        source=Source(file=r.file, line=svc.line),
        replicas=replicas,
        image=image,
        containers=[container],
        restart_policy=restart,
        termination_grace_s=r.unit(svc, "stop_grace_period", parse_duration),
        host_network=(r.str(svc, "network_mode") == "host") if "network_mode" in svc else None,
        volumes=_volumes(svc, project, r.at(svc, "volumes")),
        healthcheck=probe,
        healthcheck_disabled=disabled,
        exposure=exposure,
        profiles=[str(p) for p in r.list(svc, "profiles")],
        provenance={
            "replicas": Provenance(
                source=Source(file=r.file, line=svc.line), origin="platform default (replicas not set)"
            )
        }
        if defaulted
        else {},
    )


def _labels(svc: LineDict, r: Reader) -> dict[str, str]:
    """A service's labels (a mapping or a ``KEY=VALUE`` list)."""
    labels = _as_map(svc.get("labels") or {}, r, "labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _build(value: Any, key: str = "context") -> str | None:
    """``build``'s context (a string is the context), or another of its string keys."""
    if isinstance(value, str):
        return value if key == "context" else None
    if isinstance(value, dict):
        if key == "context":
            return str(value.get("context", "."))
        found = value.get(key)
        return found if isinstance(found, str) else None
    return None


def _command(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(x) for x in value]
    if isinstance(value, str):
        return value.split()
    return []


def _env(svc: LineDict, project: Project, r: Reader, root: Path, notes: Notes) -> list[EnvVar]:
    """A service's environment as Compose builds it: its ``env_file`` files in order, then
    ``environment`` over them; a name with no value (``- VAR``, ``VAR:``) takes the project's
    ``.env`` value (Compose would also look in the shell, which redline does not have)."""
    result: dict[str, EnvVar] = {}
    files_r = r.at(svc, "env_file")
    lookup = project.env_of(files_r.file)
    for path, required, line in _env_files(svc.get("env_file"), files_r, files_r.line(svc, "env_file")):
        target = (root / files_r.file).parent / path
        rel = _rel(target, root)
        if required and not target.is_file():
            notes.add(
                files_r.file, line, f"env_file {path}: not found (Compose refuses to start the service)"
            )
            continue
        for k, e in read_env_entries(target, notes.out, rel, lookup).items():
            result[k] = EnvVar(
                name=k,
                value=e.raw,
                expanded=e.value if e.value != e.raw else None,
                substitutions=list(e.uses),
                source=e.source,
            )
    r = r.at(svc, "environment")
    lookup = project.env_of(r.file)
    env = _as_map(svc.get("environment") or {}, r, "environment")
    for k, v in env.items() if isinstance(env, dict) else ():
        key = str(k)
        var = EnvVar(
            name=key, source=Source(file=r.file, line=env.line_of(k) if isinstance(env, LineDict) else None)
        )
        if isinstance(v, Interpolated):
            var.value, var.expanded, var.substitutions = v.raw, str(v), list(v.uses)
        elif v is not None:
            var.value = "true" if v is True else "false" if v is False else str(v)
        elif key in lookup:  # pass-through: `- VAR` takes VAR from the environment Compose runs in
            binding = lookup[key]
            var.expanded = binding.value
            var.substitutions = [Substitution(name=key, value=binding.value, source=binding.source)]
        else:
            notes.add(
                r.file,
                var.source.line if var.source else None,
                f"environment {key}: no value and none in the project's .env "
                "(Compose takes it from the shell it runs in); unknown here",
            )
        result[key] = var
    return list(result.values())


def _env_files(value: Any, r: Reader, line: int | None) -> list[tuple[str, bool, int | None]]:
    """(path, required, line) of each ``env_file`` entry: a string, a list of strings, or the long form
    ``{path, required}`` (``required`` defaults to true). Other entries are warnings."""
    items = value if isinstance(value, list) else [value] if value is not None else []
    lines = getattr(value, "item_lines", [])
    result: list[tuple[str, bool, int | None]] = []
    for i, item in enumerate(items):
        at = lines[i] if i < len(lines) else line
        path = item.get("path") if isinstance(item, dict) else item
        required = item.get("required", True) if isinstance(item, dict) else True
        if not isinstance(path, str) or "\0" in path or not isinstance(required, bool | str):
            r.out.warn(
                r.file, at, f"env_file: expected a path or {{path, required}}, got {found(item)}; ignored"
            )
            continue
        result.append((path, required is True or str(required).lower() == "true", at))
    return result


def _ports(svc: LineDict, r: Reader) -> list[Port]:
    ports: list[Port] = []
    raw_ports = r.list(svc, "ports")
    for i, p in enumerate(raw_ports):
        line = raw_ports.item_lines[i] if i < len(raw_ports.item_lines) else raw_ports.line
        src = Source(file=r.file, line=line)
        if isinstance(p, int) and not isinstance(p, bool):
            ports.append(Port(port=p, published=None, source=src))  # container port, random host port
        elif isinstance(p, str):
            spec, _, proto = p.partition("/")
            parts = spec.rsplit(":", 2)
            if len(parts) == 1:
                ports.append(Port(port=_num(parts[0]), protocol=(proto or "tcp").upper(), source=src))
            else:
                host_ip = parts[0] if len(parts) == 3 else None
                ports.append(
                    Port(
                        port=_num(parts[-1]),
                        published=_num(parts[-2]) if parts[-2] else None,
                        host_ip=host_ip,
                        protocol=(proto or "tcp").upper(),
                        source=src,
                    )
                )
        elif isinstance(p, dict):
            target = p.get("target")
            if target is None:
                continue
            published = p.get("published")
            ports.append(
                Port(
                    port=_num(target),
                    published=_num(published) if published is not None else None,
                    host_ip=str(p["host_ip"]) if p.get("host_ip") else None,
                    protocol=str(p.get("protocol", "tcp")).upper(),
                    source=src,
                )
            )
    for p in r.list(svc, "expose"):
        ports.append(Port(port=_num(p), source=r.src(svc, "expose")))
    return ports


def _num(value: Any) -> int | str:
    """A port as a number when it is one, else as written (a range, a variable)."""
    text = str(value).strip()
    number = _whole(text)
    return text if number is None else number


def _whole(text: str) -> int | None:
    """ASCII digits (at most 10 of them) as a number; anything else is None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def _volumes(svc: LineDict, project: Project, r: Reader) -> list[Volume]:
    result = []
    for v in r.list(svc, "volumes"):
        if isinstance(v, str):
            parts = v.split(":")
            if len(parts) == 1:
                result.append(
                    Volume(name=parts[0], type="anonymous", mount_path=parts[0], source=r.src(svc, "volumes"))
                )
                continue
            source_, target = parts[0], parts[1]
            ro = len(parts) > 2 and "ro" in parts[2].split(",")
            is_bind = source_.startswith((".", "/", "~", "$"))
            result.append(
                Volume(
                    name=source_,
                    type="bind" if is_bind else "named",
                    host_path=source_ if is_bind else None,
                    mount_path=target,
                    read_only=ro,
                    source=r.src(svc, "volumes"),
                )
            )
        elif isinstance(v, dict):
            vtype = str(v.get("type", "volume"))
            src = str(v.get("source", "")) or "anonymous"
            result.append(
                Volume(
                    name=src,
                    type={"volume": "named", "bind": "bind", "tmpfs": "tmpfs"}.get(vtype, vtype),
                    host_path=src if vtype == "bind" else None,
                    mount_path=str(v.get("target")) if v.get("target") else None,
                    read_only=bool(v.get("read_only")) if "read_only" in v else None,
                    source=r.src(svc, "volumes"),
                )
            )
    return result


def load_compose_doc(path: Path, max_bytes: int) -> LineDict | None:
    """Read a compose file named by ``include:`` or ``extends.file`` (outside the walk, maybe)."""
    try:
        if not path.is_file() or path.stat().st_size > max_bytes:
            return None
        text = path.read_text(encoding="utf-8")
        docs = list(load_documents(text))
    except (OSError, UnicodeDecodeError, YamlError):
        return None
    doc = docs[0] if docs else None
    return doc if isinstance(doc, LineDict) else None


def declared_links(project: Project, out: Collector) -> list[tuple[str, str, str, Source, str]]:
    """``depends_on`` and ``links`` of every service: (from, to, kind, source, reason)."""
    result = []
    for name, svc in project.services.items():
        r = Reader(project.service_files.get(name, project.files[0]), out)
        deps = _as_map(svc.get("depends_on") or {}, r.at(svc, "depends_on"), "depends_on")
        if isinstance(deps, dict):
            for target, spec in deps.items():
                cond = spec.get("condition") if isinstance(spec, dict) else None
                line = deps.line_of(target) if isinstance(deps, LineDict) else r.line(svc, "depends_on")
                reason = f"depends_on {target}" + (f" (condition: {cond})" if cond else "")
                result.append((name, str(target), "depends_on", Source(file=r.file, line=line), reason))
        links = svc.get("links")
        if isinstance(links, list):
            lines = getattr(links, "item_lines", [])
            for i, link in enumerate(links):
                if isinstance(link, str):
                    target = link.split(":", 1)[0]
                    line = lines[i] if i < len(lines) else r.line(svc, "links")
                    result.append((name, target, "links", Source(file=r.file, line=line), f"links {link}"))
    return result
