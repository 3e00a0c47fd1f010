"""Benchmark `redline forecast` on generated call graphs (not a timed test: prints numbers).

    python bench/forecast_bench.py                 # 1,000 and 10,000 components, 5 runs each
    python bench/forecast_bench.py --sizes 1000 --runs 3
    python bench/forecast_bench.py --baseline /tmp/base/src   # the same runs, side by side, on another tree

``--baseline SRC`` times another checkout's ``src`` (say, ``git archive HEAD src | tar -x -C /tmp/base``)
in a subprocess on the same generated systems, alternating with this tree size by size, and prints both
medians and their ratio.

The generated system is a layered DAG like a large microservice estate: ``sqrt(n)/3`` entry points
(gateways) on top, then service layers, then datastores and caches. Each component calls 1–3 components of
lower layers (counts 0.2–2, some parallel, some through a pool) so fan-out stays bounded. Replicas are
pre-sized to ~50% utilization at the current load (setup, not timed) so the search has a real answer. The
timed call is the full public ``forecast()``: percentiles at current and target load, saturation and SLO
searches per entry point, sizing, availability and cost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from typing import Any

from redline.forecast import forecast
from redline.forecast.graph import compile_system
from redline.forecast.network import evaluate
from redline.model import System


def generate(n: int, seed: int = 1) -> System:
    rng = random.Random(seed)
    entries = max(1, int(n**0.5 / 3))
    layers = 8
    sizes = [entries] + [max(1, (n - entries) * w // 100) for w in (10, 15, 20, 20, 15, 10, 10)]
    sizes[-1] += n - sum(sizes)
    names: list[list[str]] = []
    k = 0
    for layer, size in enumerate(sizes):
        names.append([f"c{layer}_{k + i}" for i in range(size)])
        k += size
    src = {"file": "generated.yaml", "line": 1}
    comps: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for layer, group in enumerate(names):
        kind = "gateway" if layer == 0 else "datastore" if layer == layers - 1 else "service"
        for name in group:
            comp: dict[str, Any] = {
                "name": name,
                "kind": kind,
                "source": src,
                "replicas": 1,
                "workers": rng.choice([4, 8, 16]),
                "service_time_s": rng.uniform(0.001, 0.01),
                "service_time_scv": rng.choice([0.5, 1.0, 1.5]),
                "cost": {"replica_hour": 0.05},
            }
            if layer < layers - 1:
                below = [x for g in names[layer + 1 : layer + 3] for x in g]
                targets = rng.sample(below, min(len(below), rng.randint(1, 3)))
                pooled = rng.random() < 0.1
                if pooled:
                    comp["pools"] = [{"name": "p", "size": 32, "to": targets[:1]}]
                for t in targets:
                    edges.append(
                        {"from": name, "to": t, "count": rng.choice([0.2, 0.5, 1.0, 1.0, 2.0]),
                         "parallel": rng.random() < 0.15, "source": src}
                    )  # fmt: skip
            comps.append(comp)
    system = System.model_validate(
        {
            "name": f"generated-{n}",
            "components": comps,
            "edges": edges,
            "entrypoints": [{"name": g, "component": g, "rps": 20.0} for g in names[0]],
            "slo": {"availability": 0.999, "latency_s": {"p95": 1.0, "p99": 2.0}},
            "growth": {"factor": 1.5},
        }
    )
    sized = evaluate(compile_system(system), 1.0, target_util=0.5).replicas
    for comp, reps in zip(system.components, sized.tolist(), strict=True):
        comp.replicas = reps
    return system


def _time(n: int, runs: int) -> dict[str, Any]:
    system = generate(n)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = forecast(system)
        times.append(time.perf_counter() - start)
    e = result.entrypoints[0]
    return {
        "n": n, "calls": len(system.edges), "entries": len(system.entrypoints), "times": times,
        "p95_ms": e.p95_ms, "saturation_rps": e.saturation_rps,
    }  # fmt: skip


def _line(label: str, r: dict[str, Any]) -> str:
    t = r["times"]
    return (
        f"{label}n={r['n']:>6} components, {r['calls']} calls, {r['entries']} entry points: median "
        f"{statistics.median(t):.3f} s (min {min(t):.3f}, max {max(t):.3f}, runs {len(t)}); first entry p95 "
        f"{r['p95_ms']} ms, saturates at {r['saturation_rps']} rps"
    )


def _baseline(src: str, n: int, runs: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(
        [sys.executable, __file__, "--sizes", str(n), "--runs", str(runs), "--json"],
        env=env, capture_output=True, text=True, check=True, timeout=3600,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", help="another tree's src/ to time side by side")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for i, n in enumerate(args.sizes):
        if args.json:
            print(json.dumps(_time(n, args.runs)))
            continue
        if not args.baseline:
            print(_line("", _time(n, args.runs)))
            continue
        # Alternate which tree goes first, so neither always runs on the warmer (or busier) machine.
        if i % 2 == 0:
            before, after = _baseline(args.baseline, n, args.runs), _time(n, args.runs)
        else:
            after, before = _time(n, args.runs), _baseline(args.baseline, n, args.runs)
        print(_line("before: ", before))
        print(_line("after:  ", after))
        ratio = statistics.median(after["times"]) / statistics.median(before["times"])
        print(f"        ratio after/before (medians): {ratio:.2f}x")


if __name__ == "__main__":
    main()
