"""The per-rule table of `redline fix` on the real systems (not a timed test).

For each system in ../shared/samples and the bundled example (examples/shop/kubernetes and
examples/shop/compose): copy it to a temporary folder, run ``fix(copy, unsafe=True, diff=True)`` (every
safe and unsafe fix, validated and re-reviewed, nothing written), and print:

1. per system: findings before -> after, fixes applied / rejected / advice, re-reviews, seconds;
2. per rule: the safety of its fix, fixes applied / rejected / advice over all systems, and its findings
   before -> after on each system;
3. the rejected fixes by rule and reason.

Usage::

    python bench/fix_table.py            # print the Markdown tables
    python bench/fix_table.py --write    # also replace the tables in docs/fix.md (between its markers)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLES = REPO.parent / "shared" / "samples"
DOC = REPO / "docs" / "fix.md"
START, END = "<!-- fix-table:start -->", "<!-- fix-table:end -->"

sys.path.insert(0, str(REPO / "src"))

from redline.fix.engine import fix  # noqa: E402
from redline.fix.result import FixResult, Outcome  # noqa: E402


def systems() -> dict[str, Path]:
    """Name -> folder, samples first (those present), then the bundled example."""
    out: dict[str, Path] = {}
    if SAMPLES.is_dir():
        out.update({p.name: p for p in sorted(SAMPLES.iterdir()) if p.is_dir()})
    for part in ("kubernetes", "compose"):
        out[f"shop/{part}"] = REPO / "examples" / "shop" / part
    return out


def run(name: str, folder: Path) -> tuple[FixResult, float]:
    with tempfile.TemporaryDirectory(prefix="redline-fix-table-") as tmp:
        work = Path(tmp) / name.replace("/", "-")
        shutil.copytree(folder, work, symlinks=True)
        start = time.perf_counter()
        result = fix(work, unsafe=True, diff=True, root=work)
        return result, time.perf_counter() - start


def _count(result: FixResult, outcome: Outcome) -> int:
    return sum(1 for r in result.fixes if r.outcome is outcome)


def tables(results: dict[str, tuple[FixResult, float]]) -> str:
    lines = [
        "Per system (`fix(copy, unsafe=True, diff=True)`; applied = would apply):",
        "",
        "| system | findings before → after | applied | rejected | advice | re-reviews | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (r, secs) in results.items():
        lines.append(
            f"| {name} | {r.findings_before} → {r.findings_after} | {_count(r, Outcome.WOULD_APPLY)} | "
            f"{_count(r, Outcome.REJECTED)} | {_count(r, Outcome.ADVICE)} | {r.reviews} | {secs:.1f} |"
        )
    names = list(results)
    rules = sorted({code for r, _ in results.values() for code in r.rules})
    head = "| rule | safety | applied | rejected | advice | " + " | ".join(names) + " |"
    lines += ["", "Per rule (findings before → after on each system; – when it has none):", "", head]
    lines.append("|---|---|---:|---:|---:|" + "---:|" * len(names))
    for code in rules:
        rows = [r.rules.get(code) for r, _ in results.values()]
        safety = next(row.safety.value for row in rows if row is not None)
        applied = sum(row.applied for row in rows if row is not None)
        rejected = sum(row.rejected for row in rows if row is not None)
        advice = sum(row.advice for row in rows if row is not None)
        cells = [f"{row.before} → {row.after}" if row is not None else "–" for row in rows]
        lines.append(f"| {code} | {safety} | {applied} | {rejected} | {advice} | " + " | ".join(cells) + " |")
    reasons = Counter(
        (rec.finding.rule, rec.reason.value if rec.reason else "-")
        for r, _ in results.values()
        for rec in r.fixes
        if rec.outcome is Outcome.REJECTED
    )
    lines += ["", "Rejected fixes by rule and reason:", "", "| rule | reason | fixes |", "|---|---|---:|"]
    lines += [f"| {code} | {why} | {n} |" for (code, why), n in sorted(reasons.items())]
    return "\n".join(lines) + "\n"


def write(table: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(START) + len(START), text.index(END)
    DOC.write_text(text[:start] + "\n" + table + text[end:], encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="replace the tables in docs/fix.md")
    args = ap.parse_args()
    results = {name: run(name, folder) for name, folder in systems().items()}
    table = tables(results)
    sys.stdout.write(table)
    if args.write:
        write(table)


if __name__ == "__main__":
    main()
