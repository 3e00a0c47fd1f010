"""What a review rule is, what it returns, and the registry that collects rules.

A rule is a small class: a code, a name, a category, a default severity, a docstring that is its
documentation (rendered into docs/rules.md, sqlfluff-style, so code and docs cannot drift), and a
``check`` over the model that yields :class:`Finding` objects. Rules never read YAML.

The docstring has four ruff-style sections, each headed by a line ending in a colon:
``What it does:``, ``Why it matters:``, ``Example:``, ``Fix:`` and ``Trade-offs:``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from redline.fix.edits import Fix, Safety
from redline.model.secrets import mask_args

if TYPE_CHECKING:
    from redline.model import Component
    from redline.review.context import Context


class Severity(StrEnum):
    """The alert hierarchy users already know, worst first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for critical .. 3 for low: sort key, and how ``--fail-on`` compares."""
        return _RANK[self]

    def at_least(self, other: Severity) -> bool:
        """True when this severity is ``other`` or worse."""
        return self.rank <= other.rank

    def shifted(self, steps: int) -> Severity:
        """Move up (negative) or down (positive) the ladder, clamped: how blast radius adjusts severity."""
        order = list(Severity)
        return order[max(0, min(len(order) - 1, self.rank + steps))]


_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


class Category(StrEnum):
    AVAILABILITY = "availability"
    RESILIENCE = "resilience"
    SCALABILITY = "scalability"
    OPERABILITY = "operability"
    SECURITY = "security"
    INTEGRITY = "integrity"
    CONNECT = "connect"  # will each call reach its callee (ports, names, NetworkPolicies, DNS, credentials)
    SCHEDULE = "schedule"  # will the pods be placed (affinity, quotas, LimitRanges, host ports, volumes)
    START = "start"  # will the containers start and stay up (references, memory floors, probes, state)


class Finding(BaseModel):
    """One thing that breaks, told as a failure story with a fix and its cost."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    name: str
    category: Category
    severity: Severity
    component: str | None
    file: str | None
    line: int | None
    message: str  # the problem, one sentence
    why: str  # the failure story
    fix: Fix  # typed edits with a safety (its ``snippet`` is rendered from them)
    tradeoff: str  # cost, complexity, latency of the fix
    evidence: list[str] = Field(default_factory=list)  # supporting "file:line reason" strings
    # Secret rules: a keyed digest of the secret value (:func:`secret_fingerprint`), never the value. The
    # review keeps one finding per fingerprint and lists the other places in its evidence.
    fingerprint: str | None = None


#: The key of :func:`secret_fingerprint`: random, per process, never written anywhere.
_FINGERPRINT_KEY = os.urandom(32)


def secret_fingerprint(*values: str | None) -> str | None:
    """A digest naming secret material, so that the review can tell two places hold the same secret.

    HMAC-SHA256 under a random key made when the process starts: equal values give equal digests within
    one run, and a digest cannot be tested against guessed passwords, kept, or compared across runs.
    Values are stripped of surrounding whitespace and quotes; None when no value is given.
    """
    parts = [v.strip().strip("'\"") for v in values if v is not None and v.strip().strip("'\"")]
    if not parts:
        return None
    digest = hmac.new(_FINGERPRINT_KEY, "\x00".join(parts).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:32]


def arguments_fingerprint(args: list[str]) -> str | None:
    """:func:`secret_fingerprint` of the arguments of a command line that hold a credential (those
    :func:`redline.model.secrets.mask_args` masks): ``--requirepass X`` and ``redis-cli -a X`` agree."""
    return secret_fingerprint(*(a for a, shown in zip(args, mask_args(args), strict=True) if a != shown))


class Rule:
    """Base class of every rule. Subclasses set the class attributes and implement :meth:`check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[Category]
    severity: ClassVar[Severity]
    # The best fix the rule can offer (docs/rules.md shows it): the safety of its edits, or advice.
    fix_safety: ClassVar[Safety] = Safety.ADVICE

    def check(self, ctx: Context) -> Iterator[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError
        yield

    def finding(
        self,
        *,
        component: str | None,
        file: str | None,
        line: int | None,
        message: str,
        why: str,
        fix: Fix | str,
        tradeoff: str,
        severity: Severity | None = None,
        evidence: list[str] | None = None,
        fingerprint: str | None = None,
    ) -> Finding:
        """Build a finding carrying this rule's identity (``fingerprint``: :func:`secret_fingerprint`)."""
        if isinstance(fix, str):  # transitional: prose advice until the rule builds a typed fix
            fix = Fix(safety=Safety.ADVICE, title=fix.splitlines()[0][:120] if fix else "", advice=fix)
        return Finding(
            rule=self.code,
            name=self.name,
            category=self.category,
            severity=severity or self.severity,
            component=component,
            file=file,
            line=line,
            message=message,
            why=why,
            fix=fix,
            tradeoff=tradeoff,
            evidence=evidence or [],
            fingerprint=fingerprint,
        )

    def on(
        self,
        ctx: Context,
        c: Component,
        *,
        file: str | None,
        line: int | None,
        message: str,
        why: str,
        fix: Fix | str,
        tradeoff: str,
        evidence: list[str] | None = None,
    ) -> Finding:
        """The common tail: a finding on component ``c``, its severity weighted by ``c``'s blast radius."""
        return self.finding(
            component=c.name,
            file=file,
            line=line,
            severity=ctx.severity_for(c, self.severity),
            message=message,
            why=why,
            fix=fix,
            tradeoff=tradeoff,
            evidence=evidence,
        )


REGISTRY: dict[str, type[Rule]] = {}


_R = TypeVar("_R", bound=type[Rule])


def register(cls: _R) -> _R:
    """Class decorator adding a rule to the catalog. Codes are unique."""
    if cls.code in REGISTRY:
        raise ValueError(f"duplicate rule code {cls.code}")
    REGISTRY[cls.code] = cls
    return cls
