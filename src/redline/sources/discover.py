"""Walking a repository: which files to read, which to skip, and why.

The walk honours ``.gitignore`` files (at every level, as git does) and ``--exclude`` patterns, never
follows directory symlinks (so a symlink loop cannot trap it), and reads only YAML. Each file it passes
over for a reason a user might not expect (too big, binary, a loop, a FIFO) is reported as skipped. Only
regular files are ever opened: a FIFO named ``*.yaml`` would block the scan forever.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from redline.model import SkipKind
from redline.sources.diagnostics import Collector

YAML_SUFFIXES = (".yaml", ".yml")
PRUNE_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass
class Discovery:
    """The YAML files to read (absolute paths, sorted), and the Helm charts found on the way."""

    root: Path
    files: list[Path] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix() or path.name
        except ValueError:
            return Path(os.path.relpath(path, self.root)).as_posix()


def _spec(lines: Iterable[str]) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def discover(
    root: Path, out: Collector, exclude: Iterable[str] = (), wanted: Callable[[str], bool] | None = None
) -> Discovery:
    """Walk ``root`` (a directory or one file) and list the files worth reading: those whose name
    ``wanted`` accepts (the readers', sources/registry.py), by default YAML."""
    root = root.resolve()
    if root.is_file():
        found = Discovery(root=root.parent)
        found.files.append(root)
        return found
    found = Discovery(root=root)
    excluded = _spec(exclude)
    ignores: list[tuple[Path, pathspec.PathSpec]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=None):
        here = Path(dirpath)
        gitignore = here / ".gitignore"
        if gitignore.is_file() and not gitignore.is_symlink():
            with contextlib.suppress(OSError):
                lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
                ignores.append((here, _spec(lines)))
        # Keep only the ignore specs of this directory and its ancestors (the walk is depth-first).
        ignores = [(base, spec) for base, spec in ignores if base == here or base in here.parents]
        ignored = functools.partial(_ignored, found=found, excluded=excluded, active=list(ignores))

        keep = []
        for d in sorted(dirnames):
            full = here / d
            if d in PRUNE_DIRS:
                continue
            if full.is_symlink():
                out.skip(
                    found.rel(full),
                    "symlink to a directory: not followed (it could loop)",
                    kind=SkipKind.IGNORED,
                )
                continue
            if ignored(full, True):
                continue
            keep.append(d)
        dirnames[:] = keep
        if "Chart.yaml" in filenames and not ignored(here / "Chart.yaml", False):
            found.charts.append(here)
        for name in sorted(filenames):
            if not (wanted(name) if wanted is not None else name.lower().endswith(YAML_SUFFIXES)):
                continue
            full = here / name
            if ignored(full, False):
                continue
            if full.is_symlink():
                try:
                    target = full.resolve(strict=True)
                except (OSError, RuntimeError):
                    out.skip(found.rel(full), "broken symlink or symlink loop")
                    continue
                if not target.is_file():
                    out.skip(found.rel(full), "symlink to something that is not a file")
                    continue
            elif not _regular(full):
                out.skip(found.rel(full), _NOT_REGULAR, kind=SkipKind.IGNORED)
                continue
            found.files.append(full)
    return found


_NOT_REGULAR = "not a regular file (a FIFO, socket or device): never opened, reading it could block"


def _regular(path: Path) -> bool:
    """Whether ``path`` is a regular file (``is_file`` follows symlinks; this is for the file itself)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _ignored(
    path: Path,
    is_dir: bool,
    *,
    found: Discovery,
    excluded: pathspec.PathSpec,
    active: list[tuple[Path, pathspec.PathSpec]],
) -> bool:
    """True when ``--exclude`` or a .gitignore of this directory or an ancestor matches ``path``."""
    rel = found.rel(path) + ("/" if is_dir else "")
    if excluded.match_file(rel):
        return True
    for base, spec in active:
        sub = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        if spec.match_file(sub):
            return True
    return False


def read_text(path: Path, rel: str, out: Collector, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    """A file's text, or None (with the reason recorded) when it is too big, binary, empty or not UTF-8."""
    try:
        st = path.stat()
    except OSError as exc:
        out.skip(rel, f"cannot read: {exc.strerror or exc}")
        return None
    if not stat.S_ISREG(st.st_mode):
        out.skip(rel, _NOT_REGULAR, kind=SkipKind.IGNORED)
        return None
    size = st.st_size
    if size > max_bytes:
        out.skip(
            rel,
            f"{size / 1e6:.1f} MB, larger than the {max_bytes / 1e6:.0f} MB limit "
            "(raise it with --max-file-size)",
        )
        return None
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        out.skip(rel, f"cannot read: {exc.strerror or exc}")
        return None
    if b"\x00" in data[:8192]:
        out.skip(rel, "binary file (NUL bytes)")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        out.skip(rel, f"not UTF-8 text (byte 0x{data[exc.start]:02x})", line=line)
        return None
    if not text.strip():
        out.skip(rel, "empty file", kind=SkipKind.IGNORED)
        return None
    return text
