"""`redline review` and `redline rules`: parse options, call the library, render. No logic lives here.

Exit codes (``redline review``): 0 when no finding is at or above ``--fail-on`` (with ``--baseline``: no
new one), 1 when one is, 2 for a usage or input error (unreadable path, bad configuration, an unusable
baseline, a file not read and not accepted with ``--allow-skipped``, a refused redline.yaml value) —
Click's convention for usage errors; 70 for a bug. ``--write-baseline`` records rather than gates: 0 once
written (2 still for input errors).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from redline.cli.common import (
    ALLOW_SKIPPED_HELP,
    HELM_SET_HELP,
    HELM_VALUES_HELP,
    ROOT_HELP,
    check_output,
    emit,
    emit_or_print,
    exit_code,
    fail,
    load_system,
    report_gaps,
    stderr,
    stdout,
)

if TYPE_CHECKING:
    from redline.model import System
    from redline.review.engine import Report


class ReviewFormat(StrEnum):
    TEXT = "text"
    CONCISE = "concise"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"


class MinSeverity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class FailOn(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NEVER = "never"


class RulesFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def _codes(values: list[str] | None) -> list[str]:
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


def review_command(
    path: Path = typer.Argument(
        ..., help="A directory or file: Compose, Kubernetes manifests, redline.yaml."
    ),
    format: ReviewFormat = typer.Option(ReviewFormat.TEXT, "--format", "-f", help="Output format."),
    fail_on: FailOn | None = typer.Option(
        None,
        "--fail-on",
        help="Exit 1 when a finding is at or above this severity (default: config, else high).",
    ),
    select: list[str] | None = typer.Option(
        None, "--select", help="Only these rule codes or prefixes (AV,RS001)."
    ),
    ignore: list[str] | None = typer.Option(None, "--ignore", help="Skip these rule codes or prefixes."),
    config: Path | None = typer.Option(None, "--config", help="A redline.toml or pyproject.toml to use."),
    overlay: Path | None = typer.Option(None, "--overlay", help="An extra redline.yaml laid over the scan."),
    allow_skipped: bool = typer.Option(False, "--allow-skipped", help=ALLOW_SKIPPED_HELP),
    root: Path | None = typer.Option(None, "--root", help=ROOT_HELP),
    helm_values: list[Path] | None = typer.Option(None, "--values", help=HELM_VALUES_HELP),
    helm_set: list[str] | None = typer.Option(None, "--set", help=HELM_SET_HELP),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to this file."),
    min_severity: MinSeverity | None = typer.Option(
        None,
        "--min-severity",
        help="Show only findings at or above this severity (--fail-on still counts all).",
    ),
    baseline: Path | None = typer.Option(
        None,
        "--baseline",
        help="An earlier `--format json` result: fail only on findings not in it (matched by rule, "
        "component and file, not line).",
    ),
    write_baseline: Path | None = typer.Option(
        None, "--write-baseline", help="Write every finding of this review to FILE as a baseline (JSON)."
    ),
) -> None:
    """Review a system: what breaks, why, how to fix it and what the fix costs.

    The summary comes first (counts by severity and rule, the worst components); findings that tell the
    same story are one entry listing its places; each names the rule, the problem, the failure story, a
    fix and its trade-off. Files that could not be read are listed first.
    Exit 0 when nothing is at or above --fail-on (default high), 1 otherwise (with --baseline: only new
    findings count); 2 on a usage or input error, when a file was not read (unless --allow-skipped) or a
    redline.yaml value was refused; 70 on an internal error. With --write-baseline: 0 once written.
    """
    from redline.review.baseline import BaselineError, load_baseline
    from redline.review.engine import ConfigError, load_config, review  # on use: keeps start-up light

    check_output(output)
    check_output(write_baseline, "--write-baseline")
    if not path.exists():
        fail(f"{path}: no such file or directory")
    try:
        cfg = load_config(path, config).merged(
            select=_codes(select),
            ignore=_codes(ignore),
            fail_on=fail_on.value if fail_on else None,
            min_severity=min_severity.value if min_severity else None,
        )
        known = load_baseline(baseline) if baseline is not None else None
    except (ConfigError, BaselineError) as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(str(exc).splitlines()[-1] if "\n" in str(exc) else str(exc))
    system = load_system(path, overlay=overlay, root=root, helm_values=helm_values, helm_set=helm_set)
    allow = allow_skipped or cfg.allow_skipped
    report_gaps(system, allow=allow, command="review")
    report = review(system, cfg, known)
    from redline.history.recorder import note  # the run history keeps counts and finding keys

    note(report)
    for err in report.errors:
        stderr.print(f"redline review: rule error: {err}", markup=False)
    from redline.model.entrypoints import empty_graph_message

    if (empty := empty_graph_message(system)) is not None:
        stderr.print(f"redline review: warning: {empty}", markup=False)
    emit_or_print(_render(report, system, format, root), output)
    gate = report.failed()
    if write_baseline is not None:
        _write_baseline(report, write_baseline)
        gate = False
    raise typer.Exit(exit_code(system, gate_failed=gate, gaps_gate=True, allow=allow))


def _write_baseline(report: Report, target: Path) -> None:
    from redline.report import review_json

    everything = report.unfiltered()
    emit(review_json.render(everything), target)
    stderr.print(
        f"redline review: wrote the baseline {target} ({len(everything.findings)} findings)", markup=False
    )


def _render(
    report: Report, system: System, format: ReviewFormat, root: Path | None
) -> str | Callable[[Console], None]:
    """The report as one string, or (text) as what to print on a console."""
    if format == ReviewFormat.TEXT:
        from redline.report import review_text

        return lambda console: review_text.render(report, console)
    if format == ReviewFormat.CONCISE:
        from redline.report import review_concise

        return review_concise.render(report)
    if format == ReviewFormat.JSON:
        from redline.report import review_json

        return review_json.render(report)
    if format == ReviewFormat.SARIF:
        from redline.report import review_sarif
        from redline.sources.scan import find_repo_root

        repo = root or find_repo_root(Path(system.root))
        return review_sarif.render(report, system.root, str(repo) if repo else None)
    from redline.report import review_markdown

    return review_markdown.render(report, system)


def rules_command(
    code: str | None = typer.Argument(None, help="Show one rule's documentation."),
    format: RulesFormat = typer.Option(RulesFormat.TABLE, "--format", "-f", help="table, json or markdown."),
) -> None:
    """List the review rules, or document one."""
    from redline.review.docs import all_docs, parse_doc, render_rules_markdown, rule_markdown
    from redline.review.rule import REGISTRY

    if code is not None:
        key = code.strip().upper()
        if key not in REGISTRY:
            match = [c for c in REGISTRY if REGISTRY[c].name == code.strip()]
            if not match:
                fail(f"unknown rule {code!r}; `redline rules` lists them")
            key = match[0]
        doc = parse_doc(REGISTRY[key])
        if format == RulesFormat.JSON:
            data = {
                "code": doc.code,
                "name": doc.name,
                "category": doc.category.value,
                "severity": doc.severity.value,
                "summary": doc.summary,
                "sections": doc.sections,
            }
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(rule_markdown(doc, heading="#"))
        return
    docs = all_docs()
    if format == RulesFormat.JSON:
        data_all = [
            {
                "code": d.code,
                "name": d.name,
                "category": d.category.value,
                "severity": d.severity.value,
                "summary": d.summary,
            }
            for d in docs
        ]
        sys.stdout.write(json.dumps(data_all, indent=2, ensure_ascii=False) + "\n")
        return
    if format == RulesFormat.MARKDOWN:
        sys.stdout.write(render_rules_markdown())
        return
    table = Table(title=f"redline review rules ({len(docs)})")
    for col in ("code", "name", "category", "severity", "summary"):
        table.add_column(col)
    for d in docs:
        table.add_row(d.code, d.name, d.category.value, d.severity.value, Text(d.summary))
    stdout.print(table)


def register(app: typer.Typer) -> None:
    """Add ``review`` and ``rules`` to the root app."""
    app.command("review")(review_command)
    app.command("rules")(rules_command)
