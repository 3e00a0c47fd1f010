"""Application configuration beside each service: the calls a service's own config files state.

Infrastructure files often say only *that* a service runs; where it connects is in the application's
configuration, built into its image: Spring's ``application.yml``, .NET's ``appsettings.json``, a
``.env`` or ``config/*.json`` in the service's folder, a URL literal in its code. This module ties such
files to a component and turns the addresses they state into edges, each citing the file and line.

The tie (first rule that applies; see docs/scan.md, "Application configuration"):

1. the folder of a Compose service's ``build.dockerfile`` below its context (``backend/Dockerfile``);
2. a Compose service's ``build`` context (``build: ./src/orders``);
3. a folder named like the component or the last segment of its image's repository
   (``gcr.io/x/cartservice:v1`` -> ``cartservice``) that holds a Dockerfile or a build file (pom.xml,
   package.json, go.mod, ...), when exactly one such folder exists.

A folder tied to components of different names is not attributed to any of them (a warning says so).

Facts become edges directly, with their own evidence, rather than env vars of the component: the env
of a component is what its platform sets (review rules read it as such), while a file in the image is
read by the application with its own precedence (Spring profiles, .NET environments, env vars winning
over files). Host candidates and name resolution are :mod:`infer`'s (``candidates``, ``Resolver``).
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from dotenv.parser import parse_stream

from redline.model import Component, EnvVar, Evidence, Source
from redline.model.secrets import is_secret_name, mask, mask_text
from redline.sources import applit
from redline.sources.compose import read_env_file
from redline.sources.diagnostics import Collector
from redline.sources.discover import PRUNE_DIRS, read_text
from redline.sources.infer import CONFIDENCE, Candidate, EdgeBuilder, Resolver, candidates, is_public_dns
from redline.sources.yamlio import LineDict, LineList, YamlError, load_documents

MAX_CONFIG_BYTES = 512 * 1024  # one configuration file
MAX_SETTINGS = 5_000  # settings read from one file
MAX_DEPTH = 64  # nesting of one JSON or YAML configuration file
MAX_CONFIG_FILES = 100  # configuration files read per service folder
MAX_WALK_DIRS = 2_000  # folders visited per service folder
MAX_TIE_DIRS = 50_000  # folders indexed by name to find service folders
MAX_PLACEHOLDER_STEPS = 32  # ${...} substitutions in one value
TIME_BUDGET_S = 30.0  # for the whole application-configuration pass of one scan
CONFIG_PENALTY = 0.05  # a file in the image is one step further from what runs than the platform's env

# Folders that hold build output, dependencies or tests, never the configuration that runs.
PRUNE = PRUNE_DIRS | {
    "target",
    "build",
    "bin",
    "obj",
    "vendor",
    "dist",
    "out",
    ".gradle",
    ".idea",
    ".vscode",
    "test",
    "tests",
    "__tests__",
    "testdata",
    "e2e",
}
BUILD_FILES = {
    "Dockerfile",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "package.json",
    "go.mod",
    "requirements.txt",
    "pyproject.toml",
    "Gemfile",
    "Cargo.toml",
}
# Top-level JSON/YAML in a service folder that is tooling or packaging, never runtime configuration.
NOT_CONFIG = {
    "package.json",
    "package-lock.json",
    "composer.json",
    "composer.lock",
    "jsconfig.json",
    "tslint.json",
    "renovate.json",
    "lerna.json",
    "nx.json",
    "angular.json",
    "chart.yaml",
    "skaffold.yaml",
    "mkdocs.yml",
    ".gitlab-ci.yml",
    ".travis.yml",
    "launchsettings.json",
}
_NOT_CONFIG_PREFIXES = (
    "tsconfig",
    "values",
    ".eslintrc",
    ".prettierrc",
    "openapi",
    "swagger",
    "docker-compose",
    "compose.",
)
_SPRING = re.compile(r"^(application|bootstrap)(?:-([A-Za-z0-9_.-]{1,64}))?\.(ya?ml|properties)$")
_DOTNET = re.compile(r"^appsettings(?:\.([A-Za-z0-9_-]{1,64}))?\.json$", re.IGNORECASE)
_GENERIC = (".json", ".yaml", ".yml")
# Spring keys that describe the service itself or its documentation, not a peer it calls.
_SPRING_OWN_PREFIXES = ("server.", "management.server.", "info.", "logging.", "eureka.instance.")


class Framework(StrEnum):
    """Which reader a file is for; its value starts the evidence text."""

    SPRING = "spring config"
    DOTNET = "appsettings"
    DOTENV = "env file"
    CONFIG = "config file"


@dataclass(frozen=True)
class Setting:
    """One key and its scalar value, at a line of a file."""

    key: str
    value: str
    line: int | None


@dataclass
class ConfigDoc:
    """The settings of one document; ``on_profile`` is its Spring activation condition (None: always)."""

    settings: list[Setting] = field(default_factory=list)
    on_profile: str | None = None


# --------------------------------------------------------------------------------------------------------
# Parsers: text in, settings out; problems reported to the collector with file:line, never raised.


class _JsonError(ValueError):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


_JSON_LITERAL = re.compile(r"-?\d[0-9.eE+-]{0,400}|true|false|null")
_WS = re.compile(r"[ \t\r\n\ufeff]*")


class _Json:
    """JSON as .NET's configuration reader accepts it (``//`` and ``/* */`` comments, trailing commas),
    into :class:`LineDict`/:class:`LineList` with the line of every key and item. Linear in the text;
    nesting beyond :data:`MAX_DEPTH` is an error."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._line_pos = 0
        self._line = 1

    def line(self, pos: int) -> int:
        """The 1-based line of ``pos`` (positions are asked in increasing order: linear overall)."""
        if pos < self._line_pos:
            return self.text.count("\n", 0, pos) + 1
        self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def skip(self) -> None:
        text = self.text
        while True:
            self.pos = _WS.match(text, self.pos).end()  # type: ignore[union-attr]
            if text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise _JsonError("a /* comment is never closed", self.pos)
                self.pos = end + 2
            else:
                return

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _JsonError(f"nested deeper than {MAX_DEPTH} levels", self.pos)
        self.skip()
        ch = self.text[self.pos : self.pos + 1]
        if ch == "{":
            return self.collection(depth, "}", LineDict())
        if ch == "[":
            return self.collection(depth, "]", LineList())
        if ch == '"':
            return self.string()
        m = _JSON_LITERAL.match(self.text, self.pos)
        if m is None:
            raise _JsonError(f"expected a value, found {ch!r}" if ch else "unexpected end of text", self.pos)
        self.pos = m.end()
        word = m.group(0)
        return None if word == "null" else word

    def string(self) -> str:
        try:
            text, self.pos = json.decoder.scanstring(self.text, self.pos + 1)  # type: ignore[attr-defined]
        except json.JSONDecodeError as exc:
            raise _JsonError(exc.msg, exc.pos) from None
        return str(text)

    def collection(self, depth: int, close: str, into: Any) -> Any:
        into.line = self.line(self.pos)
        self.pos += 1
        while True:
            self.skip()
            if self.text.startswith(close, self.pos):
                self.pos += 1
                return into
            line = self.line(self.pos)
            if isinstance(into, LineDict):
                if not self.text.startswith('"', self.pos):
                    raise _JsonError("expected a quoted key", self.pos)
                key = self.string()
                self.skip()
                if not self.text.startswith(":", self.pos):
                    raise _JsonError(f"expected ':' after the key {key!r}", self.pos)
                self.pos += 1
                into[key] = self.value(depth + 1)
                into.key_lines[key] = line
            else:
                into.append(self.value(depth + 1))
                into.item_lines.append(line)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith(close, self.pos):
                found = self.text[self.pos : self.pos + 1]
                raise _JsonError(
                    f"expected ',' or {close!r}, found {found!r}" if found else "unclosed", self.pos
                )


def parse_json(text: str, rel: str, out: Collector) -> Any:
    """A JSON configuration file as data with lines, or None (an unreadable skip with the line)."""
    parser = _Json(text)
    try:
        data = parser.value(0)
        parser.skip()
        if parser.pos < len(text):
            raise _JsonError("text after the end of the JSON value", parser.pos)
    except _JsonError as exc:
        out.skip(rel, f"malformed JSON: {exc.message}", line=parser.line(min(exc.pos, len(text))))
        return None
    return data


def parse_yaml(text: str, rel: str, out: Collector) -> list[Any]:
    """The documents of a YAML configuration file; an error skips the file from its line on."""
    problems: list[tuple[int | None, str]] = []
    docs: list[Any] = []
    try:
        for doc in load_documents(text, problems, problems):
            docs.append(doc)
    except YamlError as exc:
        read = f"; the {len(docs)} document(s) before it were read" if docs else ""
        out.skip(rel, f"{exc.message}{read}", line=exc.line)
    for line, message in problems:
        out.warn(rel, line, message)
    return docs


def flatten(node: Any, join: Callable[[str, str | int], str], rel: str, out: Collector) -> list[Setting]:
    """Every scalar under ``node`` as a setting keyed by its path (``join`` builds the key). Iterative,
    bounded by :data:`MAX_SETTINGS`; keys are taken as written."""
    result: list[Setting] = []
    stack: list[tuple[str, Any, int | None]] = [("", node, getattr(node, "line", None))]
    while stack:
        key, value, line = stack.pop()
        if isinstance(value, dict):
            items = [
                (join(key, str(k)), v, value.line_of(k) if isinstance(value, LineDict) else line)
                for k, v in value.items()
            ]
            stack.extend(reversed(items))
        elif isinstance(value, list):
            lines = value.item_lines if isinstance(value, LineList) else []
            items = [(join(key, i), v, lines[i] if i < len(lines) else line) for i, v in enumerate(value)]
            stack.extend(reversed(items))
        elif value is not None:
            if len(result) >= MAX_SETTINGS:
                out.warn(rel, line, f"more than {MAX_SETTINGS:,} settings; the rest not read")
                break
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            result.append(Setting(key, text, line))
    return result


def spring_join(prefix: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else part


def dotnet_join(prefix: str, part: str | int) -> str:
    return f"{prefix}:{part}" if prefix else str(part)


def parse_properties(text: str, rel: str, out: Collector) -> list[ConfigDoc]:
    """A Java ``.properties`` file as Spring reads it: ``key=value``, ``key: value`` or ``key value``,
    ``#``/``!`` comments, ``\\`` continuation lines and escapes, and ``#---`` document separators."""
    docs = [ConfigDoc()]
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start = i
        stripped = lines[i].lstrip()
        i += 1
        if stripped in ("#---", "!---"):
            docs.append(ConfigDoc())
            continue
        if not stripped or stripped[0] in "#!":
            continue
        parts = [stripped]
        while _continues(parts[-1]) and i < len(lines):
            parts[-1] = parts[-1][:-1]
            parts.append(lines[i].lstrip())
            i += 1
        if len(docs[-1].settings) >= MAX_SETTINGS:
            out.warn(rel, start + 1, f"more than {MAX_SETTINGS:,} settings; the rest not read")
            break
        key, value = _split_property("".join(parts))
        try:
            docs[-1].settings.append(Setting(_unescape(key), _unescape(value), start + 1))
        except ValueError as exc:
            out.warn(rel, start + 1, f"properties: {exc}; this setting ignored")
    for doc in docs:
        doc.on_profile = _on_profile(doc.settings)
    return [d for d in docs if d.settings]


def _continues(line: str) -> bool:
    """Whether a properties line ends with an odd number of backslashes (it continues on the next)."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _split_property(line: str) -> tuple[str, str]:
    i = 0
    while i < len(line) and line[i] not in "=: \t\f":
        i += 2 if line[i] == "\\" else 1
    key = line[:i]
    rest = line[i:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 >= len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u":
            code = text[i + 2 : i + 6]
            if len(code) < 4 or not all(c in "0123456789abcdefABCDEF" for c in code):
                raise ValueError(f"expected \\u and 4 hex digits, got {text[i : i + 6]!r}")
            out.append(chr(int(code, 16)))
            i += 6
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return "".join(out)


def parse_spring_yaml(text: str, rel: str, out: Collector) -> list[ConfigDoc]:
    """Spring settings of each YAML document (``a: {b: 1}`` and ``a.b: 1`` are the same key)."""
    docs = []
    for doc in parse_yaml(text, rel, out):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            out.warn(rel, getattr(doc, "line", None), "expected a mapping of settings; document ignored")
            continue
        settings = flatten(doc, spring_join, rel, out)
        docs.append(ConfigDoc(settings, _on_profile(settings)))
    return docs


def _on_profile(settings: list[Setting]) -> str | None:
    """A document's activation: ``spring.config.activate.on-profile`` (or Spring Boot 2's
    ``spring.profiles``), a list joined with commas."""
    found = [
        s.value
        for s in settings
        if relaxed(s.key).startswith(("spring.config.activate.onprofile", "spring.profiles["))
        or relaxed(s.key) == "spring.profiles"
    ]
    return ",".join(found) if found else None


def relaxed(key: str) -> str:
    """Spring's canonical form of a key: lower case, dashes dropped (``serviceUrl`` = ``service-url``)."""
    return key.replace("-", "").replace("_", "").lower()


def spring_env_name(key: str) -> str:
    """The env var that overrides a Spring key (``spring.datasource.url`` -> ``SPRING_DATASOURCE_URL``)."""
    return re.sub(r"\[(\d+)\]", r"_\1_", key).replace(".", "_").replace("-", "").upper().strip("_")


def profile_matches(expression: str, active: list[str]) -> bool | None:
    """Whether a Spring profile expression (``prod``, ``prod,dev``, ``prod | dev``, ``prod & !eu``,
    ``!dev``) holds for ``active``; None for a form not understood (parentheses)."""
    if "(" in expression or ")" in expression:
        return None
    on = set(active)
    for term in re.split(r"[,|]", expression):
        factors = [f.strip() for f in term.split("&") if f.strip()]
        if factors and all((f[1:].strip() not in on) if f.startswith("!") else (f in on) for f in factors):
            return True
    return False


# --------------------------------------------------------------------------------------------------------
# Placeholders: ${NAME:default} as Spring resolves them (env, then other settings, then the default).


@dataclass
class Resolved:
    """A value after placeholders, and how each was resolved (for the evidence)."""

    value: str
    notes: list[str] = field(default_factory=list)


def resolve_placeholders(value: str, lookup: Callable[[str], tuple[str, str] | None]) -> Resolved:
    """Innermost ``${NAME:default}`` first, at most :data:`MAX_PLACEHOLDER_STEPS` of them; ``lookup``
    gives (value, where) or None. An unknown name without default stays ``${NAME}``."""
    notes: list[str] = []
    hidden = "\x00{"
    for _ in range(MAX_PLACEHOLDER_STEPS):
        start = value.rfind("${")
        if start < 0:
            break
        end = value.find("}", start)
        if end < 0:
            break
        name, sep, default = value[start + 2 : end].partition(":")
        found = lookup(name.strip())
        if found is not None:
            replacement, where = found
            notes.append(f"${{{name}}} from {where}")
        elif sep:
            replacement = default
            notes.append(f"${{{name}}} not set: default {default!r}" if default else f"${{{name}}} not set")
        else:
            replacement = hidden + value[start + 2 : end + 1]
        value = value[:start] + replacement + value[end + 1 :]
    return Resolved(value.replace(hidden, "${"), notes)


# --------------------------------------------------------------------------------------------------------
# Tying folders to components.


@dataclass(frozen=True)
class Tie:
    """A component's folder: where its image is built from, and why we say so."""

    folder: Path
    why: str


def compose_context(comp: Component, root: Path) -> Tie | None:
    """The folder a Compose service's image is built from: the folder of its ``build.dockerfile`` when
    that lies below the context (``context: .``, ``dockerfile: backend/Dockerfile``), else the context."""
    for container in comp.containers:
        build = container.build
        if not build or "$" in build or "://" in build or build.startswith("git@"):
            continue
        context = ((root / comp.source.file).parent / build).resolve()
        if not _inside(context, root):
            continue
        dockerfile = container.dockerfile
        if dockerfile and "$" not in dockerfile and "/" in dockerfile.strip("/"):
            folder = (context / dockerfile).parent.resolve()
            if _inside(folder, context) and folder != context:
                return Tie(folder, f"Dockerfile {dockerfile} of build.context {build}")
        return Tie(context, f"build.context {build}")
    return None


def _inside(folder: Path, root: Path) -> bool:
    return folder.is_dir() and (folder == root or root in folder.parents)


def image_name(image: str | None) -> str | None:
    """The last segment of an image's repository: ``gcr.io/x/cartservice:v1@sha256:..`` -> cartservice."""
    if not image:
        return None
    repo = image.split("@", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    return last.split(":", 1)[0] or None


class FolderIndex:
    """Folders of the repository by lower-case name, for the name rule. Bounded by :data:`MAX_TIE_DIRS`."""

    def __init__(self, root: Path, out: Collector, deadline: float) -> None:
        self.by_name: dict[str, list[Path]] = {}
        seen = 0
        for dirpath, dirnames, _ in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in PRUNE and not d.startswith("."))
            for d in dirnames:
                self.by_name.setdefault(d.lower(), []).append(Path(dirpath) / d)
            seen += len(dirnames)
            if seen > MAX_TIE_DIRS or time.monotonic() > deadline:
                out.warn(
                    ".",
                    None,
                    f"more than {MAX_TIE_DIRS:,} folders: service folders looked for in the first ones",
                )
                break

    def service_folder(self, comp: Component) -> Tie | None:
        """The one folder named like the component (or its image) that holds a Dockerfile or build file."""
        plain = comp.name.rsplit("/", 1)[-1]
        for name, what in ((plain, "the component's name"), (image_name(comp.image), "its image's name")):
            if not name:
                continue
            hits = [f for f in self.by_name.get(name.lower(), []) if _holds_build_file(f)]
            if len(hits) == 1:
                return Tie(hits[0].resolve(), f"folder named like {what}, with {_build_file(hits[0])}")
        return None


def _build_file(folder: Path) -> str | None:
    for name in sorted(BUILD_FILES):
        if (folder / name).is_file():
            return name
    try:
        return next((p.name for p in folder.glob("*.csproj")), None)
    except OSError:
        return None


def _holds_build_file(folder: Path) -> bool:
    return _build_file(folder) is not None


# --------------------------------------------------------------------------------------------------------
# Files of a service folder.


@dataclass
class ServiceFiles:
    spring: list[Path] = field(default_factory=list)
    dotnet: list[Path] = field(default_factory=list)
    dotenv: list[Path] = field(default_factory=list)
    config: list[Path] = field(default_factory=list)
    code: list[Path] = field(default_factory=list)


def service_files(folder: Path, infra: set[Path], deadline: float) -> tuple[ServiceFiles, list[str]]:
    """The configuration and code files of a service folder, and what bounds cut (for warnings)."""
    found = ServiceFiles()
    cut: list[str] = []
    dirs = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in PRUNE and not (here / d).is_symlink())
        dirs += 1
        top = here == folder
        for name in sorted(filenames):
            path = here / name
            if path in infra or path.is_symlink():
                continue
            _classify(path, name, top, here.name == "config" and here.parent == folder, found)
        if dirs >= MAX_WALK_DIRS or time.monotonic() > deadline:
            cut.append(f"more than {MAX_WALK_DIRS:,} folders or out of time; the rest not searched")
            break
    config = len(found.spring) + len(found.dotnet) + len(found.dotenv) + len(found.config)
    if config > MAX_CONFIG_FILES:
        cut.append(f"{config} configuration files; the first {MAX_CONFIG_FILES} read")
        room = MAX_CONFIG_FILES
        for kind in ("spring", "dotnet", "dotenv", "config"):
            kept = getattr(found, kind)[:room]
            setattr(found, kind, kept)
            room -= len(kept)
    if len(found.code) > applit.MAX_CODE_FILES:
        cut.append(
            f"{len(found.code)} source files; the first {applit.MAX_CODE_FILES:,} searched for literals"
        )
        found.code = found.code[: applit.MAX_CODE_FILES]
    return found, cut


def _classify(path: Path, name: str, top: bool, in_config: bool, found: ServiceFiles) -> None:
    lower = name.lower()
    if _SPRING.match(name):
        found.spring.append(path)
    elif _DOTNET.match(name):
        found.dotnet.append(path)
    elif top and lower == ".env":
        found.dotenv.append(path)
    elif (top or in_config) and lower.endswith(_GENERIC) and _is_config_name(lower):
        found.config.append(path)
    elif applit.is_code(name):
        found.code.append(path)


def _is_config_name(lower: str) -> bool:
    return lower not in NOT_CONFIG and not lower.startswith(_NOT_CONFIG_PREFIXES)


# --------------------------------------------------------------------------------------------------------
# From files to edges.


@dataclass
class Stated:
    """One setting that may name a peer, ready for host inference."""

    framework: Framework
    file: str
    setting: Setting
    key_name: str  # the env-like name given to host inference (``SPRING_DATASOURCE_URL``)
    resolved: Resolved
    note: str = ""  # profile or environment that selected it


class AppConfig:
    """The application-configuration pass of one scan: ties, reads, and adds edges to ``builder``."""

    def __init__(
        self,
        root: Path,
        resolver: Resolver,
        builder: EdgeBuilder,
        out: Collector,
        infra: set[Path],
        offered: dict[Path, str] | None = None,
    ) -> None:
        """``infra``: files the scan read as infrastructure (never configuration). ``offered``: the
        texts of the YAML files the scan's walk found, when it walked (``.gitignore`` and ``--exclude``
        applied; their YAML problems were reported by the scan): a YAML file not offered is not read."""
        self.root = root.resolve()
        self.resolver = resolver
        self.builder = builder
        self.out = out
        self.infra = {p.resolve() for p in infra}
        self.offered = offered
        self.deadline = time.monotonic() + TIME_BUDGET_S
        self._index: FolderIndex | None = None
        self._parsed: dict[Path, Any] = {}
        self.used: dict[Path, tuple[Framework, int]] = {}  # files read: as what, how many settings
        self.folders: dict[Path, str] = {}  # tied folders -> the components tied to them

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix() or "."
        except ValueError:
            return path.as_posix()

    def run(self, components: list[Component]) -> None:
        """Tie each component to its folder, read what the folder states and add the edges."""
        literals: dict[Path, Literals] = {}
        ties = self.ties(components)
        for comp, tie in ties:
            self.folders[tie.folder] = ", ".join(filter(None, [self.folders.get(tie.folder), comp.name]))
        for comp, tie in ties:
            if time.monotonic() > self.deadline:
                self.out.warn(self.rel(tie.folder), None, "application configuration: out of time; not read")
                break
            try:
                self.read_folder(comp, tie, literals)
            except Exception as exc:  # a reader bug must cost one folder, never the scan
                self.out.skip(
                    self.rel(tie.folder),
                    f"internal error while reading application configuration ({type(exc).__name__}: {exc}); "
                    "please report it",
                )

    def read_folder(self, comp: Component, tie: Tie, literals: dict[Path, Literals]) -> None:
        files, cut = service_files(tie.folder, self.infra, self.deadline)
        if self.offered is not None:  # YAML the scan's walk left out (.gitignore, --exclude) is not read
            files.spring = [p for p in files.spring if not _is_yaml(p) or p in self.offered]
            files.config = [p for p in files.config if not _is_yaml(p) or p in self.offered]
        if tie.folder not in literals:  # a folder two components share by name is reported once
            for reason in cut:
                self.out.warn(self.rel(tie.folder), None, f"application configuration: {reason}")
            literals[tie.folder] = self.literals(files.code)
        if tie.folder == (self.root / comp.source.file).parent:
            files.dotenv = []  # the .env beside the Compose file is Compose's own (interpolation)
        self.add_settings(comp, tie, self.settings(files, _env_of(comp)))
        self.add_literals(comp, tie, literals[tie.folder])

    # -- ties

    def ties(self, components: list[Component]) -> list[tuple[Component, Tie]]:
        found: list[tuple[Component, Tie]] = []
        for comp in components:
            if comp.platform not in ("compose", "kubernetes"):
                continue
            tie = compose_context(comp, self.root) if comp.platform == "compose" else None
            if tie is None:
                tie = self.index.service_folder(comp)
            if tie is not None:
                found.append((comp, tie))
        names: dict[Path, set[str]] = {}
        for comp, tie in found:
            names.setdefault(tie.folder, set()).add(comp.name.rsplit("/", 1)[-1])
        shared = {folder for folder, n in names.items() if len(n) > 1}
        for folder in sorted(shared):
            files, _ = service_files(folder, self.infra, self.deadline)
            if files.spring or files.dotnet or files.dotenv:
                who = ", ".join(sorted(names[folder])[:5]) + (", ..." if len(names[folder]) > 5 else "")
                self.out.warn(
                    self.rel(folder),
                    None,
                    f"application configuration in this folder is shared by {len(names[folder])} components "
                    f"({who}): not attributed to any",
                )
        return [(c, t) for c, t in found if t.folder not in shared]

    @property
    def index(self) -> FolderIndex:
        if self._index is None:
            self._index = FolderIndex(self.root, self.out, self.deadline)
        return self._index

    # -- reading

    def parsed(self, path: Path, parse: Callable[[str, str, Collector], Any], quiet: bool = False) -> Any:
        """``parse`` of the file's text, once per file (its problems are reported once, or not at all when
        ``quiet``: the scan reported them), or None."""
        if path not in self._parsed:
            text = self.offered.get(path) if self.offered is not None else None
            text = self.text(path) if text is None else text
            out = Collector() if quiet else self.out
            self._parsed[path] = None if text is None else parse(text, self.rel(path), out)
        return self._parsed[path]

    def not_read(self, path: Path) -> str:
        """Why a configuration file was not read (after :meth:`run`)."""
        for folder, names in self.folders.items():
            if folder in path.parents:
                parts = path.relative_to(folder).parts[:-1]
                pruned = next((p for p in parts if p in PRUNE), None)
                if pruned is not None:
                    return f"in {pruned}/ of the folder of {names}: tests and build output are not what runs"
                return f"in the folder of {names}, not read: a bound was reached (see the warnings)"
        return (
            "in no service's folder (no Compose build context, Dockerfile folder or folder "
            "named like a component holds it)"
        )

    def mark_used(self, path: Path, framework: Framework, settings: int) -> None:
        self.used[path] = (framework, settings)

    def text(self, path: Path) -> str | None:
        """A configuration file's text; a ``.properties`` file that is not UTF-8 is read as ISO-8859-1,
        the encoding Java (and Spring Boot) read properties in."""
        probe = Collector()
        text = read_text(path, self.rel(path), probe, MAX_CONFIG_BYTES)
        if text is None and path.suffix == ".properties" and probe.skipped[0].reason.startswith("not UTF-8"):
            try:
                return path.read_bytes()[: MAX_CONFIG_BYTES + 1].decode("latin-1")
            except OSError:
                pass
        self.out.skipped.extend(probe.skipped)
        self.out.warnings.extend(probe.warnings)
        return text

    def settings(self, files: ServiceFiles, env: dict[str, tuple[str, str]]) -> list[Stated]:
        stated = self.spring(files.spring, env) + self.dotnet(files.dotnet, env)
        for path in files.dotenv:
            stated += self.dotenv(path, env)
        for path in files.config:
            stated += self.generic(path, env)
        return stated

    def spring(self, paths: list[Path], env: dict[str, tuple[str, str]]) -> list[Stated]:
        """Spring Boot's effective settings: bootstrap, then application (``.properties`` over ``.yml``),
        documents activated by the active profiles, then ``application-<profile>`` files in profile order;
        a later layer wins, and an env var (relaxed name) wins over every file."""
        layers: list[tuple[str, str | None, ConfigDoc]] = []  # (file, profile of the file, document)
        for path in sorted(paths, key=_spring_order):
            rel = self.rel(path)
            docs = self.parsed(path, parse_properties if path.suffix == ".properties" else parse_spring_yaml)
            m = _SPRING.match(path.name)
            for doc in docs or []:
                layers.append((rel, m.group(2) if m else None, doc))
            if docs is not None:
                self.mark_used(path, Framework.SPRING, sum(len(d.settings) for d in docs))
        active, why = self._active_profiles(layers, env)
        merged: dict[str, tuple[str, Setting, str]] = {}
        ordered = [(f, p, d) for f, p, d in layers if p is None] + [
            (f, p, d) for prof in active for f, p, d in layers if p == prof
        ]
        for file, profile, doc in ordered:
            note = self._selected(file, profile, doc, active, why)
            if note is None:
                continue
            for s in doc.settings:
                merged[relaxed(s.key)] = (file, s, note)
        by_key = {relaxed(s.key): s.value for _, s, _ in merged.values()}
        result = []
        for file, s, note in merged.values():
            if spring_env_name(s.key) in env or relaxed(s.key).startswith(_SPRING_OWN_PREFIXES):
                continue  # an env var overrides the file (and is read as env); or the service's own address
            resolved = resolve_placeholders(s.value, _lookup(env, by_key, spring_env_name))
            result.append(Stated(Framework.SPRING, file, s, _env_like(s.key), resolved, note))
        return result

    def _selected(
        self, file: str, profile: str | None, doc: ConfigDoc, active: list[str], why: str
    ) -> str | None:
        """Why a document applies (the note for its evidence), or None when its profile is not active."""
        note = f"profile {profile} ({why})" if profile else ""
        if doc.on_profile is None:
            return note
        hit = profile_matches(doc.on_profile, active)
        if hit is None:
            line = next((s.line for s in doc.settings if "profile" in s.key), None)
            self.out.warn(
                file, line, f"profile expression {doc.on_profile!r} not understood; document not applied"
            )
            return None
        return f"on-profile {doc.on_profile} ({why})" if hit else None

    @staticmethod
    def _active_profiles(
        layers: list[tuple[str, str | None, ConfigDoc]], env: dict[str, tuple[str, str]]
    ) -> tuple[list[str], str]:
        """Active profiles: ``SPRING_PROFILES_ACTIVE`` (env or ``--spring.profiles.active`` argument),
        else ``spring.profiles.active`` of an unconditional document, else Spring's ``default``."""
        if "SPRING_PROFILES_ACTIVE" in env:
            value, why = env["SPRING_PROFILES_ACTIVE"]
        else:
            stated = [
                (s.value, f"spring.profiles.active at {f}:{s.line}")
                for f, p, d in layers
                if p is None and d.on_profile is None
                for s in d.settings
                if relaxed(s.key) == "spring.profiles.active"
            ]
            if not stated:
                return ["default"], "no profile set: default"
            value, why = stated[-1]
        value = resolve_placeholders(value, _lookup(env, {}, spring_env_name)).value
        profiles = [p.strip() for p in value.split(",") if p.strip() and "$" not in p]
        return (profiles or ["default"]), why

    def dotnet(self, paths: list[Path], env: dict[str, tuple[str, str]]) -> list[Stated]:
        """``appsettings.json``, then ``appsettings.<Environment>.json`` (``ASPNETCORE_ENVIRONMENT`` or
        ``DOTNET_ENVIRONMENT``, else Production, as .NET does); env vars (``A__B``) win over both."""
        name, where = env.get("ASPNETCORE_ENVIRONMENT") or env.get("DOTNET_ENVIRONMENT") or ("Production", "")
        why = f"environment {name}" + (f" from {where}" if where else ", .NET's default")
        merged: dict[str, tuple[str, Setting, str]] = {}
        for path in sorted(paths, key=lambda p: (len(p.parts), p.name.count("."), p.as_posix())):
            m = _DOTNET.match(path.name)
            environment = m.group(1) if m else None
            if environment is not None and environment.lower() != name.lower():
                continue
            data = self.parsed(path, parse_json)
            if data is None:
                continue
            settings = flatten(data, dotnet_join, self.rel(path), self.out)
            self.mark_used(path, Framework.DOTNET, len(settings))
            for s in settings:
                merged[s.key.lower()] = (self.rel(path), s, why if environment else "")
        upper = {k.upper() for k in env}
        return [
            Stated(Framework.DOTNET, f, s, _env_like(s.key), Resolved(s.value), note)
            for f, s, note in merged.values()
            if s.key.replace(":", "__").upper() not in upper
        ]

    def dotenv(self, path: Path, env: dict[str, tuple[str, str]]) -> list[Stated]:
        """A ``.env`` the application loads (dotenv libraries do not override variables already set)."""
        rel = self.rel(path)
        values = read_env_file(path, self.out, rel)
        lines = _dotenv_lines(path)
        self.mark_used(path, Framework.DOTENV, len(values))
        return [
            Stated(Framework.DOTENV, rel, Setting(k, v, lines.get(k)), k, Resolved(v))
            for k, v in values.items()
            if k not in env
        ]

    def generic(self, path: Path, env: dict[str, tuple[str, str]]) -> list[Stated]:
        rel = self.rel(path)
        if path.suffix.lower() == ".json":
            data = self.parsed(path, parse_json)
            docs = [] if data is None else [data]
        else:  # offered YAML: the scan parsed it already and reported its problems
            docs = self.parsed(path, parse_yaml, quiet=self.offered is not None) or []
        result = []
        for doc in docs:
            if isinstance(doc, dict) and (("apiVersion" in doc and "kind" in doc) or "services" in doc):
                continue  # a manifest or Compose file left out of the system on purpose, not app config
            for s in flatten(doc, spring_join, rel, self.out):
                resolved = (
                    resolve_placeholders(s.value, _lookup(env, {}, lambda k: k))
                    if "${" in s.value
                    else Resolved(s.value)
                )
                result.append(Stated(Framework.CONFIG, rel, s, _env_like(s.key), resolved))
        if result:
            self.mark_used(path, Framework.CONFIG, len(result))
        return result

    def literals(self, paths: list[Path]) -> Literals:
        """Each distinct literal of the folder's code, with its first place (at most
        :data:`applit.MAX_DISTINCT_LITERALS` of them)."""
        found: Literals = {}
        for path in paths:
            if time.monotonic() > self.deadline or len(found) >= applit.MAX_DISTINCT_LITERALS:
                break
            rel = self.rel(path)
            text = read_text(path, rel, Collector(), applit.MAX_CODE_BYTES)  # best effort, silent
            for line, lit in applit.literals(text or ""):
                found.setdefault(lit, (rel, line))
        return found

    # -- edges

    def add_settings(self, comp: Component, tie: Tie, stated: list[Stated]) -> None:
        for st in stated:
            var = EnvVar(name=st.key_name, value=st.resolved.value)
            for cand in candidates(var):
                shown = mask(st.resolved.value) if is_secret_name(st.setting.key) else mask_text(cand.text)
                derived = "; ".join(filter(None, [st.note, *st.resolved.notes]))
                reason = (
                    f"{st.framework} {st.file}:{st.setting.line} of component {comp.name} ({tie.why}): "
                    f"{st.setting.key}={shown}" + (f" [{derived}]" if derived else "")
                )
                source = Source(file=st.file, line=st.setting.line)
                self.add(comp, cand, reason, source, known_only=st.framework is Framework.CONFIG)

    def add_literals(self, comp: Component, tie: Tie, literals: Literals) -> None:
        """The first place of the first :data:`applit.MAX_EVIDENCE_PER_HOST` distinct literals naming each
        host (a client repeating one URL in 1,000 places is one call, not 1,000 pieces of evidence)."""
        shown: dict[str, int] = {}
        for literal, (file, line) in literals.items():
            for cand in candidates(EnvVar(name="LITERAL", value=literal)):
                if shown.get(cand.host, 0) >= applit.MAX_EVIDENCE_PER_HOST:
                    continue
                shown[cand.host] = shown.get(cand.host, 0) + 1
                reason = (
                    f"source literal {file}:{line} of component {comp.name} ({tie.why}): {mask_text(literal)}"
                )
                self.add(comp, cand, reason, Source(file=file, line=line), known_only=True, code=True)

    def add(
        self,
        comp: Component,
        cand: Candidate,
        reason: str,
        source: Source,
        known_only: bool,
        code: bool = False,
    ) -> None:
        """An edge to what the host resolves to (as ``infer``'s env inference does); else, unless
        ``known_only``, an external or unresolved reference."""
        targets, factor, note = self.resolver.resolve(comp, cand.host)
        base = applit.CONFIDENCE if code else CONFIDENCE[cand.how] - CONFIG_PENALTY
        kind: Literal["code", "config"] = "code" if code else "config"
        for t in targets:
            if t is comp:
                continue
            ev = Evidence(
                reason=reason + (f"; {note}" if note else ""),
                kind=kind,
                confidence=round(base * factor, 3),
                source=source,
            )
            self.builder.add(comp, t, ev)
            if cand.hint is not None:
                self.builder.called_as(t, cand.hint, f"{comp.name} ({reason.split(': ', 1)[0]})")
        plain = comp.name.rsplit("/", 1)[-1]
        if targets or known_only or cand.own or cand.host == plain or cand.host in comp.aliases:
            return
        if is_public_dns(cand.host) and cand.how in _NAMED:
            ext = self.builder.external(cand.host, source)
            self.builder.add(comp, ext, Evidence(reason=reason, kind=kind, confidence=base, source=source))
        elif cand.how in _NAMED or "-" in cand.host or "." not in cand.host:
            self.builder.unresolved_ref(comp, cand.host, f"{reason}: {note}", source)


Literals = dict[str, tuple[str, int]]  # literal -> (file, line) of its first place
_NAMED = ("url", "connstr", "hostvar")  # forms that surely name a host (a bare host:port may be anything)


def is_spring_yaml(name: str) -> bool:
    """Whether a file name is a Spring Boot YAML configuration (``application-prod.yml``)."""
    m = _SPRING.match(name)
    return m is not None and m.group(3) != "properties"


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def _spring_order(path: Path) -> tuple[int, int, str]:
    """bootstrap before application, ``.yml`` before ``.properties`` (properties win), then by path."""
    return (
        0 if path.name.startswith("bootstrap") else 1,
        1 if path.suffix == ".properties" else 0,
        path.as_posix(),
    )


_JAVA_OPTS = ("JAVA_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")
MAX_OPTIONS = 256  # options read from one command or JAVA_OPTS value


def _env_of(comp: Component) -> dict[str, tuple[str, str]]:
    """The component's env: name -> (value, how it is set: ``env DB_HOST at compose.yaml:6``).

    Spring properties set on the command line (``--spring.profiles.active=x``) or as JVM system
    properties (``-Dkey=value`` in the command or in ``JAVA_OPTS``) win over env and files, so they are
    kept under the env form of their key."""
    env: dict[str, tuple[str, str]] = {}
    options: list[tuple[str, str]] = []
    for var in comp.env():
        value = var.expanded if var.expanded is not None else var.value
        if value is None:
            continue
        where = f"env {var.name} at {var.source or comp.source}"
        env[var.name] = (value, where)
        if var.name in _JAVA_OPTS:
            options += [(token, where) for token in value.split(maxsplit=MAX_OPTIONS)[:MAX_OPTIONS]]
    for container in comp.containers:
        where = f"the command at {container.source or comp.source}"
        options += [(arg, where) for arg in container.command[:MAX_OPTIONS]]
    for option, where in options:
        key, sep, value = option.partition("=")
        if sep and (key.startswith("-D") or key.startswith("--")) and "." in key:
            env[spring_env_name(key[2:])] = (value, f"{option} in {where}")
    return env


def _lookup(
    env: dict[str, tuple[str, str]], settings: dict[str, str], env_name: Callable[[str], str]
) -> Callable[[str], tuple[str, str] | None]:
    def lookup(name: str) -> tuple[str, str] | None:
        for candidate in (name, env_name(name)):
            if candidate in env:
                return env[candidate]
        if relaxed(name) in settings:
            return settings[relaxed(name)], f"setting {name}"
        return None

    return lookup


def _env_like(key: str) -> str:
    """A setting's key as an env var name for host inference: ``spring.kafka.bootstrap-servers`` ->
    ``SPRING_KAFKA_BOOTSTRAP_SERVERS``, ``serviceUrl`` -> ``SERVICE_URL``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").upper()


def _dotenv_lines(path: Path) -> dict[str, int]:
    """The line of each key of a dotenv file (the last definition wins, as the values do)."""
    lines: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        return lines
    for binding in parse_stream(io.StringIO(text)):
        if binding.key is not None and not binding.error:
            lines[binding.key] = binding.original.line
    return lines


__all__ = [
    "AppConfig",
    "ConfigDoc",
    "Framework",
    "Setting",
    "flatten",
    "parse_json",
    "parse_properties",
    "parse_yaml",
    "profile_matches",
    "resolve_placeholders",
]
