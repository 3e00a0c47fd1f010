"""Helm charts as a registered reader (``Phase.RENDER``): a chart's folder is taken whole, rendered
offline (sources/helm.py), and each rendered template handed to the platform readers as an input."""

from __future__ import annotations

from pathlib import Path

from redline.sources import helm
from redline.sources.registry import Phase, ScanState, SourceReader, register


@register
class HelmReader(SourceReader):
    name = "helm"
    phase = Phase.RENDER
    priority = 10

    def __init__(self) -> None:
        self.charts: list[helm.Rendered] = []

    def select(self, scan: ScanState) -> set[Path]:
        taken, self.charts = helm.render_charts(scan)
        return taken

    def finish(self, scan: ScanState) -> None:
        helm.annotate(scan, self.charts)
