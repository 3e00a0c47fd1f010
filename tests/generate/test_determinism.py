"""Generated files are byte-for-byte the same on every run: a team can commit them and review diffs."""

from __future__ import annotations

from pathlib import Path

import redline
from redline.generate.engine import GenerateOptions, generate
from tests.conftest import EXAMPLES


def test_two_runs_write_the_same_bytes(tmp_path: Path) -> None:
    system = redline.scan(EXAMPLES / "shop" / "kubernetes")
    first, second = tmp_path / "a", tmp_path / "b"
    generate(system, first, GenerateOptions(check=False))
    generate(redline.scan(EXAMPLES / "shop" / "kubernetes"), second, GenerateOptions(check=False))
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert len(files) == 48  # 5 Prometheus, 7 Kubernetes, 2 Grafana, 34 runbooks (30 alerts, 2 DR, index, IR)
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    text = "".join((first / rel).read_text() for rel in files)
    assert str(tmp_path) not in text  # no machine path, and no timestamp field anywhere
    assert "timestamp" not in text.lower()
