"""Generated outputs shared by the tests: each example generated once per session, checks included."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import redline
from redline.generate.engine import GenerateOptions, generate
from redline.generate.result import GenerateResult
from tests.conftest import EXAMPLES

PROMTOOL = shutil.which("promtool")


def need_promtool() -> str:
    """promtool's path, or a clean skip that says how to get it (CI installs it: .ci/run)."""
    if PROMTOOL is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    return PROMTOOL


class Generated:
    """One generate run: the folder, the result, and the system it was generated from."""

    def __init__(self, out: Path, result: GenerateResult, system: redline.System) -> None:
        self.out = out
        self.result = result
        self.system = system

    def text(self, rel: str) -> str:
        return (self.out / rel).read_text(encoding="utf-8")


def _run(tmp: Path, name: str, options: GenerateOptions | None = None) -> Generated:
    system = redline.scan(EXAMPLES / "shop" / name)
    out = tmp / name
    return Generated(
        out, generate(system, out, options or GenerateOptions(check=PROMTOOL is not None)), system
    )


@pytest.fixture(scope="session")
def shop_k8s(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return _run(tmp_path_factory.mktemp("gen"), "kubernetes")


@pytest.fixture(scope="session")
def shop_compose(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return _run(tmp_path_factory.mktemp("gen"), "compose")
