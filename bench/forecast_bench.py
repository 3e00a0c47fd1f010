"""Benchmark `redline forecast` on generated call graphs (not a timed test: prints numbers).

    python bench/forecast_bench.py                 # 1,000 and 10,000 components, 5 runs each
    python bench/forecast_bench.py --sizes 1000 --runs 3

The generated system is a layered DAG like a large microservice estate: ``sqrt(n)/3`` entry points
(gateways) on top, then service layers, then datastores and caches. Each component calls 1–3 components of
lower layers (counts 0.2–2, some parallel, some through a pool) so fan-out stays bounded. Replicas are
pre-sized to ~50% utilization at the current load (setup, not timed) so the search has a real answer. The
timed call is the full public ``forecast()``: percentiles at current and target load, saturation and SLO
searches per entry point, sizing, availability and cost.
"""

from __future__ import annotations

import argparse
import random
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for n in args.sizes:
        system = generate(n)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = forecast(system)
            times.append(time.perf_counter() - start)
        e = result.entrypoints[0]
        print(
            f"n={n:>6} components, {len(system.edges)} calls, {len(system.entrypoints)} entry points: "
            f"median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}, "
            f"runs {args.runs}); first entry p95 {e.p95_ms} ms, saturates at {e.saturation_rps} rps"
        )


if __name__ == "__main__":
    main()
