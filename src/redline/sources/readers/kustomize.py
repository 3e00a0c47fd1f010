"""kustomizations as a registered reader: the top-most ones are built as ``kustomize build`` builds them.

The builds run in ``select`` (``Phase.LAYOUT``), before any other file is read: the kustomization files are
taken whole (recorded as read), every top-most kustomization is built (:mod:`redline.sources.kustomize`),
and ``admit`` then hands each resource file's *built* objects to the Kubernetes reader in place of the
file's own text, so objects keep their file and line and the values a build changed cite the patch or
kustomization that changed them. Files a build read as patches are not read again; files a kustomization
governs that no build read are left out with the reason (opt-in Component, alternative build, not
listed). Generated ConfigMaps and Secrets are handed on as inputs of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from redline.model import Provenance, SkipKind
from redline.sources import kustomize
from redline.sources.discover import read_text
from redline.sources.registry import InputFile, Phase, ScanState, SourceReader, internal_error, register


@register
class KustomizeReader(SourceReader):
    name = "kustomize"
    phase = Phase.LAYOUT
    priority = 10
    filenames = frozenset(kustomize.KUSTOMIZATION_NAMES)

    def __init__(self) -> None:
        self.kusts: list[kustomize.Kustomization] = []
        self.plan = kustomize.Plan()
        self.consumed: set[Path] = set()
        self.built: dict[Path, list[Any]] = {}  # resource file -> its objects as built
        self.handed: set[int] = set()  # ids of the inputs this reader made (generated objects)
        self.provenance: dict[tuple[str, int | None], dict[str, Provenance]] = {}
        self._left_out: dict[Path, str] | None = None

    def select(self, scan: ScanState) -> set[Path]:
        paths = [f for f in scan.found.files if f.name in kustomize.KUSTOMIZATION_NAMES]
        if not paths:
            return set()
        texts: dict[Path, str] = {}
        for path in paths:
            self._read_kustomization(path, scan, texts)
        self.plan = kustomize.plan(self.kusts)
        files = kustomize.scan_files(
            texts,
            scan.root,
            lambda path, rel, sink: read_text(path, rel, sink, scan.options.max_file_bytes),
            scan.parse,
            scan.out,
            set(texts),
        )
        for leaf in self.plan.leaves:
            self._build(leaf, files, scan)
        for path, above in self.plan.nested.items():
            scan.out.skip(
                scan.rel(path),
                f"a kustomization below {above} that it does not include ({kustomize.NOT_BUILT})",
                kind=SkipKind.IGNORED,
            )
        return set(paths)

    def _read_kustomization(self, path: Path, scan: ScanState, texts: dict[Path, str]) -> None:
        rel = scan.rel(path)
        text = read_text(path, rel, scan.out, scan.options.max_file_bytes)
        if text is None:
            return
        texts[path] = text
        docs = scan.parse(text, rel, scan.out)
        k = kustomize.read(docs[0] if docs else None, path, rel, scan.out)
        if k is not None:
            self.kusts.append(k)
            scan.file_read(rel, "kustomization", 0)

    def _build(self, leaf: kustomize.Kustomization, files: kustomize.Files, scan: ScanState) -> None:
        try:
            built = kustomize.build(leaf.path.resolve(), files, scan.out)
        except Exception as exc:  # a builder bug must cost one kustomization, never the scan
            scan.out.skip(leaf.rel, internal_error(exc))
            return
        self.consumed.update(built.files)
        generated: dict[str, list[Any]] = {}
        for obj in built.objects:
            self.provenance[(obj.file, obj.doc.line)] = kustomize.provenance(obj)
            if obj.path is not None:
                self.built.setdefault(obj.path, []).append(obj.doc)
            else:  # generated: cited to its kustomization or env file, which no reader reads as YAML
                generated.setdefault(obj.file, []).append(obj.doc)
        for rel, docs in generated.items():  # at the kustomization's path (a YAML name), cited as ``rel``
            handed = InputFile(leaf.path, rel, "", _docs=docs)
            self.handed.add(id(handed))
            scan.add_input(handed)
        what = ", ".join(built.applied) if built.applied else "resources only"
        count = len({obj.file for obj in built.objects})
        scan.out.warn(
            built.rel,
            None,
            f"built as `kustomize build` would ({what}): {len(built.objects)} objects from {count} files, "
            "by redline's own builder (no kustomize or kubectl binary is run)",
        )

    def admit(self, file: InputFile, scan: ScanState) -> bool:
        if id(file) in self.handed or not self.kusts:
            return True
        if file.path in self.consumed:
            if file.path not in self.built:
                return False  # a patch or generator file: read as part of a build (never as objects)
            file.release()
            file._docs = self.built.pop(file.path)  # the file's objects as the build made them (once)
            return True
        if self._left_out is None:
            self._left_out = kustomize.left_out(
                self.kusts, self.plan, self.consumed, [f.path for f in scan.pending]
            )
        reason = self._left_out.get(file.path)
        if reason is not None:
            scan.out.skip(file.rel, reason, kind=SkipKind.IGNORED)
            return False
        return True

    def link(self, scan: ScanState) -> None:
        """Record where a build set a workload's replicas and main image (component names are final)."""
        for c in scan.components:
            changed = self.provenance.get((c.source.file, c.source.line))
            if changed and c.platform == "kubernetes":
                c.provenance.update(changed)


__all__ = ["KustomizeReader"]
