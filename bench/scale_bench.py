"""Does redline stay linear at scale? Prints numbers (not a timed test).

    python bench/scale_bench.py compose --sizes 1000 2000 5000 --repeat 3
    python bench/scale_bench.py mesh --sizes 10 20 30 --repeat 3
    python bench/scale_bench.py scan --files 5000 --repeat 3

``compose``: one generated Compose project of N services (a published gateway, N/50 Postgres databases
without healthchecks, every service ``depends_on`` its group's database and calls the next service and
the database by env URL), scanned untimed, then ``review()`` timed. Linear means the time per service
stays roughly constant as N grows.

``mesh``: a redline.yaml of N components that all call each other (a complete directed graph, the worst
case for path searches), one entry point; ``review()`` timed, and RS006's finding printed.

``scan``: scan_bench.py's Kubernetes input (10 objects a file, so ``--files 5000`` is 50,040 objects);
each run is a fresh ``python -c`` process, timed from the outside, reporting its own peak RSS
(``ru_maxrss``). The CLI variants time ``redline scan DIR -f json -o FILE`` and ``-f text -o FILE`` the
same way. Runs are interleaved (library, json, text, library, ...) so machine noise hits all alike.
``--before SRC`` runs a second version (its ``src`` folder put on ``PYTHONPATH``) side by side:

    python bench/scale_bench.py scan --files 5000 --repeat 3 --before /tmp/before/src [--after /tmp/after/src]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scan_bench import generate as generate_k8s  # noqa: E402

from redline.review.engine import ReviewConfig, review  # noqa: E402
from redline.sources.scan import scan  # noqa: E402

# ------------------------------------------------------------------------------------------------ compose


def compose_text(n: int) -> str:
    """A Compose file of ``n`` services: a gateway, one database per 50 services, a call chain."""
    out = ["services:"]
    out += [
        "  gateway:",
        "    image: nginx:1.27",
        "    ports: ['80:80']",
        "    environment: {UPSTREAM: 'http://svc1:8080'}",
    ]
    for i in range(1, n):
        if i % 50 == 0:
            out += [
                f"  db{i}:",
                "    image: postgres:16.3",
                "    environment: {POSTGRES_PASSWORD_FILE: /run/s}",
            ]
            continue
        db = (i // 50) * 50 or 50
        nxt = i + 1 if (i + 1) < n and (i + 1) % 50 else i + 2
        env = [f"NEXT_URL: 'http://svc{nxt}:8080'"] if nxt < n else []
        env.append(f"DATABASE_URL: 'postgres://db{db}:5432/app'" if db < n else "MODE: solo")
        out += [
            f"  svc{i}:",
            f"    image: registry.example.com/team/svc{i}:1.{i % 9}.0",
            "    restart: unless-stopped",
            f"    environment: {{{', '.join(env)}}}",
        ]
        if db < n:
            out.append(f"    depends_on: [db{db}]")
    return "\n".join(out) + "\n"


def bench_compose(sizes: list[int], repeat: int) -> None:
    print("compose review (scan untimed):")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        systems = {}
        for n in sizes:
            d = Path(tmp) / f"c{n}"
            d.mkdir()
            (d / "compose.yaml").write_text(compose_text(n))
            systems[n] = scan(d)
        times: dict[int, list[float]] = {n: [] for n in sizes}
        cpus: dict[int, list[float]] = {n: [] for n in sizes}
        found: dict[int, int] = {}
        for _ in range(repeat):  # interleaved sizes
            for n in sizes:
                t, c = time.perf_counter(), time.process_time()
                report = review(systems[n], ReviewConfig())
                times[n].append(time.perf_counter() - t)
                cpus[n].append(time.process_time() - c)
                found[n] = len(report.findings)
        for n in sizes:
            s = systems[n]
            med, cpu = statistics.median(times[n]), statistics.median(cpus[n])
            rows.append((n, cpu))
            print(
                f"  n={n:6d}: {len(s.components)} components, {len(s.edges)} edges, {found[n]} findings; "
                f"review wall median {med:.3f} s ({', '.join(f'{x:.2f}' for x in times[n])}), "
                f"CPU median {cpu:.3f} s; {cpu / n * 1e3:.3f} ms CPU per service"
            )
    base_n, base_t = rows[0]
    for n, t in rows[1:]:
        print(f"  x{n / base_n:g} services -> x{t / base_t:.2f} CPU time")


# ------------------------------------------------------------------------------------------------ mesh


def mesh_text(n: int) -> str:
    """redline.yaml: ``n`` components, each calling every other one with a retry, each with a stated service
    time, a latency SLO, entry point m0: RS004, RS006 and RS007 all search paths through the cycle."""
    out = ["slo: {latency: {p99: 100ms}}", "entrypoints: [{name: site, component: m0}]", "components:"]
    for i in range(n):
        calls = ", ".join(
            f"{{to: m{j}, timeout: 1s, retries: 1, backoff: true, jitter: true}}" for j in range(n) if j != i
        )
        out += [f"  m{i}:", "    replicas: 2", "    service_time: 10ms", f"    calls: [{calls}]"]
    return "\n".join(out) + "\n"


def bench_mesh(sizes: list[int], repeat: int) -> None:
    print("complete-mesh review (scan untimed), all rules and RS006 alone:")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            d = Path(tmp) / f"m{n}"
            d.mkdir()
            (d / "redline.yaml").write_text(mesh_text(n))
            system = scan(d)
            full, alone = [], []
            for _ in range(repeat):
                t = time.perf_counter()
                report = review(system, ReviewConfig())
                full.append(time.perf_counter() - t)
                t = time.perf_counter()
                rs006 = review(system, ReviewConfig(select=["RS006"]))
                alone.append(time.perf_counter() - t)
            msg = next((f.message for f in rs006.findings), "(no finding)")
            per_rule = Counter(f.rule for f in report.findings)
            print(
                f"  n={n:3d}: {len(system.edges)} edges; review median {statistics.median(full):.3f} s, "
                f"RS006 alone median {statistics.median(alone):.4f} s; findings "
                f"{dict(sorted(per_rule.items()))}; errors {report.errors or 'none'}\n    RS006: {msg[:150]}"
            )


# ------------------------------------------------------------------------------------------------ scan

_CHILD = """
import json, resource, sys, time
import redline
from redline.sources.scan import scan
t, c = time.perf_counter(), time.process_time()
s = scan(sys.argv[1])
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "components": len(s.components), "edges": len(s.edges), "objects": len(s.objects)}))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)
"""

_CLI = """
import resource, sys, time
from redline.cli.app import main
sys.argv = ["redline", "scan", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)
"""


def _run_child(args: list[str], src: str | None = None) -> tuple[float, float, float, str]:
    """Run ``python ARGS`` (importing redline from ``src`` when given): (wall s, CPU s of the child, its
    peak RSS in MB as it printed last on stderr, stdout)."""
    env = dict(os.environ, PYTHONPATH=src) if src else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, float(p.stderr.strip().splitlines()[-1]), p.stdout


def bench_scan(
    files: int, repeat: int, cli: bool, before: str | None = None, after: str | None = None
) -> None:
    """``before``: a ``src`` folder of another version of redline, run side by side (interleaved) with
    this one, or with the ``src`` folder ``after``."""
    versions = {"": after} if before is None else {"before: ": before, "after: ": after}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "k8s"
        root.mkdir()
        objects = generate_k8s(root, files)
        print(f"scan: {objects} Kubernetes objects in {files} files; each run a fresh process")
        runs: dict[str, list[tuple[float, float, float]]] = {}
        for _ in range(repeat):  # interleaved, so machine noise hits every variant alike
            for label, src in versions.items():
                _, _, rss, out = _run_child(["-c", _CHILD, str(root)], src)
                data = json.loads(out)
                runs.setdefault(f"{label}scan()", []).append((data["wall"], data["cpu"], rss))
                for fmt in ("json", "text") if cli else ():
                    dest = Path(tmp) / f"out.{fmt}"
                    wall, cpu, rss, _ = _run_child(
                        ["-c", _CLI, str(root), "-f", fmt, "-q", "-o", str(dest)], src
                    )
                    runs.setdefault(f"{label}redline scan -f {fmt}", []).append((wall, cpu, rss))
        print(f"  result: {data['components']} components, {data['edges']} edges, {data['objects']} objects")
        for name, rows in runs.items():
            wall, cpu, rss = ([r[i] for r in rows] for i in range(3))
            print(
                f"  {name:30s} wall median {statistics.median(wall):6.2f} s ({_fmt(wall)}); "
                f"CPU median {statistics.median(cpu):6.2f} s ({_fmt(cpu)}); "
                f"peak RSS median {statistics.median(rss):5.0f} MB ({_fmt(rss, 0)})"
            )
        print("  (scan() is timed inside the process, without interpreter start-up and imports; the CLI")
        print("   rows are whole processes: start-up, scan, render, write)")


def _fmt(xs: list[float], digits: int = 2) -> str:
    return ", ".join(f"{x:.{digits}f}" for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    c = sub.add_parser("compose")
    c.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000])
    c.add_argument("--repeat", type=int, default=3)
    m = sub.add_parser("mesh")
    m.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 30])
    m.add_argument("--repeat", type=int, default=3)
    s = sub.add_parser("scan")
    s.add_argument("--files", type=int, default=5000)
    s.add_argument("--repeat", type=int, default=3)
    s.add_argument("--no-cli", action="store_true", help="time only redline.scan(), not the CLI outputs")
    s.add_argument("--before", help="the src folder of another redline version, run side by side")
    s.add_argument("--after", help="the src folder to compare it with (default: the installed redline)")
    args = parser.parse_args()
    if args.what == "compose":
        bench_compose(args.sizes, args.repeat)
    elif args.what == "mesh":
        bench_mesh(args.sizes, args.repeat)
    else:
        bench_scan(args.files, args.repeat, cli=not args.no_cli, before=args.before, after=args.after)


if __name__ == "__main__":
    main()
