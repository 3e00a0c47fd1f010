"""What the run history holds: typed records, apart from the store that keeps them.

A :class:`Run` is one command (or one MCP tool call): when it started, how long it took, what was asked
(options, secrets masked, no file contents), the redline version, a digest of the files read, counts,
the exit code and the error. A review run also keeps one :class:`FindingKey` per finding: enough to say
which findings are new and which are fixed between two runs (:class:`RunDiff`), never the message itself
(a message may quote a value; its digest is taken after masking).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FindingKey(_Record):
    """One finding of a review run, as the history keeps it: where and what, not the words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    name: str
    severity: str
    component: str | None
    file: str | None
    line: int | None
    message_digest: str = Field(description="sha256 (first 16 hex digits) of the masked message")

    @property
    def identity(self) -> tuple[str, str | None, str | None, str]:
        """What makes two findings of two runs the same finding: the line is left out, so a finding
        whose file gained a line above it is not reported as fixed and new."""
        return (self.rule, self.component, self.file, self.message_digest)

    @property
    def where(self) -> str:
        if not self.file:
            return "-"
        return f"{self.file}:{self.line}" if self.line else self.file


class Run(_Record):
    """One recorded command or MCP tool call."""

    id: int | None = None
    command: str = Field(description="`review`, `history diff`, `mcp`, or `mcp:review` for a tool call")
    started_at: datetime = Field(description="UTC")
    duration_s: float
    exit_code: int
    error: str | None = Field(None, description="the error the run ended with (masked), when it failed")
    version: str = Field(description="the redline version that ran")
    target: str | None = Field(None, description="the path (absolute) or URL the run was about")
    options: dict[str, Any] = Field(default_factory=dict, description="as given, secrets masked")
    input_digest: str | None = Field(
        None, description="sha256 of the read files' relative paths and contents; None: no file was read"
    )
    counts: dict[str, int | float] = Field(default_factory=dict)
    findings: int = Field(0, description="finding keys kept (review runs)")


class RunDiff(_Record):
    """What changed between two review runs: findings only in ``head`` (new) and only in ``base`` (fixed)."""

    base: Run
    head: Run
    new: list[FindingKey] = Field(default_factory=list)
    fixed: list[FindingKey] = Field(default_factory=list)
    unchanged: int = 0
    same_input: bool = Field(description="both runs read the same files with the same contents")


__all__ = ["FindingKey", "Run", "RunDiff"]
