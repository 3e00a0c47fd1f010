"""Benchmark `redline load` against wrk, hey, ab and Locust on this machine (loopback only).

    python bench/load_bench.py [--seconds 5] [--trials 3] [--connections 50] [--skip-install]

What it measures, side by side with the same connection count:

1. throughput efficiency: requests completed per client CPU-second (user+sys of the client and all
   its child processes, from ``getrusage(RUSAGE_CHILDREN)``), client pinned to core 0 and a loopback
   nginx (1 worker, small static file) pinned to core 1 with ``taskset``; plus the p99 each tool
   reports. Median of ``--trials``.
2. the stall test: each tool against tests/load/servers.py's stalling server (1 s stall every 5 s)
   for 10 s; the truth at a constant arrival rate is p90 ≈ 500 ms. Debian's wrk has no ``-R``
   (that is wrk2), so no tool but redline's open model can be corrected for coordinated omission.

Peers are installed by the script: wrk, hey, apache2-utils (ab), nginx from Debian (apt-get, needs
root) and Locust into a throwaway venv under /tmp. Not a timed test; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVERS = ROOT / "tests" / "load" / "servers.py"
LOCUST_VENV = Path("/tmp/redline-bench-locust")
LOCUSTFILE = """
from locust import FastHttpUser, task, constant
class U(FastHttpUser):
    wait_time = constant(0)
    @task
    def get(self):
        self.client.get("/small.txt")
"""


def sh(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def install(skip: bool) -> None:
    if skip:
        return
    need = [
        p
        for p, b in (("wrk", "wrk"), ("hey", "hey"), ("apache2-utils", "ab"), ("nginx", "nginx"))
        if shutil.which(b) is None and not os.path.exists(f"/usr/sbin/{b}")
    ]
    if need:
        print(f"installing {need} with apt-get", file=sys.stderr)
        sh(["apt-get", "update"])
        sh(["apt-get", "install", "-y", *need], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not (LOCUST_VENV / "bin" / "locust").exists():
        print("installing locust into a throwaway venv", file=sys.stderr)
        sh([sys.executable, "-m", "venv", str(LOCUST_VENV)])
        sh([str(LOCUST_VENV / "bin" / "pip"), "install", "-q", "locust"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_nginx(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    www = tmp / "www"
    www.mkdir()
    (www / "small.txt").write_bytes(b"x" * 100)
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / d).mkdir()
    os.chmod(tmp, 0o755)
    port = free_port()
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"{user}daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log warn;\n"
        "events { worker_connections 4096; }\n"
        f"http {{ access_log off; client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;\n"
        f"fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;\n"
        "keepalive_requests 100000000; keepalive_timeout 300s;\n"
        f"server {{ listen 127.0.0.1:{port}; root {www}; location / {{ }} }} }}\n"
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen(
        ["taskset", "-c", "1", nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")]
    )
    wait_port(port)
    return proc, f"http://127.0.0.1:{port}"


def stop_nginx(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the master (fast shutdown); SIGKILL would orphan the worker process."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_stall() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        ["taskset", "-c", "1", sys.executable, str(SERVERS), "stall", "--max-seconds", "900"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline().split()[1])
    return proc, f"http://127.0.0.1:{port}"


def wait_port(port: int) -> None:
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} never opened")


def measured(cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> tuple[str, float]:
    """Run a client pinned to core 0; returns (stdout+stderr, client CPU seconds incl. children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = sh(["taskset", "-c", "0", *cmd], timeout=timeout, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc.stdout + "\n" + proc.stderr, cpu


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "secs": 1000.0}[unit]


def run_wrk(url: str, conns: int, secs: float, pct: str = "99") -> tuple[int, float | None, str]:
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{int(secs)}s", "--latency", url]
    return *_parse_wrk(measured(cmd, secs + 30)[0], pct), " ".join(cmd)


def _parse_wrk(out: str, pct: str) -> tuple[int, float | None]:
    n = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
    return n, _ms(m.group(1), m.group(2)) if m else None


def run_hey(url: str, conns: int, secs: float, pct: str = "99") -> tuple[int, float | None, str]:
    cmd = ["hey", "-c", str(conns), "-z", f"{int(secs)}s", url]
    out = measured(cmd, secs + 30)[0]
    n = sum(int(x) for x in re.findall(r"\[\d+\]\s+(\d+) responses", out))
    m = re.search(rf"{pct}%+ in ([\d.]+) secs", out)
    return n, float(m.group(1)) * 1000 if m else None, " ".join(cmd)


def run_ab(url: str, conns: int, secs: float, pct: str = "99") -> tuple[int, float | None, str]:
    cmd = ["ab", "-k", "-q", "-c", str(conns), "-t", str(int(secs)), "-n", "100000000", url]
    out = measured(cmd, secs + 30)[0]
    m = re.search(r"Complete requests:\s+(\d+)", out)
    p = re.search(rf"^\s+{pct}%\s+(\d+)", out, re.M)
    return int(m.group(1)) if m else 0, float(p.group(1)) if p else None, " ".join(cmd)


def run_locust(url: str, conns: int, secs: float, pct: str = "99") -> tuple[int, float | None, str]:
    with tempfile.TemporaryDirectory() as tmp:
        lf = Path(tmp) / "locustfile.py"
        lf.write_text(
            LOCUSTFILE.replace("/small.txt", "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/")
        )
        base = "/".join(url.split("/")[:3])
        cmd = [
            str(LOCUST_VENV / "bin" / "locust"),
            "-f",
            str(lf),
            "--headless",
            "-u",
            str(conns),
            "-r",
            str(conns),
            "-t",
            f"{int(secs)}s",
            "--host",
            base,
            "--csv",
            f"{tmp}/s",
            "--only-summary",
            "--loglevel",
            "ERROR",
        ]
        measured(cmd, secs + 60)
        rows = (Path(tmp) / "s_stats.csv").read_text().splitlines()
        head = rows[0].split(",")
        agg = next(r.split(",") for r in rows[1:] if ",Aggregated," in r)
        n = int(agg[head.index("Request Count")])
        key = f"{pct}%" if pct != "99" else "99%"
        p = float(agg[head.index(key)]) if key in head else None
    return n, p, "locust -f locustfile.py (FastHttpUser, constant(0)) " + " ".join(cmd[3:9])


PYC = Path(tempfile.gettempdir()) / "redline-bench-pyc"


def redline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYC)
    return env


def run_redline(
    url: str, conns: int, secs: float, pct: str = "99", extra: list[str] | None = None
) -> tuple[int, float | None, str]:
    args = extra or ["--users", str(conns), "--workers", "1"]
    cmd = [
        sys.executable,
        "-m",
        "redline.cli.load",
        "load",
        url,
        *args,
        "--duration",
        f"{secs:g}s",
        "--format",
        "json",
        "--quiet",
    ]
    out, _ = measured(cmd, secs + 60, env=redline_env())
    doc = json.loads(out[: out.rindex("}") + 1])
    key = {"99": "p99", "90": "p90"}[pct]
    return int(doc["requests"]), float(doc["latency_ms"][key]), "redline load URL " + " ".join(args)


TOOLS = {"redline": run_redline, "wrk": run_wrk, "hey": run_hey, "ab": run_ab, "locust": run_locust}


def throughput(url: str, conns: int, secs: float, trials: int, tools: list[str]) -> list[dict[str, object]]:
    """Median of ``trials`` per tool; trials interleaved tool by tool after one warm-up run each."""
    results: dict[str, dict[str, list[float]]] = {t: {"per_cpu": [], "rps": [], "p99": []} for t in tools}
    cmds: dict[str, str] = {}
    broken: set[str] = set()
    for trial in range(trials + 1):
        for name in tools:
            if name in broken:
                continue
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            try:
                n, p99, cmds[name] = TOOLS[name](url, conns, min(secs, 2) if trial == 0 else secs)
            except Exception as exc:  # a missing peer must not hide the others
                print(f"{name}: {exc}", file=sys.stderr)
                broken.add(name)
                continue
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if trial == 0:
                continue  # warm-up: page cache, bytecode cache, nginx's first connections
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            r = results[name]
            r["per_cpu"].append(n / cpu if cpu > 0 else 0.0)
            r["rps"].append(n / secs)
            if p99 is not None:
                r["p99"].append(p99)
    rows = []
    for name in tools:
        r = results[name]
        if r["per_cpu"]:
            rows.append(
                {
                    "tool": name,
                    "seconds": secs,
                    "req_per_cpu_s": statistics.median(r["per_cpu"]),
                    "rps": statistics.median(r["rps"]),
                    "p99_ms": statistics.median(r["p99"]) if r["p99"] else None,
                    "trials": len(r["per_cpu"]),
                    "all_req_per_cpu_s": [round(x) for x in r["per_cpu"]],
                    "cmd": cmds[name],
                }
            )
    return rows


def fixed_cost(url: str, conns: int, trials: int) -> dict[str, object]:
    """CPU of a redline run that sends one request: start-up, imports, fork, merge and exit."""
    cpus = []
    for _ in range(trials):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run_redline(url, conns, 1, extra=["--users", str(conns), "--workers", "1", "--max-requests", "1"])
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return {"cpu_s": statistics.median(cpus), "all_cpu_s": [round(c, 3) for c in cpus]}


def stall(conns: int) -> list[dict[str, object]]:
    proc, url = start_stall()
    rows: list[dict[str, object]] = []
    try:
        for name, fn in TOOLS.items():
            try:
                if name == "redline":
                    n, p90, cmd = run_redline(
                        url + "/",
                        conns,
                        10,
                        "90",
                        ["--rate", "200", "--arrival", "uniform", "--connections", "400", "--workers", "1"],
                    )
                else:
                    n, p90, cmd = fn(url + "/", conns, 10, "90")
            except Exception as exc:
                print(f"stall {name}: {exc}", file=sys.stderr)
                continue
            rows.append({"tool": name, "p90_ms": p90, "requests": n, "cmd": cmd})
    finally:
        proc.kill()
    return rows


def print_table(rows: list[dict[str, object]], conns: int, secs: float, trials: int) -> None:
    wrk = next((r["req_per_cpu_s"] for r in rows if r["tool"] == "wrk"), None)
    loc = next((r["req_per_cpu_s"] for r in rows if r["tool"] == "locust"), None)
    print(
        f"\n### Throughput per client CPU-second ({conns} connections, "
        f"{secs:g}s × {trials} trials interleaved, median)\n"
    )
    print(
        "| tool | req / client CPU-s | req/s | × wrk | × locust | p99 reported (ms) | per trial | command |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        v = float(r["req_per_cpu_s"])  # type: ignore[arg-type]
        xw = f"{v / float(wrk):.2f}" if wrk else "-"  # type: ignore[arg-type]
        xl = f"{v / float(loc):.1f}" if loc else "-"  # type: ignore[arg-type]
        p99 = f"{r['p99_ms']:.2f}" if r["p99_ms"] is not None else "-"
        trials_s = ", ".join(f"{x:,}" for x in r["all_req_per_cpu_s"])  # type: ignore[attr-defined]
        rps = float(r["rps"])  # type: ignore[arg-type]
        print(f"| {r['tool']} | {v:,.0f} | {rps:,.0f} | {xw} | {xl} | {p99} | {trials_s} | `{r['cmd']}` |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument(
        "--long-seconds", type=float, nargs="*", default=[15], help="extra redline-vs-wrk run lengths"
    )
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--stall-connections", type=int, default=10)
    ap.add_argument("--skip-install", action="store_true")
    ap.add_argument("--json", type=Path, help="also write raw results here")
    args = ap.parse_args()
    install(args.skip_install)
    with tempfile.TemporaryDirectory() as tmp:
        nginx, base = start_nginx(Path(tmp))
        try:
            url = base + "/small.txt"
            rows = throughput(url, args.connections, args.seconds, args.trials, list(TOOLS))
            long_rows = {
                secs: throughput(url, args.connections, secs, args.trials, ["redline", "wrk"])
                for secs in args.long_seconds
            }
            fixed = fixed_cost(url, args.connections, args.trials)
        finally:
            stop_nginx(nginx)
    stall_rows = stall(args.stall_connections)
    print_table(rows, args.connections, args.seconds, args.trials)
    for secs, lrows in long_rows.items():
        print_table(lrows, args.connections, secs, args.trials)
    print(
        f"\nredline fixed cost (a 1-request run: interpreter, imports, fork, merge, exit): "
        f"{fixed['cpu_s']:.3f} CPU-s (median of {args.trials}: {fixed['all_cpu_s']})"
    )
    for secs, lrows in [(args.seconds, rows), *long_rows.items()]:
        red = next((r for r in lrows if r["tool"] == "redline"), None)
        wrk = next((r for r in lrows if r["tool"] == "wrk"), None)
        if red and wrk:
            per = float(red["req_per_cpu_s"])  # type: ignore[arg-type]
            cpu = float(red["rps"]) * secs / per  # type: ignore[arg-type]
            net = float(red["rps"]) * secs / max(cpu - float(fixed["cpu_s"]), 1e-9)  # type: ignore[arg-type]
            print(
                f"{secs:g}s: redline without the fixed cost ≈ {net:,.0f} req/CPU-s = "
                f"{net / float(wrk['req_per_cpu_s']):.2f}× wrk (informational; the table counts all CPU)"  # type: ignore[arg-type]
            )
    print("\n### Stall test (1 s stall every 5 s, 10 s run; the truth at a constant rate: p90 ≈ 500 ms)\n")
    print("| tool | p90 reported (ms) | requests | command |")
    print("|---|---:|---:|---|")
    for r in stall_rows:
        p90 = f"{r['p90_ms']:.1f}" if r["p90_ms"] is not None else "-"
        print(f"| {r['tool']} | {p90} | {r['requests']} | `{r['cmd']}` |")
    if args.json:
        doc = {"throughput": rows, "long": long_rows, "fixed_cost": fixed, "stall": stall_rows}
        args.json.write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
