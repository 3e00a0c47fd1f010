"""Held workers: the forecast against a SimPy simulation, over front worker counts (not a test: prints).

    python bench/lqn_bench.py                               # every testbed, every front, default runs
    python bench/lqn_bench.py --testbeds issue --fronts 6 16
    python bench/lqn_bench.py --baseline /tmp/base/src      # also the forecast of another tree (before)

Each testbed is a front (its own service time, its workers held while it calls) before one or two backs
(fixed workers, exponential service), all FIFO: the simulation is ``tests/forecast/lqn_sim.py``. Per
front worker count it prints the saturation simulated (the closed system's throughput: every front token
busy) and forecast, and p95 at 30/50/70/85% of the simulated saturation, simulated and forecast, with the
relative errors. ``--baseline SRC`` runs the same forecasts on another checkout's ``src`` in a subprocess
(``git archive <rev> src | tar -x -C /tmp/base``), for the "before" columns.

Every run is bounded: ``--completions`` per saturation run, ``--requests`` per p95 run (four times that at
85%, where one run's p95 scatters most), fixed seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "forecast"))

from lqn_sim import Back, latencies, saturation  # noqa: E402

from redline.forecast import forecast  # noqa: E402
from redline.model import System  # noqa: E402

TESTBEDS: dict[str, tuple[float, list[Back]]] = {
    "issue": (0.005, [(4, 0.025)]),  # issue 13: front 5 ms, back 4 workers × 25 ms
    "fast-front": (0.002, [(2, 0.010)]),
    "slow-front": (0.020, [(8, 0.010)]),
    "two-backs": (0.005, [(4, 0.025), (2, 0.010)]),  # two sequential calls per request
}
FRONTS = [2, 4, 6, 8, 16, 32, 64]
LOADS = [0.3, 0.5, 0.7, 0.85]


def spec(front_workers: int, front_s: float, backs: list[Back], rps: float) -> dict[str, Any]:
    components: dict[str, Any] = {
        "front": {
            "name": "front", "kind": "service", "workers": front_workers, "service_time_s": front_s,
            "source": {"file": "bench.yaml", "line": 1},
        },
    }  # fmt: skip
    edges = []
    for i, (workers, service_s) in enumerate(backs):
        name = f"back{i}"
        components[name] = {
            "name": name, "kind": "service", "workers": workers, "service_time_s": service_s,
            "source": {"file": "bench.yaml", "line": 2 + i},
        }  # fmt: skip
        edges.append({"from": "front", "to": name, "count": 1.0, "overhead_s": 0.0})
    return {
        "name": "lqn-bench",
        "components": list(components.values()),
        "edges": edges,
        "entrypoints": [{"name": "web", "component": "front", "rps": rps}],
    }


def run_forecasts(specs: list[dict[str, Any]]) -> list[tuple[float | None, float | None]]:
    """(saturation_rps, p95 seconds) per spec, with this tree's forecast."""
    out = []
    for data in specs:
        entry = forecast(System.model_validate(data)).entrypoints[0]
        out.append((entry.saturation_rps, None if entry.p95_ms is None else entry.p95_ms / 1000))
    return out


def baseline_forecasts(src: str, specs: list[dict[str, Any]]) -> list[tuple[float | None, float | None]]:
    """The same forecasts on another tree: a subprocess with ``PYTHONPATH=src`` (an older Edge has no
    ``overhead_s``: it is dropped, and it is 0 here anyway)."""
    for data in specs:
        for edge in data["edges"]:
            edge.pop("overhead_s", None)
    code = (
        "import json, sys\n"
        "from redline.forecast import forecast\n"
        "from redline.model import System\n"
        "out = []\n"
        "for data in json.load(sys.stdin):\n"
        "    e = forecast(System.model_validate(data)).entrypoints[0]\n"
        "    out.append((e.saturation_rps, None if e.p95_ms is None else e.p95_ms / 1000))\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(specs), env=env, capture_output=True, text=True,
        check=True, timeout=600,
    )  # fmt: skip
    return [tuple(x) for x in json.loads(done.stdout)]  # type: ignore[misc]


def _err(model: float | None, truth: float) -> str:
    return "  unbounded" if model is None else f"{model / truth - 1:+8.1%}"


def sweep(name: str, args: argparse.Namespace) -> list[float]:
    front_s, backs = TESTBEDS[name]
    shown = ", ".join(f"{w} × {s * 1000:g} ms" for w, s in backs)
    print(f"\n## {name}: front {front_s * 1000:g} ms, backs {shown}")
    header = "front | saturation sim | forecast (err)"
    header += " | before (err)" if args.baseline else ""
    header += " | " + " | ".join(
        f"p95 at {x:.0%}: sim, forecast err" + (", before err" if args.baseline else "") for x in LOADS
    )
    print(header)
    errors: list[float] = []
    for workers in args.fronts:
        start = time.perf_counter()
        sim_sat = saturation(workers, front_s, backs, completions=args.completions, seed=workers)
        specs = [spec(workers, front_s, backs, 0.5 * sim_sat)]
        specs += [spec(workers, front_s, backs, x * sim_sat) for x in LOADS]
        now = run_forecasts(specs)
        before = baseline_forecasts(args.baseline, specs) if args.baseline else None
        row = f"{workers:>5} | {sim_sat:8.1f} | {now[0][0]:8.1f} ({_err(now[0][0], sim_sat)})"
        errors.append(abs((now[0][0] or 0.0) / sim_sat - 1))
        if before:
            row += f" | {before[0][0] or 0.0:8.1f} ({_err(before[0][0], sim_sat)})"
        for i, x in enumerate(LOADS, start=1):
            n = args.requests * (4 if x > 0.8 else 1)
            truth = float(np.quantile(latencies(x * sim_sat, workers, front_s, backs, n, seed=7), 0.95))
            row += f" | {truth * 1000:6.1f} ms {_err(now[i][1], truth)}"
            if before:
                row += f" {_err(before[i][1], truth)}"
            errors.append(abs((now[i][1] or np.inf) / truth - 1))
        print(row + f"   ({time.perf_counter() - start:.0f} s)", flush=True)
    return errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--testbeds", nargs="+", default=list(TESTBEDS), choices=list(TESTBEDS))
    parser.add_argument("--fronts", type=int, nargs="+", default=FRONTS)
    parser.add_argument("--completions", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--baseline", help="another tree's src/ whose forecast to show as 'before'")
    args = parser.parse_args()
    for name in args.testbeds:
        errors = sweep(name, args)
        print(f"worst |error| of this tree, {name}: {max(errors):.1%}")


if __name__ == "__main__":
    main()
