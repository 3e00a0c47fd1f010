"""`slo.metrics` in redline.yaml: presets, explicit selectors with placeholders, per entry point, refused
values with their line; and the SLI each entry point gets from them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import redline
from redline.generate.engine import GenerateOptions, generate, render
from redline.generate.selectors import SelectorError, parse
from redline.generate.sli import objectives, resolve_sli
from redline.model import MetricsPreset, SkipKind

K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prod}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: x/api:1
          resources: {requests: {cpu: 500m}, limits: {memory: 512Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: api-svc, namespace: prod}
spec: {selector: {app: api}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: prod}
spec:
  replicas: 1
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: worker
          image: x/worker:1
          resources: {requests: {cpu: 250m}, limits: {memory: 256Mi}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: mq, namespace: prod}
spec:
  replicas: 1
  serviceName: mq
  selector: {matchLabels: {app: mq}}
  template:
    metadata: {labels: {app: mq}}
    spec: {containers: [{name: mq, image: "rabbitmq:3.13"}]}
"""


PER_ENTRYPOINT = """\
slo:
  availability: 99.5%
  latency: {p99: 500ms}
  metrics:
    preset: istio
    entrypoints:
      admin:
        requests: 'app_requests_total{job="$component", ns="$namespace"}'
        errors: 'app_errors_total{job="$component"}'
        latency: 'app_latency_ms_bucket{job="$component"}'
        latency_unit: ms
entrypoints: [{name: api, component: api, rps: 50}, {name: admin, component: worker, rps: 1}]
growth: {factor: 4}
components:
  api: {workers: 8, service_time: 20ms}
"""


def _scan(tmp_path: Path, overlay: str) -> redline.System:
    (tmp_path / "k8s.yaml").write_text(K8S)
    (tmp_path / "redline.yaml").write_text(overlay)
    return redline.scan(tmp_path)


def test_selectors_parse_fill_and_refuse() -> None:
    s = parse('http_requests_total{job="$service", code=~"5..", path!="/health"}')
    assert s.metric == "http_requests_total" and s.placeholders() == {"service"}
    assert (
        s.fill({"service": "api"}).render() == 'http_requests_total{job="api", code=~"5..", path!="/health"}'
    )
    assert parse('{__name__="up", job="x"}').series_labels() == {"__name__": "up", "job": "x"}
    for bad, message in [
        ("rate(x[5m])", "expected '{' after the metric name at character 5"),
        ('x{job="$nope"}', "unknown placeholder $nope"),
        ('x{job="a"', "expected ',' or '}' at character 10"),
        ('{job="a"}', "no metric name"),
        ("x{job=a}", "expected a quoted value at character 7"),
    ]:
        with pytest.raises(SelectorError, match=message.replace("$", r"\$").replace("(", r"\(")):
            parse(bad)


def test_preset_explicit_and_per_entrypoint_metrics(tmp_path: Path) -> None:
    system = _scan(tmp_path, PER_ENTRYPOINT)
    assert system.slo is not None and system.slo.metrics is not None
    assert system.slo.metrics.preset is MetricsPreset.ISTIO and system.slo.metrics.source is not None
    assert system.slo.metrics.source.line == 4
    api, admin = system.entrypoints
    sli = resolve_sli(system, api)
    assert not isinstance(sli, str)
    assert sli.requests is not None and sli.requests.render() == (
        'istio_requests_total{reporter="destination", destination_service_namespace="prod", '
        'destination_service_name="api-svc"}'
    )
    # Istio's histogram is in milliseconds: 500 ms is the bound 500, one of its default buckets.
    assert sli.unit == "ms" and sli.le(objectives(system.slo)[1]) == ("500", None)
    own = resolve_sli(system, admin)
    assert not isinstance(own, str)
    assert own.requests is not None and own.requests.render() == 'app_requests_total{job="worker", ns="prod"}'
    assert own.buckets is None and own.unit == "ms" and own.origin == "slo.metrics (redline.yaml:7)"
    files, result = render(system, GenerateOptions(check=False))
    rules = yaml.safe_load(files["prometheus/slo-rules.yaml"])
    admin_p99 = next(
        r for g in rules["groups"] for r in g["rules"]
        if r.get("record") == "slo:sli_error:ratio_rate5m" and r["labels"] == {"entrypoint": "admin", "slo": "latency-p99"}
    )  # fmt: skip
    assert admin_p99["expr"] == (
        '1 - (sum(rate(app_latency_ms_bucket{job="worker", le=~"500(\\\\.0+)?"}[5m])) / '
        'sum(rate(app_latency_ms_bucket{job="worker", le="+Inf"}[5m])))'
    )
    assert [a.name for a in result.alerts][:4] == [
        "ApiAvailabilityFastBurn",
        "ApiAvailabilitySlowBurn",
        "ApiLatencyP99FastBurn",
        "ApiLatencyP99SlowBurn",
    ]


def test_refused_metrics_values_cost_only_themselves(tmp_path: Path) -> None:
    system = _scan(
        tmp_path,
        "slo:\n  availability: 99.9%\n  metrics:\n    preset: ingres-nginx\n    requests: 'x{job=\"$svc\"}'\n",
    )
    rejected = [(s.line, s.reason) for s in system.skipped if s.kind is SkipKind.REJECTED]
    assert rejected == [
        (4, "redline.yaml: slo.metrics.preset: not a known value: expected 'ingress-nginx', 'istio' or 'otel-http', got 'ingres-nginx'"),
        (5, "redline.yaml: slo.metrics.requests: not a series selector: unknown placeholder $svc: expected one of $entrypoint, $component, $namespace, $service, $ingress, $project"),
    ]  # fmt: skip
    assert system.slo is not None and system.slo.availability == 0.999


def test_a_placeholder_with_no_value_is_said(tmp_path: Path) -> None:
    system = _scan(
        tmp_path,
        "slo: {availability: 99.9%, metrics: ingress-nginx}\nentrypoints: [{name: api, component: api, rps: 5}]\n",
    )
    (ep,) = system.entrypoints
    assert resolve_sli(system, ep) == (
        'requests selector nginx_ingress_controller_requests{namespace="$namespace", ingress="$ingress"} '
        "needs $ingress, and no Ingress routes to api"
    )


def test_keda_scaled_object_for_a_queue_consumer(tmp_path: Path) -> None:
    system = _scan(
        tmp_path,
        "entrypoints: [{name: api, component: api, rps: 100}]\ngrowth: {factor: 3}\n"
        "components:\n"
        "  api: {workers: 8, service_time: 20ms, calls: [{to: mq, count: 1}]}\n"
        "  worker: {workers: 4, service_time: 50ms, calls: [{to: mq}]}\n"
        "  mq: {kind: queue, engine: rabbitmq}\n",
    )
    out = tmp_path / "out"
    result = generate(system, out, GenerateOptions(prometheus_url="http://prometheus.monitoring:9090"))
    scaled = yaml.safe_load((out / "kubernetes" / "scaledobject-worker.yaml").read_text())
    # One replica: 4 workers / 50 ms x 70 % = 56 messages/s, 3,360 in 60 s; mq takes 300 msg/s at the
    # target load: ceil(300 / 56) = 6 replicas.
    assert scaled["spec"] == {
        "scaleTargetRef": {"name": "worker"},
        "minReplicaCount": 1,
        "maxReplicaCount": 6,
        "triggers": [
            {
                "type": "prometheus",
                "metadata": {
                    "serverAddress": "http://prometheus.monitoring:9090",
                    "query": 'sum(rabbitmq_queue_messages_ready{namespace="prod", pod=~"mq-[0-9]+"})',
                    "threshold": "3360",
                },
            }
        ],
    }
    (check,) = [c for c in result.checks if c.name == "scaling objects"]
    assert check.passed is True and "1 KEDA ScaledObject(s) checked for required fields only" in check.detail
