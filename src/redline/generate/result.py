"""What ``redline generate`` returns: the files it wrote, what it skipped and why, and what checked them.

Typed apart from the generators, as :mod:`redline.forecast.result` is, so renderers (text, JSON) and the
MCP server read one shape. Every list is in a stable order (the order files are written).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Artifact", "CheckResult", "FileWritten", "GenerateResult", "GeneratedAlert", "SkippedArtifact"]


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Artifact(StrEnum):
    """The four kinds of output, as ``--only`` names them, each in its own folder of ``--out``."""

    ALERTS = "alerts"
    SCALING = "scaling"
    DASHBOARDS = "dashboards"
    RUNBOOKS = "runbooks"

    @property
    def folder(self) -> str:
        """The folder of ``--out`` this artifact is written to."""
        return _FOLDERS[self]


_FOLDERS = {
    Artifact.ALERTS: "prometheus",
    Artifact.SCALING: "kubernetes",
    Artifact.DASHBOARDS: "grafana",
    Artifact.RUNBOOKS: "runbooks",
}


class FileWritten(_Result):
    """One file written, relative to ``--out``, and what it holds."""

    path: str
    artifact: Artifact
    what: str


class GeneratedAlert(_Result):
    """One Prometheus alert: its name, who it is about, its severity label and its runbook."""

    name: str
    subject: str = Field(description="the entry point or component the alert is about")
    severity: str = Field(description="page or ticket: the `severity` label")
    priority: str = Field(description="critical, high, medium or low: the `priority` label")
    runbook: str = Field(description="the runbook file, relative to --out")


class SkippedArtifact(_Result):
    """Something that was not generated, and why (no metric known, no forecast, a single replica)."""

    artifact: Artifact
    subject: str = Field(description="the entry point or component, or * for the whole system")
    what: str
    reason: str


class CheckResult(_Result):
    """A check of the written files by a real tool: promtool, the Kubernetes schema, Grafana's models."""

    name: str
    tool: str
    passed: bool | None = Field(description="None: not run (the tool is not installed), with why")
    detail: str


class GenerateResult(_Result):
    """Everything one ``redline generate`` run wrote, skipped and checked."""

    system: str | None
    out: str
    only: list[Artifact]
    files: list[FileWritten] = Field(default_factory=list)
    alerts: list[GeneratedAlert] = Field(default_factory=list)
    skipped: list[SkippedArtifact] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def generated(self) -> bool:
        """Whether anything drawn from the model was written (not only the generic runbooks)."""
        return any(not f.path.startswith(_GENERIC) for f in self.files)

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if c.passed is False]


#: Files written for every system, which alone do not count as having generated something.
_GENERIC = ("runbooks/incident-response.md", "runbooks/README.md")
