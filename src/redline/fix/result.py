"""What ``redline fix`` did: typed results, apart from the engine that produces them.

One :class:`FixRecord` per finding of the selected rules, with the :class:`Outcome` of its fix and, when
the fix was not written, the :class:`Reason`; one :class:`FileChange` per file written (or, with
``--diff``, that would be), with its unified diff; totals, and the findings counted before and after,
overall and per rule. Renderers (``redline.report.fix_text``, ``redline.report.fix_json``) read these
and nothing else.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from redline.fix.edits import Safety
from redline.model import Skipped
from redline.review.rule import Finding, Severity


class Outcome(StrEnum):
    """What became of one finding's fix."""

    APPLIED = "applied"  # written into the user's files
    WOULD_APPLY = "would-apply"  # --diff: validated and re-reviewed, shown, not written
    SKIPPED_UNSAFE = "skipped-unsafe"  # an unsafe fix, and --unsafe-fixes was not given
    ADVICE = "advice"  # no edit is offered, or none may be written where it would go
    REJECTED = "rejected"  # an edit was tried and failed a check: nothing of it is written


class Reason(StrEnum):
    """Why a fix was not written (advice and rejected outcomes)."""

    ADVICE_ONLY = "advice-only"  # the rule offers advice, not an edit
    HELM_TEMPLATE = "helm-template"  # the file belongs to a Helm chart: edit the chart's values instead
    OUTSIDE_ROOT = "outside-root"  # the file lies outside the repository root
    EDIT_ERROR = "edit-error"  # the edit cannot be made where it points (no such document or container)
    CONFLICT = "conflict"  # its edits overlap an earlier fix's on the same path: rejected, not merged
    PARSE_ERROR = "parse-error"  # the edited file does not parse
    SCHEMA_ERROR = "schema-error"  # the edited document fails the Kubernetes or Compose schema
    COMPONENTS_CHANGED = "components-changed"  # a re-scan reads other components or skips a file
    NOT_GONE = "finding-not-gone"  # the re-review still reports the finding
    NEW_FINDING = "new-finding"  # the re-review reports a finding that was not there before
    REVIEW_CAP = "review-cap"  # not verified: the cap on re-reviews was reached first


class FindingRef(BaseModel):
    """The finding a fix is for, as the review reported it."""

    model_config = ConfigDict(frozen=True)

    rule: str
    name: str
    severity: Severity
    component: str | None
    file: str | None
    line: int | None
    message: str

    @classmethod
    def of(cls, f: Finding) -> FindingRef:
        return cls(
            rule=f.rule,
            name=f.name,
            severity=f.severity,
            component=f.component,
            file=f.file,
            line=f.line,
            message=f.message,
        )


class FixRecord(BaseModel):
    """One finding's fix and what became of it."""

    model_config = ConfigDict(frozen=True)

    finding: FindingRef
    safety: Safety
    title: str
    outcome: Outcome
    reason: Reason | None = None
    detail: str | None = None  # the reason in words: the schema path and message, the new finding, ...
    files: list[str] = Field(default_factory=list)  # files its edits touch (relative to the root)


class FileChange(BaseModel):
    """One file written (or, with --diff, that would be), with its unified diff (secrets masked)."""

    model_config = ConfigDict(frozen=True)

    file: str  # relative to the root
    created: bool  # a new file (a new object written beside its workload)
    diff: str
    fixes: list[int] = Field(default_factory=list)  # indexes into FixResult.fixes of the fixes it holds


class RuleCounts(BaseModel):
    """Per rule: the fix's safety, what became of its fixes, and its findings before and after."""

    safety: Safety
    before: int = 0
    after: int = 0
    applied: int = 0  # written, or would be with --diff
    skipped_unsafe: int = 0
    advice: int = 0
    rejected: int = 0


class Totals(BaseModel):
    applied: int = 0
    would_apply: int = 0
    skipped_unsafe: int = 0
    advice: int = 0
    rejected: int = 0


class FixResult(BaseModel):
    """Everything one ``redline fix`` run did."""

    root: str  # where file paths are relative to
    diff_only: bool  # --diff: nothing was written
    unsafe: bool
    new_objects: str  # "beside" or "append"
    kubernetes_version: str
    fixes: list[FixRecord] = Field(default_factory=list)
    files: list[FileChange] = Field(default_factory=list)
    totals: Totals = Field(default_factory=Totals)
    rules: dict[str, RuleCounts] = Field(default_factory=dict)
    findings_before: int = 0  # every finding of the review before the run
    findings_after: int = 0  # every finding after the accepted fixes (with --diff: after they would be)
    remaining: int = 0  # findings of the selected rules that still carry an edit, in the files on disk
    reviews: int = 0  # re-reviews run to verify the fixes
    max_reviews: int = 0
    skipped: list[Skipped] = Field(default_factory=list)  # what the scan did not read


__all__ = [
    "FileChange",
    "FindingRef",
    "FixRecord",
    "FixResult",
    "Outcome",
    "Reason",
    "RuleCounts",
    "Totals",
]
