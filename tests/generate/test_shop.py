"""The bundled shop, Kubernetes and Compose: every artifact, checked by the real tools, with exact names
and numbers read off the example's files and its forecast."""

from __future__ import annotations

import json
import re
import subprocess

import kubernetes_validate
import yaml

from tests.generate.conftest import Generated, need_promtool

SLO_ALERTS = [
    "WebAvailabilityFastBurn",
    "WebAvailabilitySlowBurn",
    "WebLatencyP95FastBurn",
    "WebLatencyP95SlowBurn",
    "WebLatencyP99FastBurn",
    "WebLatencyP99SlowBurn",
]


def _alerts(g: Generated, rel: str) -> dict[str, dict[str, object]]:
    doc = yaml.safe_load(g.text(rel))
    return {r["alert"]: r for group in doc["groups"] for r in group["rules"] if "alert" in r}


def test_kubernetes_every_check_passes(shop_k8s: Generated) -> None:
    need_promtool()
    checks = {c.name: (c.tool, c.passed) for c in shop_k8s.result.checks}
    assert checks == {
        "prometheus rules": ("promtool check rules", True),
        "SLO alert tests": ("promtool test rules", True),
        "PromQL of dashboards and sloth spec": ("promtool check rules", True),
        "scaling objects": ("kubernetes-validate", True),
        "dashboards": ("grafana-foundation-sdk", True),
    }, shop_k8s.result.checks


def test_kubernetes_slo_alerts_and_their_tests(shop_k8s: Generated) -> None:
    slo = _alerts(shop_k8s, "prometheus/slo-rules.yaml")
    assert list(slo) == SLO_ALERTS
    fast = slo["WebAvailabilityFastBurn"]
    assert fast["labels"] == {
        "severity": "page",
        "priority": "critical",
        "entrypoint": "web",
        "slo": "availability",
    }
    expr = str(fast["expr"])
    assert 'slo:sli_error:ratio_rate1h{entrypoint="web", slo="availability"} > (14.4 * 0.001)' in expr
    assert 'slo:sli_error:ratio_rate5m{entrypoint="web", slo="availability"} > (14.4 * 0.001)' in expr
    assert 'slo:sli_error:ratio_rate6h{entrypoint="web", slo="availability"} > (6 * 0.001)' in expr
    slow = str(slo["WebAvailabilitySlowBurn"]["expr"])
    assert (
        "ratio_rate1d{" in slow
        and "> (3 * 0.001)" in slow
        and "ratio_rate3d{" in slow
        and "> (1 * 0.001)" in slow
    )
    assert "> (14.4 * 0.05)" in str(slo["WebLatencyP95FastBurn"]["expr"])
    assert "> (14.4 * 0.01)" in str(slo["WebLatencyP99FastBurn"]["expr"])
    # The SLIs come from the ingress-nginx preset, filled in from the Ingress that routes to gateway.
    rules = yaml.safe_load(shop_k8s.text("prometheus/slo-rules.yaml"))["groups"][0]["rules"]
    assert rules[0] == {
        "record": "slo:sli_error:ratio_rate5m",
        "expr": 'sum(rate(nginx_ingress_controller_requests{namespace="default", ingress="shop", status=~"5.."}[5m])) '
        '/ sum(rate(nginx_ingress_controller_requests{namespace="default", ingress="shop"}[5m]))',
        "labels": {"entrypoint": "web", "slo": "availability"},
    }
    # p95 300 ms has no bound in ingress-nginx's default buckets: 0.25 s stands in, and the run says so.
    assert 'le=~"0\\\\.250*"' in rules[7]["expr"]
    assert any("no bound at 0.3 s; measured against 0.25 s" in n for n in shop_k8s.result.notes)
    # Every SLO alert has a test on both sides of each of its window pairs (2 pairs x 2 sides): not firing
    # at half the long window, then firing (just above) or not (just below) at the long window.
    for name, interval in (("page", "150s"), ("ticket", "1800s")):
        tests = yaml.safe_load(shop_k8s.text(f"prometheus/tests/slo-{name}.test.yaml"))
        assert tests["rule_files"] == ["../slo-rules.yaml"] and tests["evaluation_interval"] == interval
        seen: dict[str, list[bool]] = {}
        for group in tests["tests"]:
            checks = group["alert_rule_test"]
            for half, full in zip(checks[::2], checks[1::2], strict=True):
                assert half["alertname"] == full["alertname"] and half["exp_alerts"] == []
                seen.setdefault(full["alertname"], []).append(bool(full["exp_alerts"]))
        want = [a for a in SLO_ALERTS if a.endswith("FastBurn" if name == "page" else "SlowBurn")]
        assert seen == {a: [True, False, True, False] for a in want}
        # availability and p95 read different series, so they share an evaluation run; p99 cannot.
        assert len(tests["tests"]) == 8


def test_kubernetes_promtool_tests_fail_when_a_threshold_moves(shop_k8s: Generated, tmp_path) -> None:
    """The generated tests can fail: 14.4 raised to 15.5 no longer fires at 1.05 x 14.4, and lowered to 13.5
    fires at 0.95 x 14.4."""
    promtool = need_promtool()
    rules = shop_k8s.text("prometheus/slo-rules.yaml")
    test = yaml.safe_load(shop_k8s.text("prometheus/tests/slo-page.test.yaml"))
    test["tests"] = test["tests"][:2]  # the 1 h / 5 min pair: just above, just below
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "page.test.yaml").write_text(yaml.safe_dump(test, sort_keys=False))
    for moved in ("15.5", "13.5"):
        (tmp_path / "slo-rules.yaml").write_text(rules.replace("(14.4 * 0.001)", f"({moved} * 0.001)"))
        done = subprocess.run(
            [promtool, "test", "rules", str(tmp_path / "tests" / "page.test.yaml")],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 1 and "WebAvailabilityFastBurn" in done.stdout + done.stderr, moved


def test_kubernetes_every_alert_is_labelled_and_has_a_runbook(shop_k8s: Generated) -> None:
    alerts = {**_alerts(shop_k8s, "prometheus/slo-rules.yaml"), **_alerts(shop_k8s, "prometheus/alerts.yaml")}
    assert len(alerts) == 30
    for name, rule in alerts.items():
        labels, notes = rule["labels"], rule["annotations"]
        assert isinstance(labels, dict) and isinstance(notes, dict)
        assert labels["severity"] in ("page", "ticket"), name
        assert labels["priority"] in ("critical", "high", "medium", "low"), name
        assert (labels["severity"] == "page") == (labels["priority"] in ("critical", "high")), name
        assert set(notes) == {"summary", "description", "runbook_url"}, name
        runbook = shop_k8s.out / str(notes["runbook_url"])
        assert runbook.is_file(), name
        assert runbook.read_text().startswith(f"# {name}\n"), name
    assert alerts["PostgresConnectionsNearMax"]["expr"] == (
        '(\nsum(pg_stat_activity_count{namespace="default", pod=~"postgres-[0-9]+"})\n/\n'
        'max(pg_settings_max_connections{namespace="default", pod=~"postgres-[0-9]+"})\n) > 0.8'
    )
    assert alerts["CatalogCpuSaturated"]["for"] == "5m"
    assert (
        'kube_pod_container_resource_requests{namespace="default", pod=~"catalog-[a-z0-9]+-[a-z0-9]+", container="catalog", resource="cpu"}'
        in str(alerts["CatalogCpuSaturated"]["expr"])
    )
    assert "0.2 cores per pod" in str(alerts["CatalogCpuSaturated"]["annotations"]["description"])  # type: ignore[index]
    assert "512 MiB memory limit" in str(alerts["CatalogMemoryNearLimit"]["annotations"]["description"])  # type: ignore[index]
    near = alerts["WebNearSaturation"]
    saturation = next(e.saturation_rps for e in _forecast(shop_k8s).entrypoints if e.name == "web")
    assert saturation is not None
    assert near["expr"] == (
        'sum(rate(nginx_ingress_controller_requests{namespace="default", ingress="shop"}[5m])) '
        f"> {round(0.7 * saturation, 3):g}"
    )
    description = str(near["annotations"]["description"])  # type: ignore[index]
    assert "Bottleneck: catalog (2 replicas × 8 workers" in description
    assert "binds through the held pool of frontend" in description
    assert (near["labels"]["severity"], near["for"]) == ("ticket", "10m")  # type: ignore[index]


def _forecast(g: Generated):  # type: ignore[no-untyped-def]
    from redline.forecast import forecast

    return forecast(g.system)


def test_kubernetes_hpas_and_pdbs_from_the_forecast(shop_k8s: Generated) -> None:
    objects = {
        p.name: yaml.safe_load(p.read_text()) for p in sorted((shop_k8s.out / "kubernetes").glob("*.yaml"))
    }
    assert list(objects) == [
        "hpa-catalog.yaml",
        "hpa-orders.yaml",
        "hpa-payments.yaml",
        "pdb-cart.yaml",
        "pdb-catalog.yaml",
        "pdb-orders.yaml",
        "pdb-payments.yaml",
    ]
    for doc in objects.values():
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
    by_name = {c.name: c for c in _forecast(shop_k8s).components}
    # catalog: 2 replicas at 37.9 % carry 600 rps; at 70 % that is 2 replicas, plus 1 lost = 3. The
    # forecast sizes 11 for the target 6,000 rps at 70 %.
    assert by_name["catalog"].replicas_needed == 11
    catalog = objects["hpa-catalog.yaml"]
    assert (
        catalog["metadata"]["namespace"],
        catalog["spec"]["minReplicas"],
        catalog["spec"]["maxReplicas"],
    ) == ("default", 3, 11)
    assert catalog["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "catalog",
    }
    assert catalog["spec"]["metrics"][0]["resource"]["target"] == {
        "type": "Utilization",
        "averageUtilization": 70,
    }
    orders = objects["hpa-orders.yaml"]
    assert (
        orders["metadata"]["namespace"],
        orders["spec"]["minReplicas"],
        orders["spec"]["maxReplicas"],
    ) == ("shop", 2, 10)
    assert objects["hpa-payments.yaml"]["spec"]["maxReplicas"] == 5
    assert objects["pdb-orders.yaml"]["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": {"app": "orders"}},
    }
    assert objects["pdb-orders.yaml"]["metadata"]["namespace"] == "shop"
    skipped = {(s.what, s.subject): s.reason for s in shop_k8s.result.skipped}
    assert skipped[("HPA", "frontend")] == (
        "already has HorizontalPodAutoscaler frontend (frontend.yaml:56); the forecast asks for min 3, max 15"
    )
    assert (
        skipped[("HPA", "postgres")]
        == "a single-writer datastore: more replicas are divergent copies, not capacity"
    )
    assert skipped[("PDB", "gateway")] == "already has PodDisruptionBudget gateway (gateway.yaml:59)"
    assert skipped[("PDB", "postgres, rabbitmq, redis, worker")].startswith(
        "1 replica: a budget cannot keep it"
    )
    assert skipped[("KEDA ScaledObject on rabbitmq", "worker")] == (
        "the Prometheus address KEDA queries is unknown: pass --prometheus-url"
    )


def test_kubernetes_dashboards(shop_k8s: Generated) -> None:
    web = json.loads(shop_k8s.text("grafana/entrypoint-web.json"))
    assert (web["uid"], web["title"], web["schemaVersion"]) == ("redline-shop-web", "shop / web", 39)
    titles = [p["title"] for p in web["panels"]]
    assert titles[:8] == [
        "Service level",
        "SLI: 99.9% of requests succeed",
        "SLI: 95% of requests faster than 300 ms",
        "SLI: 99% of requests faster than 1 s",
        "Error-budget burn rate",
        "Latency p50 / p95 / p99",
        "Error ratio",
        "Traffic against forecast capacity",
    ]
    assert "Saturation of the components on its path" in titles and "postgres: connections / max" in titles
    assert [p["id"] for p in web["panels"]] == list(range(1, len(web["panels"]) + 1))
    latency = next(p for p in web["panels"] if p["title"] == "Latency p50 / p95 / p99")
    assert [t["legendFormat"] for t in latency["targets"]] == ["p50", "p95", "p99"]
    assert all(p.get("datasource", {"uid": "${datasource}"})["uid"] == "${datasource}" for p in web["panels"])
    overview = json.loads(shop_k8s.text("grafana/overview.json"))
    assert overview["uid"] == "redline-shop-overview"


def test_kubernetes_runbooks_use_the_real_names(shop_k8s: Generated) -> None:
    fast = shop_k8s.text("runbooks/web-availability-fast-burn.md")
    assert "kubectl -n default get pods -l app=gateway -o wide" in fast
    assert "kubectl -n default rollout undo deploy/gateway" in fast
    assert "kubectl -n shop scale deploy/orders --replicas=10" in fast  # orders lives in namespace shop
    assert "Scale frontend out: the forecast plans 15 replicas of frontend (now 3)" in fast
    # Stateful components are never scaled by a command: their plan is said, with why not.
    assert "scale sts/postgres" not in fast and "scale deploy/redis" not in fast
    assert "postgres is a single point of failure (1 replica): there is no failover." in fast
    assert "- **AV002** (high) postgres at datastores.yaml:1:" in fast
    assert 'nginx_ingress_controller_requests{namespace="default", ingress="shop", status=~"5.."}[1h]' in fast
    rabbit = shop_k8s.text("runbooks/dr-rabbitmq.md")
    assert "**With the setup in the files: RTO not met, RPO not met.**" in rabbit
    assert "Persistent data: no: the data lives in the container" in rabbit
    postgres = shop_k8s.text("runbooks/dr-postgres.md")
    assert "| its node is lost | at least 5 min: Kubernetes waits 300 s" in postgres
    assert "kubectl -n default exec -i sts/postgres -- pg_dump -U postgres -Fc DB > DB.dump" in postgres
    ir = shop_k8s.text("runbooks/incident-response.md")
    for step in (
        "## 1. Detect",
        "## 2. Assess",
        "## 3. Communicate",
        "## 4. Mitigate",
        "## 5. Resolve",
        "## 6. Review",
    ):
        assert step in ir
    assert "| web | gateway | yes: preset ingress-nginx (redline.yaml:7) |" in ir
    index = shop_k8s.text("runbooks/README.md")
    assert index.count("| page |") + index.count("| ticket |") == 30


def test_compose_generates_alerts_dashboards_runbooks_and_no_scaling(shop_compose: Generated) -> None:
    need_promtool()
    assert {c.name: c.passed for c in shop_compose.result.checks} == {
        "prometheus rules": True,
        "SLO alert tests": True,
        "PromQL of dashboards and sloth spec": True,
        "dashboards": True,
    }
    assert not (shop_compose.out / "kubernetes").exists()
    (scaling,) = [s for s in shop_compose.result.skipped if s.artifact.value == "scaling"]
    assert scaling.reason.startswith("a Compose system: Compose has no HorizontalPodAutoscaler")
    slo = _alerts(shop_compose, "prometheus/slo-rules.yaml")
    assert list(slo) == SLO_ALERTS
    rules = yaml.safe_load(shop_compose.text("prometheus/slo-rules.yaml"))["groups"][0]["rules"]
    assert rules[0]["expr"] == (
        'sum(rate(http_server_request_duration_seconds_count{job="gateway", http_response_status_code=~"5.."}[5m])) '
        '/ sum(rate(http_server_request_duration_seconds_count{job="gateway"}[5m]))'
    )
    fast = shop_compose.text("runbooks/web-availability-fast-burn.md")
    assert "docker compose -f compose.yaml -p shop ps gateway" in fast
    assert "docker compose -f compose.yaml -p shop up -d --scale frontend=15 frontend" in fast
    queue = shop_compose.text("runbooks/rabbitmq-queue-backlog.md")
    assert 'sum(rabbitmq_queue_messages_ready{instance=~"rabbitmq(-exporter)?:[0-9]+"})' in queue
    assert "docker compose -f compose.yaml -p shop up -d --scale worker=2 worker" in queue
    assert re.search(r"alerts: cart, catalog, frontend, gateway, orders, payments, postgres, rabbitmq, redis, worker", " ".join(
        f"{s.artifact.value}: {s.subject}" for s in shop_compose.result.skipped if s.what == "CPU alert"
    ))  # fmt: skip
