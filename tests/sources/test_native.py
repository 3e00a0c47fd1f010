"""redline.yaml: overrides with provenance, declared calls, new components, traffic and SLOs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

import redline
from redline import Kind
from redline.forecast import forecast
from redline.model import SkipKind, Source
from redline.review.engine import review
from redline.sources.native import MAX_REPORTED, json_schema
from tests.conftest import EXAMPLES, REPO

K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: "x/api:1"}]}
"""


def test_overlay_overrides_and_says_which_source_won(tmp_path: Path) -> None:
    (tmp_path / "k8s.yaml").write_text(K8S)
    (tmp_path / "redline.yaml").write_text(
        "name: demo\nslo: {availability: 99.95%, latency: {p95: 200ms}}\n"
        "entrypoints: [{name: web, component: api, rps: 18000/min}]\ngrowth: {factor: 5x}\n"
        "components:\n  api:\n    replicas: 4\n    workers: 8\n    service_time: 12ms\n"
        "    calls: [{to: billing, count: 2, timeout: 0.5s, retries: 1, circuit_breaker: true}]\n"
        "  billing: {kind: external, availability: 99.9%}\n"
    )
    system = redline.scan(tmp_path)
    api = system.component("api")
    assert api is not None and api.replicas == 4 and api.workers == 8 and api.service_time_s == 0.012
    prov = api.provenance["replicas"]
    assert prov.origin == "redline.yaml" and prov.source.line == 7
    assert prov.overrode is not None and "k8s.yaml:1" in prov.overrode and "said 1" in prov.overrode
    billing = system.component("billing")
    assert billing is not None and billing.kind == Kind.EXTERNAL and billing.platform == "redline"
    (edge,) = system.edges
    assert (edge.from_, edge.to, edge.count, edge.timeout_s, edge.retries, edge.circuit_breaker) == (
        "api",
        "billing",
        2,
        0.5,
        1,
        True,
    )
    assert edge.evidence[0].kind == "declared" and edge.source is not None and edge.source.line == 10
    assert system.name == "demo" and system.growth is not None and system.growth.factor == 5
    assert (
        system.slo is not None and system.slo.availability == 0.9995 and system.slo.latency_s == {"p95": 0.2}
    )
    (ep,) = system.entrypoints
    assert (ep.component, ep.rps) == ("api", 300)


def test_calls_to_nowhere_and_bad_entrypoints(tmp_path: Path) -> None:
    (tmp_path / "k8s.yaml").write_text(K8S)
    (tmp_path / "redline.yaml").write_text(
        "entrypoints: [{name: web, component: ghost}]\ncomponents:\n  api:\n    calls: [{to: nowhere}]\n"
    )
    system = redline.scan(tmp_path)
    (unresolved,) = system.unresolved
    assert unresolved.host == "nowhere" and unresolved.source.line == 4
    assert any(s.line == 1 and "ghost" in s.reason for s in system.skipped)
    assert not system.entrypoints


def test_explicit_overlay_file(tmp_path: Path) -> None:
    (tmp_path / "k8s.yaml").write_text(K8S)
    overlay = tmp_path / "elsewhere.yaml"
    overlay.write_text("components: {api: {workers: 3}}\n")
    system = redline.scan(tmp_path / "k8s.yaml", overlay=overlay)
    api = system.component("api")
    assert api is not None and api.workers == 3


def test_schema_validates_the_examples_and_is_published_fresh() -> None:
    schema = json_schema()
    for path in EXAMPLES.glob("*/*/redline.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    published = REPO / "docs" / "redline.schema.json"
    assert json.loads(published.read_text()) == schema, "run: redline schema -o docs/redline.schema.json"


def test_bundled_example_kubernetes_graph() -> None:
    system = redline.scan(EXAMPLES / "shop" / "kubernetes")
    edges = {(e.from_, e.to) for e in system.edges}
    # Read off the manifests: env URLs (incl. cross-namespace DNS and a ConfigMap), the Ingress, redline.yaml.
    assert {
        ("ingress/shop", "gateway"),
        ("gateway", "frontend"),
        ("frontend", "catalog"),
        ("frontend", "cart"),
        ("frontend", "orders"),
        ("catalog", "postgres"),
        ("catalog", "redis"),
        ("cart", "redis"),
        ("orders", "postgres"),
        ("orders", "payments"),
        ("orders", "rabbitmq"),
        ("payments", "api.stripe.com"),
        ("worker", "rabbitmq"),
        ("worker", "postgres"),
        ("worker", "smtp.sendgrid.net"),
        ("nightly-report", "postgres"),
    } == edges
    catalog_db = next(e for e in system.edges if (e.from_, e.to) == ("catalog", "postgres"))
    assert any("ConfigMap catalog-config" in ev.reason for ev in catalog_db.evidence)
    kinds = {c.name: c.kind for c in system.components}
    assert (
        kinds["postgres"] == Kind.DATASTORE
        and kinds["redis"] == Kind.CACHE
        and kinds["rabbitmq"] == Kind.QUEUE
    )
    assert kinds["gateway"] == Kind.GATEWAY and kinds["api.stripe.com"] == Kind.EXTERNAL
    assert not system.unresolved and not system.skipped and not system.warnings
    orders_db = next(e for e in system.edges if (e.from_, e.to) == ("orders", "postgres"))
    assert all("orders-pass" not in ev.reason for ev in orders_db.evidence), "URL passwords must be masked"


def test_bundled_example_compose_graph_matches_kubernetes() -> None:
    k8s = redline.scan(EXAMPLES / "shop" / "kubernetes")
    compose = redline.scan(EXAMPLES / "shop" / "compose")
    runtime = {(e.from_, e.to) for e in k8s.edges if not e.from_.startswith(("ingress/", "nightly"))}
    assert runtime == {(e.from_, e.to) for e in compose.edges}


# One bad value costs only itself (the "trust" issue).


def _scan(tmp_path: Path, overlay: str) -> redline.System:
    (tmp_path / "k8s.yaml").write_text(K8S)
    (tmp_path / "redline.yaml").write_text(overlay)
    return redline.scan(tmp_path)


def _rejected(system: redline.System) -> list[tuple[int | None, str]]:
    assert all(s.kind == SkipKind.REJECTED for s in system.skipped if s.file == "redline.yaml")
    return [(s.line, s.reason) for s in system.skipped if s.file == "redline.yaml"]


def test_a_misspelt_key_costs_only_itself_on_the_example(tmp_path: Path) -> None:
    """Regression: `wrokers:` dropped the whole file (8 high findings became 4, forecast saw no entry point)."""
    shop = tmp_path / "shop"
    shutil.copytree(EXAMPLES / "shop" / "kubernetes", shop)
    text = (shop / "redline.yaml").read_text()
    assert text.splitlines()[20].startswith("    workers: 16 ")
    (shop / "redline.yaml").write_text(text.replace("    workers: 16 ", "    wrokers: 16 ", 1))
    clean, typo = redline.scan(EXAMPLES / "shop" / "kubernetes"), redline.scan(shop)
    assert _rejected(typo) == [
        (
            21,
            "redline.yaml: components.frontend.wrokers: unknown key: expected a key of a component, "
            "got 'wrokers'; did you mean 'workers'?",
        )
    ]
    frontend = typo.component("frontend")
    assert frontend is not None and frontend.workers is None and frontend.service_time_s == 0.012
    assert [(e.name, e.component, e.rps) for e in typo.entrypoints] == [("web", "gateway", 300.0)]

    def findings(system: redline.System) -> list[tuple[str, str, str, int | None]]:
        return sorted((f.rule, f.severity.value, f.component, f.line) for f in review(system).findings)

    assert findings(typo) == findings(clean)
    assert sum(1 for f in review(typo).findings if f.severity.value == "high") == 9  # AV009 rabbitmq
    assert len([f for f in findings(typo) if f[0].startswith("RS")]) == 16
    result = forecast(typo)
    assert [e.name for e in result.entrypoints] == ["web"]
    assert "frontend: workers = 8 (built-in default for service)" in result.assumptions


def test_each_refused_value_is_reported_with_line_expected_and_found(tmp_path: Path) -> None:
    system = _scan(
        tmp_path,
        "slo: {availability: 0, latency: {p95: 200, p99: 1s}}\n"  # 1
        "growth: {factor: .inf}\n"  # 2
        "components:\n"  # 3
        "  api:\n"  # 4
        "    replicas: 4\n"  # 5
        "    availability: 1.5\n"  # 6
        "    zones: 1000000000\n"  # 7
        "    cost: {replica_hour: .nan}\n"  # 8
        "    kind: servce\n"  # 9
        "    calls:\n"  # 10
        "      - {count: 3}\n"  # 11
        "      - {to: billing, failure_rate: 2, timeout: 200, retries: 2}\n"  # 12
        "      - {to: billing, count: 1001}\n"  # 13
        "  billing: {replicas: 18446744073709551616, workers: true, service_time: -5ms}\n",  # 14
    )
    assert _rejected(system) == [
        (
            1,
            "redline.yaml: slo.availability: out of range: expected an availability above 0% and below 100%, "
            "such as 99.9%, got 0",
        ),
        (
            1,
            "redline.yaml: slo.latency.p95: a bare number is ambiguous here: expected a duration such as "
            "500ms or 2s, got 200; write 200ms or 200s",
        ),
        (
            2,
            "redline.yaml: growth.factor: not a finite number: expected a growth factor such as 10 or 10x, got inf",
        ),
        (
            6,
            "redline.yaml: components.api.availability: a bare number above 1 is ambiguous: expected a "
            "percentage such as 99.9% or a fraction such as 0.999, got 1.5; write 1.5% or 0.015",
        ),
        (
            7,
            "redline.yaml: components.api.zones: too large: expected a value less than or equal to 64, "
            "got 1000000000",
        ),
        (
            8,
            "redline.yaml: components.api.cost.replica_hour: not a finite number: expected a finite number, got nan",
        ),
        (
            9,
            "redline.yaml: components.api.kind: not a known value: expected 'service', 'datastore', 'cache', "
            "'queue', 'gateway' or 'external', got 'servce'; did you mean 'service'?",
        ),
        (
            11,
            "redline.yaml: components.api.calls.0: missing key: expected a call to state 'to', got none; dropped",
        ),
        (
            12,
            "redline.yaml: components.api.calls.1.timeout: a bare number is ambiguous here: expected a "
            "duration such as 500ms or 2s, got 200; write 200ms or 200s",
        ),
        (
            12,
            "redline.yaml: components.api.calls.1.failure_rate: a bare number above 1 is ambiguous: expected a "
            "percentage such as 99.9% or a fraction such as 0.999, got 2; write 2% or 0.02",
        ),
        (
            13,
            "redline.yaml: components.api.calls.2.count: too large: expected a value less than or equal to "
            "1000, got 1001",
        ),
        (
            14,
            "redline.yaml: components.billing.replicas: too large: expected a value less than or equal to "
            "100000, got 18446744073709551616",
        ),
        (14, "redline.yaml: components.billing.workers: not a number: expected a number, got true"),
        (
            14,
            "redline.yaml: components.billing.service_time: a duration cannot be negative: expected a duration "
            "such as 500ms or 2s, got '-5ms'",
        ),
    ]
    # The valid rest still applies, with the lines of the file (the dropped call 0 shifts nothing).
    api = system.component("api")
    assert api is not None and api.replicas == 4 and api.availability is None and api.placement is None
    assert api.kind == Kind.SERVICE and api.cost is not None and api.cost.replica_hour is None
    assert system.slo is not None and system.slo.availability is None and system.slo.latency_s == {"p99": 1.0}
    assert system.growth is None
    edges = sorted(
        (e.to, e.count, e.retries, e.timeout_s, e.failure_rate, e.source.line if e.source else None)
        for e in system.edges
    )
    assert edges == [("billing", None, 2, None, None, 13)]


def test_a_call_without_its_target_is_dropped_whole_and_later_calls_keep_their_lines(tmp_path: Path) -> None:
    system = _scan(
        tmp_path,
        "components:\n  api:\n    calls:\n      - {to: [billing], count: 2}\n      - {to: nowhere, timeout: 1s}\n",
    )
    assert _rejected(system) == [
        (
            4,
            "redline.yaml: components.api.calls.0.to: not a string: expected a valid string, got a list; "
            "components.api.calls.0 dropped, it cannot stand without it",
        ),
    ]
    assert [w.message for w in system.warnings] == [
        "components.api.calls.1: 'nowhere' is not a known component"
    ]
    (unresolved,) = system.unresolved
    assert (unresolved.host, unresolved.source.line) == ("nowhere", 5)


@pytest.mark.parametrize(
    ("overlay", "rejected"),
    [
        (
            "components: !!omap [{api: {workers: 0}}]\n",
            [
                (
                    1,
                    "redline.yaml: components.api.workers: too small: expected a value greater than or equal to 1, got 0",
                )
            ],
        ),
        (
            "components: {5: 10, api: {workers: 2}}\n",
            [(1, "redline.yaml: components.5: not a mapping: expected a valid dictionary, got 10")],
        ),
        (
            "components: [api]\n",
            [(1, "redline.yaml: components: not a mapping: expected a valid dictionary, got a list")],
        ),
        (
            "components:\n  api: 5\n",
            [(2, "redline.yaml: components.api: not a mapping: expected a valid dictionary, got 5")],
        ),
        (
            "components:\n  api: {calls: {to: x}, pools: 3}\n",
            [
                (2, "redline.yaml: components.api.pools: not a list: expected a valid list, got 3"),
                (2, "redline.yaml: components.api.calls: not a list: expected a valid list, got a mapping"),
            ],
        ),
        ("- 1\n", [(1, "redline.yaml: not a mapping: expected a mapping at the top level, got a list")]),
        (
            "components: {api: {replicas: !override 3, async: !!bool maybe, autoscaling: {min: 5, max: 3}}}\n",
            [
                (
                    1,
                    "redline.yaml: components.api.autoscaling: min above max: expected min <= max, got min 5 and max 3",
                )
            ],
        ),
        (
            "entrypionts: []\ndefaults: {workers: 0, availability: {datastore: 99.9%, servce: 0.9}}\n",
            [
                (
                    1,
                    "redline.yaml: entrypionts: unknown key: expected a key of redline.yaml, got 'entrypionts'; "
                    "did you mean 'entrypoints'?",
                ),
                (
                    2,
                    "redline.yaml: defaults.availability.servce: not a kind: expected default or one of service, "
                    "datastore, cache, queue, gateway, external, got 'servce'",
                ),
                (
                    2,
                    "redline.yaml: defaults.workers: too small: expected a value greater than or equal to 1, got 0",
                ),
            ],
        ),
    ],
)
def test_odd_shapes_are_rejected_fields_never_a_crash(
    tmp_path: Path, overlay: str, rejected: list[tuple[int, str]]
) -> None:
    system = _scan(tmp_path, overlay)
    assert _rejected(system) == rejected


def test_tags_and_defaults_that_pass_apply(tmp_path: Path) -> None:
    system = _scan(
        tmp_path,
        "defaults: {workers: 4, availability: {datastore: 99.9%, default: 0.999}, service_time: 5ms,"
        " cost: {replica_hour: 0.05}}\ncomponents: {api: {replicas: !override 3}}\n",
    )
    assert _rejected(system) == []
    api = system.component("api")
    assert api is not None and api.replicas == 3
    assert system.defaults == {
        "workers": {"default": 4},
        "availability": {"datastore": 0.999, "default": 0.999},
        "service_time": {"default": 0.005},
        "cost": {"replica_hour": 0.05, "currency": "USD"},
    }


def test_rejections_are_bounded_per_file(tmp_path: Path) -> None:
    body = "".join(f"  c{i}: {{workers: 0}}\n" for i in range(MAX_REPORTED + 50))
    system = _scan(tmp_path, "components:\n" + body)
    rejected = _rejected(system)
    assert len(rejected) == MAX_REPORTED + 1
    assert rejected[-1] == (None, "redline.yaml: 50 more rejected values, not listed one by one")
    assert rejected[0] == (
        2,
        "redline.yaml: components.c0.workers: too small: expected a value greater than or equal to 1, got 0",
    )
    assert len(system.components) == 1 + MAX_REPORTED + 50


def test_the_documented_example_is_accepted(tmp_path: Path) -> None:
    text = (REPO / "docs" / "redline-yaml.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    system = _scan(tmp_path, block)
    assert _rejected(system) == []
    frontend = system.component("frontend")
    assert frontend is not None and frontend.availability == 0.9995 and frontend.service_time_s == 0.012


# ------------------------------------------------------------------ the user corrects the model

CORRECTED = """\
services:
  proxy:
    image: traefik:3
    ports: ["80:80"]
    environment:
      BACKEND: http://app:8000
    depends_on: [loadgen]
  app:
    image: example/app
    env_file: []
    environment:
      SHARED_HOST: db
  db:
    image: postgres:16
  loadgen:
    image: example/bench
    environment:
      TARGET: http://proxy
"""


def test_ignore_calls_drops_inferred_edges_and_says_which(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(CORRECTED)
    (tmp_path / "redline.yaml").write_text(
        "components:\n  loadgen:\n    tooling: true\n    ignore_calls: [proxy]\n"
        "  proxy:\n    ignore_calls: [loadgen, nowhere]\n"
    )
    system = redline.scan(tmp_path)
    assert sorted((e.from_, e.to) for e in system.edges) == [("app", "db"), ("proxy", "app")]
    messages = [(w.file, w.line, w.message) for w in system.warnings if "ignore_calls" in w.message]
    assert messages == [
        ("redline.yaml", 4, "components.loadgen.ignore_calls.0: dropped the inferred call loadgen -> proxy "
         "(env TARGET=http://proxy at compose.yaml:18)"),
        ("redline.yaml", 6, "components.proxy.ignore_calls.0: dropped the inferred call proxy -> loadgen "
         "(depends_on loadgen at compose.yaml:7)"),
        ("redline.yaml", 6, "components.proxy.ignore_calls.1: no inferred call from proxy to 'nowhere': "
         "expected a callee scan found, got no component of that name"),
    ]  # fmt: skip
    loadgen = system.component("loadgen")
    assert loadgen is not None and loadgen.tooling is True
    assert loadgen.provenance["tooling"].source == Source(file="redline.yaml", line=3)
    assert [e.component for e in system.entrypoints] == ["proxy"]


def test_ignored_cycle_no_longer_blocks_forecast(tmp_path: Path) -> None:
    # The proxy routes to the load generator's UI and the load generator calls the proxy: a cycle.
    compose = CORRECTED.replace(
        "BACKEND: http://app:8000", "BACKEND: http://app:8000\n      UI_URL: http://loadgen:8089"
    )
    (tmp_path / "compose.yaml").write_text(compose)
    base = (
        "entrypoints: [{name: web, component: proxy, rps: 10}]\n"
        "defaults: {workers: 4, service_time: 5ms}\ncomponents:\n  proxy:\n"
    )
    (tmp_path / "redline.yaml").write_text(base + "    tooling: false\n")
    with pytest.raises(ValueError, match="cycle"):
        forecast(redline.scan(tmp_path))
    (tmp_path / "redline.yaml").write_text(base + "    ignore_calls: [loadgen]\n")
    result = forecast(redline.scan(tmp_path))
    assert [e.name for e in result.entrypoints] == ["web"]


def test_entrypoint_and_tooling_flags_are_validated_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(CORRECTED)
    (tmp_path / "redline.yaml").write_text(
        "components:\n  proxy:\n    entrypoint: maybe\n  app:\n    tooling: 3\n    ignore_calls: db\n"
        "  db:\n    ignore_calls: ['']\n"
    )
    system = redline.scan(tmp_path)
    rejected = [(s.line, s.reason) for s in system.skipped if s.kind == SkipKind.REJECTED]
    assert rejected == [
        (3, "redline.yaml: components.proxy.entrypoint: not true or false: expected a valid boolean, "
            "unable to interpret input, got 'maybe'"),
        (5, "redline.yaml: components.app.tooling: not true or false: expected a valid boolean, "
            "unable to interpret input, got 3"),
        (6, "redline.yaml: components.app.ignore_calls: not a list: expected a valid list, got 'db'"),
        (8, "redline.yaml: components.db.ignore_calls.0: empty: expected at least 1 character, got ''"),
    ]  # fmt: skip
    proxy = system.component("proxy")
    assert proxy is not None and proxy.entrypoint is None  # the bad value dropped alone
    assert ("app", "db") in {(e.from_, e.to) for e in system.edges}


def test_schema_documents_the_corrections() -> None:
    props = json_schema()["$defs"]["ComponentSpec"]["properties"]
    assert props["ignore_calls"]["type"] == "array"
    assert props["entrypoint"]["anyOf"][0] == {"type": "boolean"}
    assert props["tooling"]["anyOf"][0] == {"type": "boolean"}
