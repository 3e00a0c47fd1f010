"""Scan speed: 10,000 Kubernetes objects in 1,000 files, against bare ``yaml.CSafeLoader`` on the same files.

    python bench/scan_bench.py [--files 1000] [--repeat 5]

Prints the median wall time of each and the ratio (scan / bare parse). A scan parses once and then builds
the model, links selectors and infers edges; the ratio says what all of that costs on top of parsing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

import redline

TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{i}
  namespace: ns{ns}
  labels: {{app: svc{i}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: svc{i}}}
  template:
    metadata:
      labels: {{app: svc{i}, tier: backend}}
    spec:
      containers:
        - name: app
          image: registry.example.com/team/svc{i}:1.{i}.0
          ports:
            - {{name: http, containerPort: 8080}}
          env:
            - {{name: NEXT_URL, value: "http://svc{nxt}:8080/api"}}
            - {{name: CACHE_ADDR, value: "cache{ns}:6379"}}
            - {{name: LOG_LEVEL, value: info}}
          readinessProbe:
            httpGet: {{path: /ready, port: http}}
          livenessProbe:
            httpGet: {{path: /live, port: http}}
          resources:
            requests: {{cpu: 250m, memory: 256Mi}}
            limits: {{memory: 512Mi}}
---
apiVersion: v1
kind: Service
metadata: {{name: svc{i}, namespace: ns{ns}}}
spec:
  selector: {{app: svc{i}}}
  ports: [{{name: http, port: 8080, targetPort: http}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: svc{i}, namespace: ns{ns}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: svc{i}}}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - {{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: svc{i}, namespace: ns{ns}}}
spec:
  maxUnavailable: 1
  selector: {{matchLabels: {{app: svc{i}}}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: svc{i}, namespace: ns{ns}}}
data: {{MODE: fast, REGION: eu}}
"""
CACHE = """\
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: cache{ns}, namespace: ns{ns}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: cache{ns}}}}}
  template:
    metadata: {{labels: {{app: cache{ns}}}}}
    spec:
      containers: [{{name: redis, image: "redis:7.4"}}]
---
apiVersion: v1
kind: Service
metadata: {{name: cache{ns}, namespace: ns{ns}}}
spec: {{selector: {{app: cache{ns}}}}}
"""


def generate(root: Path, files: int) -> int:
    """``files`` files of 2 workloads each (5 objects per workload): 10 objects a file."""
    objects = 0
    per_ns = 50
    for f in range(files):
        ns = f // per_ns
        docs = []
        for k in range(2):
            i = f * 2 + k
            nxt = i + 1 if (i + 1) // (per_ns * 2) == ns else ns * per_ns * 2
            docs.append(TEMPLATE.format(i=i, ns=ns, nxt=nxt, replicas=1 + i % 3))
            objects += 5
        text = "---\n".join(docs)
        if f % per_ns == 0:
            text += CACHE.format(ns=ns)
            objects += 2
        (root / f"app{f:04d}.yaml").write_text(text)
    return objects


def bare_parse(root: Path) -> int:
    n = 0
    for path in sorted(root.glob("*.yaml")):
        n += sum(1 for d in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if d)
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        objects = generate(root, args.files)
        bare, full = [], []
        for _ in range(args.repeat):  # interleaved, so machine noise hits both alike
            t = time.perf_counter()
            parsed = bare_parse(root)
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            system = redline.scan(root)
            full.append(time.perf_counter() - t)
        b, s = statistics.median(bare), statistics.median(full)
        print(f"objects: {objects} in {args.files} files (bare parse saw {parsed} documents)")
        print(
            f"scan result: {len(system.components)} components, {len(system.edges)} edges, "
            f"{len(system.objects)} objects, {len(system.unresolved)} unresolved"
        )
        print(f"bare yaml.CSafeLoader: median {b:.3f} s  (runs: {', '.join(f'{x:.2f}' for x in bare)})")
        print(f"redline.scan:          median {s:.3f} s  (runs: {', '.join(f'{x:.2f}' for x in full)})")
        print(f"ratio scan / bare parse: {s / b:.2f}x")


if __name__ == "__main__":
    main()
