"""A long randomized fuzz of the CLI: the cases of tests/fuzz, drawn at random until the time is up.

    python bench/fuzz_long.py [--minutes 15] [--seed N] [--repros DIR] [--max-rss-mb 3000]

Each case mutates one file (a value, a tag, a key or raw bytes) of a generated system, the bundled
example or a file of ../shared/samples, and runs scan, review and forecast in-process (tests/fuzz/check.py
says what must hold). Prints the number of cases, of failing cases, and each distinct failure (grouped by
kind, command and innermost frame or skip reason) with its count and first example; ``--repros`` writes
that first example's files to DIR/NN/ for `redline scan DIR/NN`.

Bounded: wall time (``--minutes``, each command under an alarm of ``--case-seconds``), cases
(``--max-cases``) and memory (stops when the peak RSS passes ``--max-rss-mb``).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from tests.fuzz import check as fuzz_check
from tests.fuzz.inputs import Case, generated, sample_pool, sampled, shop_cases
from tests.fuzz.strategies import mutations

ROUND = 50  # cases per hypothesis run; each round has its own seed


@dataclass
class Tally:
    """Counts of one run, and the first example of each distinct failure."""

    cases: int = 0
    failing: int = 0
    by_signature: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)
    repros: dict[str, Path] = field(default_factory=dict)


def _cases() -> st.SearchStrategy[Case]:
    sources = [generated(), st.sampled_from(shop_cases())]
    if sample_pool():
        sources.append(sampled())
    return st.one_of(*sources)


def _round(tally: Tally, deadline: float, args: argparse.Namespace, round_seed: int) -> None:
    @seed(round_seed)
    @settings(
        max_examples=ROUND,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one(data: st.DataObject) -> None:
        case = data.draw(_cases())
        m = data.draw(mutations(case))  # drawn before the time check: hypothesis wants stable draws
        if time.monotonic() > deadline or tally.cases >= args.max_cases:
            return
        problems = fuzz_check.check(case, m, args.case_seconds)
        tally.cases += 1
        if problems:
            tally.failing += 1
        for p in problems:
            sig = p.signature()
            tally.by_signature[sig] += 1
            if sig not in tally.first:
                tally.first[sig] = f"{case.name}: {case.target}: {m.describe()}\n      {p.detail[:300]}"
                if args.repros is not None:
                    dest = args.repros / f"{len(tally.first):02d}"
                    tally.repros[sig] = fuzz_check.save(case, m, dest)

    try:
        one()
    except Exception as exc:  # a harness or hypothesis error costs the round, never the run
        tally.by_signature[f"harness {type(exc).__name__}"] += 1
        tally.first.setdefault(f"harness {type(exc).__name__}", str(exc).splitlines()[0][:300])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=None, help="Seed of the round seeds (default: random).")
    parser.add_argument("--max-cases", type=int, default=1_000_000)
    parser.add_argument("--case-seconds", type=float, default=fuzz_check.SECONDS)
    parser.add_argument("--max-rss-mb", type=float, default=3000.0)
    parser.add_argument("--repros", type=Path, default=None, help="Write each failure's first case here.")
    args = parser.parse_args()

    master = random.Random(args.seed)
    start = time.monotonic()
    deadline = start + args.minutes * 60
    tally = Tally()
    stopped = "time"
    while time.monotonic() < deadline and tally.cases < args.max_cases:
        _round(tally, deadline, args, master.randrange(2**32))
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if rss_mb > args.max_rss_mb:
            stopped = f"memory (peak RSS {rss_mb:.0f} MB)"
            break
    if tally.cases >= args.max_cases:
        stopped = "case count"
    elapsed = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = tally.cases / max(elapsed, 1e-9)
    print(f"cases: {tally.cases} in {elapsed:.0f} s ({rate:.1f}/s), stopped by {stopped}")
    print(f"failing cases: {tally.failing}; distinct failures: {len(tally.by_signature)}")
    print(f"peak RSS {peak:.0f} MB")
    for sig, n in tally.by_signature.most_common():
        where = f"  [{tally.repros[sig]}]" if sig in tally.repros else ""
        print(f"{n:6d}  {sig}{where}\n      e.g. {tally.first[sig]}")


if __name__ == "__main__":
    main()
