"""redline.yaml as a registered reader: claimed before any platform file (``Phase.LAYOUT``), applied in
``finish``, after every edge, because it overrides what the infrastructure files said."""

from __future__ import annotations

from pathlib import Path

from redline.sources import native
from redline.sources.discover import read_text
from redline.sources.registry import InputFile, Phase, ScanState, SourceReader, register


@register
class NativeReader(SourceReader):
    name = "redline.yaml"
    phase = Phase.LAYOUT
    priority = 20
    filenames = frozenset(native.NATIVE_NAMES)

    def __init__(self) -> None:
        self.files: list[Path] = []

    def claims(self, file: InputFile, scan: ScanState) -> bool:
        """Only the one at the top of the scanned folder, and none when ``--overlay`` names another."""
        return (
            file.path.name in native.NATIVE_NAMES
            and file.path.parent == scan.options.scanned
            and scan.options.overlay is None
        )

    def read(self, file: InputFile, scan: ScanState) -> bool:
        self.files.append(file.path)  # parsed (and its problems reported, once) when it is applied, last
        return True

    def finish(self, scan: ScanState) -> None:
        overlay = scan.options.overlay
        for path in [overlay] if overlay is not None else self.files:
            rel = scan.rel(path)
            text = read_text(path, rel, scan.out, scan.options.max_file_bytes)
            if text is None:
                continue
            docs = scan.parse(text, rel, scan.out)
            if not docs:
                continue
            spec = native.parse(docs[0], rel, scan.out)
            if spec is not None:
                native.apply(scan.system, spec, docs[0], rel, scan.out)
                scan.file_read(rel, "redline", len(spec.components))
