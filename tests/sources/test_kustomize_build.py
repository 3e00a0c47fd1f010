"""kustomize overlays built as ``kustomize build`` builds them, with every changed value citing its file:line.

Each fixture states what kustomize's documentation says the build gives; the samples test compares
Online Boutique's kustomize entry point with its release rendering (kubernetes-manifests/).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import redline
from redline.model import Component, Source, System
from redline.sources import kustomize
from redline.sources.diagnostics import Collector
from redline.sources.yamlio import load_documents
from tests.conftest import OB_SERVICES, samples_dir

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: example/{name}:1.0
          env:
            - name: LOG_LEVEL
              value: info
            - name: DB_HOST
              value: db
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports:
    - port: 80
"""


NO_ENV = (
    "          env:\n            - name: LOG_LEVEL\n              value: info\n"
    "            - name: DB_HOST\n              value: db\n"
)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def base(root: Path) -> None:
    write(
        root,
        {
            "base/kustomization.yaml": "resources:\n  - api.yaml\n  - db.yaml\n",
            "base/api.yaml": DEPLOY.format(name="api") + "---\n" + SERVICE.format(name="api"),
            "base/db.yaml": DEPLOY.format(name="db")
            .replace("example/db:1.0", "postgres:16")
            .replace(NO_ENV, "")
            + "---\n"
            + SERVICE.format(name="db"),
        },
    )


def component(system: System, name: str) -> Component:
    found = system.component(name)
    assert found is not None, [c.name for c in system.components]
    return found


def messages(system: System) -> list[tuple[str, int | None, str]]:
    return [(w.file, w.line, w.message) for w in system.warnings]


def build(root: Path, kfile: str) -> tuple[kustomize.Build, Collector]:
    """The builder alone, reading real files (no scan around it)."""
    out = Collector()
    files = kustomize.Files(
        docs=lambda p: list(load_documents(p.read_text())),
        text=lambda p: p.read_text(),
        rel=lambda p: p.relative_to(root).as_posix(),
    )
    return kustomize.build((root / kfile).resolve(), files, out), out


# ------------------------------------------------------------------------------------------- overlays


def test_overlay_replicas_images_and_namespace_cite_the_overlay(tmp_path: Path) -> None:
    base(tmp_path)
    write(
        tmp_path,
        {
            "overlays/prod/kustomization.yaml": (
                "namespace: prod\n"  # 1
                "resources:\n"  # 2
                "  - ../../base\n"  # 3
                "replicas:\n"  # 4
                "  - name: api\n"  # 5
                "    count: 5\n"  # 6
                "images:\n"  # 7
                "  - name: example/api\n"  # 8
                "    newTag: '2.1'\n"  # 9
            )
        },
    )
    (tmp_path / ".git").mkdir()
    system = redline.scan(tmp_path / "overlays" / "prod")
    api = component(system, "api")
    assert (api.namespace, api.replicas, api.image) == ("prod", 5, "example/api:2.1")
    assert api.source == Source(file="base/api.yaml", line=1)
    assert api.provenance["replicas"].source == Source(file="overlays/prod/kustomization.yaml", line=6)
    assert api.provenance["replicas"].overrode == "base/api.yaml:6 said 2"
    assert api.provenance["image"].source == Source(file="overlays/prod/kustomization.yaml", line=9)
    assert api.provenance["image"].overrode == "base/api.yaml:15 said example/api:1.0"
    db = component(system, "db")
    assert (db.replicas, db.image, "replicas" in db.provenance) == (2, "postgres:16", False)
    edge = next(e for e in system.edges if (e.from_, e.to) == ("api", "db"))
    assert (edge.evidence[0].reason, edge.evidence[0].source) == (
        "env DB_HOST=db",
        Source(file="base/api.yaml", line=19),
    )
    assert (
        "overlays/prod/kustomization.yaml",
        None,
        "built as `kustomize build` would (namespace, replicas, images): 4 objects from 2 files, "
        "by redline's own builder (no kustomize or kubectl binary is run)",
    ) in messages(system)


def test_name_prefix_renames_objects_but_not_hosts_in_env_values(tmp_path: Path) -> None:
    """kustomize renames metadata.name and the references it knows (configMapRef, Ingress backends, HPA
    targets) but never a host inside an env value: api's DB_HOST=db now names no Service."""
    base(tmp_path)
    write(
        tmp_path,
        {
            "kustomization.yaml": "namePrefix: prod-\nresources:\n  - base\n  - hpa.yaml\n",
            "hpa.yaml": (
                "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api}\n"
                "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n"
                "  minReplicas: 2\n  maxReplicas: 9\n"
            ),
        },
    )
    system = redline.scan(tmp_path)
    assert sorted(c.name for c in system.components) == ["prod-api", "prod-db"]
    assert not system.edges
    (unresolved,) = system.unresolved
    assert (unresolved.from_, unresolved.host, unresolved.source) == (
        "prod-api",
        "db",
        Source(file="base/api.yaml", line=19),
    )
    api = component(system, "prod-api")
    assert api.autoscaling is not None and api.autoscaling.max_replicas == 9  # the HPA target was renamed


def test_strategic_merge_patch_merges_containers_and_env_by_name(tmp_path: Path) -> None:
    base(tmp_path)
    write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [base]\npatches:\n  - path: patch.yaml\n",
            "patch.yaml": (
                "apiVersion: apps/v1\n"  # 1
                "kind: Deployment\n"  # 2
                "metadata:\n"  # 3
                "  name: api\n"  # 4
                "spec:\n"  # 5
                "  replicas: 3\n"  # 6
                "  template:\n"  # 7
                "    spec:\n"  # 8
                "      containers:\n"  # 9
                "        - name: api\n"  # 10
                "          env:\n"  # 11
                "            - name: DB_HOST\n"  # 12
                "              value: cache\n"  # 13
                "            - name: LOG_LEVEL\n"  # 14
                "              $patch: delete\n"  # 15
                "        - name: sidecar\n"  # 16
                "          image: example/proxy:1\n"  # 17
                "---\n"
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: cache\nspec:\n  selector: {app: db}\n"
            ),
        },
    )
    system = redline.scan(tmp_path)
    api = component(system, "api")
    assert api.replicas == 3
    assert api.provenance["replicas"].source == Source(file="patch.yaml", line=6)
    assert api.provenance["replicas"].overrode == "base/api.yaml:6 said 2"
    main, sidecar = api.containers
    assert [(e.name, e.value, e.source) for e in main.env] == [
        ("DB_HOST", "cache", Source(file="patch.yaml", line=12))
    ]
    assert main.image == "example/api:1.0" and main.source == Source(file="base/api.yaml", line=14)
    assert (sidecar.name, sidecar.image, sidecar.source) == (
        "sidecar",
        "example/proxy:1",
        Source(file="patch.yaml", line=16),
    )
    # The patch file's second document does not target an object in the build.
    assert ("patch.yaml", 19, "patch targets nothing: no Service cache in the build") in messages(system)


def test_patch_directives_delete_an_object_and_replace_a_map(tmp_path: Path) -> None:
    base(tmp_path)
    write(
        tmp_path,
        {
            "kustomization.yaml": (
                "resources: [base]\n"
                "patchesStrategicMerge:\n"
                "  - |-\n"
                "    apiVersion: apps/v1\n"
                "    kind: Deployment\n"
                "    metadata:\n"
                "      name: db\n"
                "    $patch: delete\n"
                "  - |-\n"
                "    apiVersion: apps/v1\n"
                "    kind: Deployment\n"
                "    metadata: {name: api}\n"
                "    spec:\n"
                "      selector:\n"
                "        $patch: replace\n"
                "        matchLabels: {tier: web}\n"
            )
        },
    )
    b, out = build(tmp_path, "kustomization.yaml")
    assert [(o.kind, o.name) for o in b.objects] == [
        ("Deployment", "api"),
        ("Service", "api"),
        ("Service", "db"),
    ]
    api = b.objects[0].doc
    assert api["spec"]["selector"] == {"matchLabels": {"tier": "web"}}
    assert b.applied == ["patchesStrategicMerge"]
    assert not out.warnings


def test_json6902_patches_add_replace_remove_and_a_bad_path_costs_only_that_patch(tmp_path: Path) -> None:
    base(tmp_path)
    write(
        tmp_path,
        {
            "kustomization.yaml": (
                "resources: [base]\n"  # 1
                "patches:\n"  # 2
                "  - target: {kind: Deployment, name: api}\n"  # 3
                "    patch: |-\n"  # 4
                "      - op: add\n"  # 5
                "        path: /spec/template/spec/containers/0/env/-\n"  # 6
                "        value: {name: CACHE_ADDR, value: 'db:6379'}\n"  # 7
                "      - op: replace\n"  # 8
                "        path: /spec/replicas\n"  # 9
                "        value: 4\n"  # 10
                "      - op: remove\n"  # 11
                "        path: /spec/template/spec/containers/0/env/0\n"  # 12
                "patchesJson6902:\n"  # 13
                "  - target: {group: apps, version: v1, kind: Deployment, name: db}\n"  # 14
                "    patch: |-\n"  # 15
                "      - op: replace\n"  # 16
                "        path: /spec/replicas\n"  # 17
                "        value: 7\n"  # 18
                "      - op: replace\n"  # 19
                "        path: /spec/template/spec/containers/3/image\n"  # 20
                "        value: x\n"  # 21
            )
        },
    )
    system = redline.scan(tmp_path)
    api = component(system, "api")
    assert api.replicas == 4
    assert api.provenance["replicas"].source == Source(file="kustomization.yaml", line=10)
    assert [(e.name, e.value, e.source) for e in api.containers[0].env] == [
        ("DB_HOST", "db", Source(file="base/api.yaml", line=19)),
        ("CACHE_ADDR", "db:6379", Source(file="kustomization.yaml", line=7)),
    ]
    assert component(system, "db").replicas == 2  # the whole patch is refused (RFC 6902: all or nothing)
    assert (
        "kustomization.yaml",
        19,
        "JSON 6902 patch on Deployment db: no /spec/template/spec/containers/3 in the target (the list has 1 "
        "items); not applied",
    ) in messages(system)


def test_patch_target_patterns_and_label_selectors(tmp_path: Path) -> None:
    base(tmp_path)
    write(
        tmp_path,
        {
            "kustomization.yaml": (
                "resources: [base]\n"
                "patches:\n"
                "  - target: {kind: Deployment, name: 'a.*|db'}\n"
                "    patch: '[{op: add, path: /metadata/annotations, value: {hit: all}}]'\n"
                "  - target: {labelSelector: 'app in (db),!gone'}\n"
                "    patch: '[{op: add, path: /metadata/labels/hit, value: db}]'\n"
                "  - target: {kind: Service, name: '(x+)+y'}\n"
                "    patch: '[{op: add, path: /metadata/labels/hit, value: never}]'\n"
            )
        },
    )
    write(
        tmp_path,
        {
            "base/db.yaml": (tmp_path / "base/db.yaml")
            .read_text()
            .replace("  name: db\n", "  name: db\n  labels: {app: db}\n", 1)
        },
    )
    b, out = build(tmp_path, "kustomization.yaml")
    annotated = [(o.kind, o.name) for o in b.objects if o.doc["metadata"].get("annotations")]
    assert annotated == [("Deployment", "api"), ("Deployment", "db")]
    labelled = [(o.kind, o.name) for o in b.objects if o.doc["metadata"].get("labels", {}).get("hit")]
    assert labelled == [("Deployment", "db")]
    assert [(w.file, w.line, w.message) for w in out.warnings] == [
        (
            "kustomization.yaml",
            7,
            "patch targets nothing: no object with kind=Service, name=(x+)+y in the build",
        )
    ]


def test_target_patterns_take_linear_time() -> None:
    start = time.perf_counter()
    for _ in range(200):
        assert not kustomize._matches(".*a.*a.*a.*a.*a.*b", "a" * 253)
    assert time.perf_counter() - start < 1.0


def test_common_labels_change_selectors_and_labels_without_include_selectors_do_not(tmp_path: Path) -> None:
    base(tmp_path)
    write(
        tmp_path,
        {
            "kustomization.yaml": (
                "resources: [base]\n"
                "commonLabels: {team: shop}\n"
                "labels:\n"
                "  - pairs: {env: prod}\n"
                "  - pairs: {tier: web}\n"
                "    includeTemplates: true\n"
                "commonAnnotations: {owner: ops}\n"
            )
        },
    )
    b, out = build(tmp_path, "kustomization.yaml")
    api, svc = b.objects[0].doc, b.objects[1].doc
    assert api["metadata"]["labels"] == {"team": "shop", "env": "prod", "tier": "web"}
    assert api["spec"]["selector"]["matchLabels"] == {"app": "api", "team": "shop"}
    assert api["spec"]["template"]["metadata"]["labels"] == {"app": "api", "team": "shop", "tier": "web"}
    assert api["spec"]["template"]["metadata"]["annotations"] == {"owner": "ops"}
    assert svc["spec"]["selector"] == {"app": "api", "team": "shop"}
    assert api["spec"]["selector"]["matchLabels"].key_files == {"team": "kustomization.yaml"}
    assert not out.warnings
    # The Services still select their pods: the edge survives the new selector labels.
    system = redline.scan(tmp_path)
    assert [(e.from_, e.to) for e in system.edges] == [("api", "db")]


def test_config_map_generator_feeds_env_from(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": (
                "resources: [api.yaml, db.yaml]\n"  # 1
                "namePrefix: shop-\n"  # 2
                "configMapGenerator:\n"  # 3
                "  - name: api-config\n"  # 4
                "    envs: [api.env]\n"  # 5
                "  - name: flags\n"  # 6
                "    literals:\n"  # 7
                "      - QUEUE_URL=amqp://mq:5672\n"  # 8
            ),
            "api.env": "# settings\nDB_HOST=shop-db\nLOG_LEVEL=info\n",
            "api.yaml": DEPLOY.format(name="api").replace(
                NO_ENV, "          envFrom:\n            - configMapRef: {name: api-config}\n"
            ),
            "db.yaml": DEPLOY.format(name="db").replace(NO_ENV, "") + "---\n" + SERVICE.format(name="db"),
        },
    )
    system = redline.scan(tmp_path)
    config = next(o for o in system.objects if o.kind == "ConfigMap" and o.name == "shop-api-config")
    assert config.source == Source(file="api.env", line=1)
    api = component(system, "shop-api")
    edge = next(e for e in system.edges if (e.from_, e.to) == ("shop-api", "shop-db"))
    assert [(ev.kind, ev.source) for ev in edge.evidence] == [("config", Source(file="api.env", line=2))]
    assert {c.name for c in system.components} == {"shop-api", "shop-db"}
    flags = next(o for o in system.objects if o.kind == "ConfigMap" and o.name == "shop-flags")
    assert (flags.spec["data"], flags.source) == (
        {"QUEUE_URL": "amqp://mq:5672"},
        Source(file="kustomization.yaml", line=6),
    )
    assert api.name == "shop-api"


def test_components_apply_only_where_listed(tmp_path: Path) -> None:
    base(tmp_path)
    write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [base]\ncomponents: [components/cache]\n",
            "components/cache/kustomization.yaml": (
                "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
                "kind: Component\n"
                "resources: [cache.yaml]\n"
                "patches:\n"
                "  - patch: |-\n"
                "      apiVersion: apps/v1\n"
                "      kind: Deployment\n"
                "      metadata: {name: api}\n"
                "      spec:\n"
                "        template:\n"
                "          spec:\n"
                "            containers:\n"
                "              - name: api\n"
                "                env:\n"
                "                  - {name: CACHE_ADDR, value: 'cache:6379'}\n"
            ),
            "components/cache/cache.yaml": DEPLOY.format(name="cache").replace("example/cache:1.0", "redis:7")
            + "---\n"
            + SERVICE.format(name="cache"),
            "components/other/kustomization.yaml": "kind: Component\nresources: [other.yaml]\n",
            "components/other/other.yaml": DEPLOY.format(name="other"),
        },
    )
    system = redline.scan(tmp_path)
    assert sorted(c.name for c in system.components) == ["api", "cache", "db"]
    edge = next(e for e in system.edges if (e.from_, e.to) == ("api", "cache"))
    assert edge.evidence[0].source == Source(file="components/cache/kustomization.yaml", line=15)
    reasons = {s.file: s.reason for s in system.skipped}
    assert "opt-in" in reasons["components/other/other.yaml"]


def test_bad_input_warns_with_file_and_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": (
                "resources:\n"  # 1
                "  - missing.yaml\n"  # 2
                "  - loop\n"  # 3
                "replicas:\n"  # 4
                "  - {name: nobody, count: 2}\n"  # 5
                "patches:\n"  # 6
                "  - path: nowhere.yaml\n"  # 7
            ),
            "loop/kustomization.yaml": "resources: [../other]\n",
            "other/kustomization.yaml": "resources: [../loop]\n",
        },
    )
    b, out = build(tmp_path, "kustomization.yaml")
    assert b.objects == []
    assert [(w.file, w.line, w.message) for w in out.warnings] == [
        ("kustomization.yaml", 2, "resource missing.yaml: no such file or folder; not read"),
        (
            "loop/kustomization.yaml",
            None,
            "kustomization cycle (loop/kustomization.yaml -> other/kustomization.yaml -> "
            "loop/kustomization.yaml): not followed again",
        ),
        ("kustomization.yaml", 7, "patch nowhere.yaml: no such file; not applied"),
        (
            "kustomization.yaml",
            5,
            "replicas: no Deployment, StatefulSet, ReplicaSet or ReplicationController named nobody in the "
            "build; not applied",
        ),
    ]


def test_a_kustomization_below_another_that_does_not_include_it_is_not_built(tmp_path: Path) -> None:
    base(tmp_path)
    write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [base]\n",
            "tests/extra/kustomization.yaml": "resources: [../../base, extra.yaml]\n",
            "tests/extra/extra.yaml": DEPLOY.format(name="extra"),
        },
    )
    system = redline.scan(tmp_path)
    assert sorted(c.name for c in system.components) == ["api", "db"]
    reasons = {s.file: s.reason for s in system.skipped}
    assert reasons["tests/extra/extra.yaml"] == (
        "listed by tests/extra/kustomization.yaml, which kustomization.yaml does not include "
        "(an alternative build: scan its folder to read it)"
    )


# -------------------------------------------------------------------------------------------- samples


@pytest.mark.samples
def test_online_boutique_kustomize_builds_what_its_release_rendering_holds() -> None:
    """kustomize/kustomization.yaml lists only base (every Component line is commented out), so its build
    is base/*.yaml as written. kubernetes-manifests/ holds the same objects, except that its
    kustomization.yaml leaves loadgenerator.yaml out: loadgenerator and its call to frontend are the one
    difference. tests/*/kustomization.yaml (kustomize/tests) are alternative builds, not read."""
    built = redline.scan(samples_dir("online-boutique", "kustomize"))
    rendered = redline.scan(samples_dir("online-boutique", "kubernetes-manifests"))
    names = {c.name for c in built.components}
    assert names == OB_SERVICES | {"redis-cart", "loadgenerator"}
    assert names - {c.name for c in rendered.components} == {"loadgenerator"}
    pairs = {(e.from_, e.to) for e in built.edges if not e.startup_only}
    assert pairs - {(e.from_, e.to) for e in rendered.edges} == {("loadgenerator", "frontend")}
    assert len(pairs) == 16
    cart = component(built, "cartservice")
    assert cart.source == Source(file="base/cartservice.yaml", line=15)
    reasons = {s.file: s.reason for s in built.skipped}
    assert "alternative build" in reasons["tests/spanner-with-all-components/kustomization.yaml"]
    assert "opt-in" in reasons["components/google-cloud-operations/otel-collector.yaml"]
    assert "opentelemetrycollector" not in names


@pytest.mark.samples
def test_online_boutique_memorystore_test_build_applies_its_components() -> None:
    """kustomize/tests/memorystore-with-all-components lists four Components: memorystore deletes
    redis-cart (Deployment and Service) and points REDIS_ADDR at a placeholder; google-cloud-operations
    adds the OpenTelemetry collector that four services now call."""
    root = samples_dir("online-boutique", "kustomize").resolve()
    out = Collector()
    files = kustomize.Files(
        docs=lambda p: list(load_documents(p.read_text())),
        text=lambda p: p.read_text(),
        rel=lambda p: p.relative_to(root).as_posix(),
    )
    b = kustomize.build(root / "tests/memorystore-with-all-components/kustomization.yaml", files, out)
    deployments = {o.name for o in b.objects if o.kind == "Deployment"}
    assert "redis-cart" not in deployments and "opentelemetrycollector" in deployments
    cart = next(o for o in b.objects if (o.kind, o.name) == ("Deployment", "cartservice"))
    (env,) = [
        e for e in cart.doc["spec"]["template"]["spec"]["containers"][0]["env"] if e["name"] == "REDIS_ADDR"
    ]
    assert (env["value"], env.key_files["name"], env.key_lines["name"]) == (
        "REDIS_CONNECTION_STRING",
        "components/memorystore/kustomization.yaml",
        30,
    )
    assert sum(o.kind == "NetworkPolicy" for o in b.objects) == 13


@pytest.mark.samples
def test_online_boutique_overlay_with_components_scans_to_its_build() -> None:
    """Scanning kustomize/tests/memorystore-with-all-components (its base and Components lie above it,
    inside --root): google-cloud-operations adds the collector and its patches add
    COLLECTOR_SERVICE_ADDR=opentelemetrycollector:4317 to seven services, cited at the patch lines;
    memorystore deletes redis-cart and sets REDIS_ADDR to a placeholder that names no host."""
    kdir = samples_dir("online-boutique", "kustomize")
    system = redline.scan(kdir / "tests" / "memorystore-with-all-components", repo_root=kdir)
    names = {c.name for c in system.components}
    assert names == OB_SERVICES | {"loadgenerator", "opentelemetrycollector"}
    callers = {
        e.from_: e.evidence[0].source
        for e in system.edges
        if e.to == "opentelemetrycollector" and not e.startup_only
    }
    gco = "components/google-cloud-operations/kustomization.yaml"
    assert callers == {
        "checkoutservice": Source(file=gco, line=33),
        "currencyservice": Source(file=gco, line=53),
        "emailservice": Source(file=gco, line=73),
        "frontend": Source(file=gco, line=95),
        "paymentservice": Source(file=gco, line=113),
        "productcatalogservice": Source(file=gco, line=133),
        "recommendationservice": Source(file=gco, line=153),
    }
    cart = component(system, "cartservice")
    (redis_addr,) = [e for e in cart.containers[0].env if e.name == "REDIS_ADDR"]
    assert (redis_addr.value, redis_addr.source) == (
        "REDIS_CONNECTION_STRING",
        Source(file="components/memorystore/kustomization.yaml", line=30),
    )
    assert not [e for e in system.edges if e.from_ == "cartservice"]
    assert sum(o.kind == "NetworkPolicy" for o in system.objects) == 13


def test_a_broken_file_of_an_enabled_component_is_unreadable_not_opt_in(tmp_path: Path) -> None:
    """A Component the kustomization lists is part of the build: its broken file gates, as `kubectl
    apply -k` would fail on it (it used to be skipped as opt-in even when listed)."""
    write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [app.yaml]\ncomponents: [extra]\n",
            "app.yaml": DEPLOY.format(name="app"),
            "extra/kustomization.yaml": "kind: Component\nresources: [broken.yaml]\n",
            "extra/broken.yaml": "kind: [\n",
        },
    )
    system = redline.scan(tmp_path)
    assert [(s.file, s.kind.value) for s in system.skipped] == [("extra/broken.yaml", "unreadable")]
    assert [c.name for c in system.components] == ["app"]


def test_a_delete_directive_never_adds_what_it_deletes(tmp_path: Path) -> None:
    """A patch deleting an env var from a container with no env list must not add that variable."""
    base(tmp_path)
    write(
        tmp_path,
        {
            "kustomization.yaml": (
                "resources: [base]\n"
                "patches:\n"
                "  - patch: |-\n"
                "      kind: Deployment\n"
                "      apiVersion: apps/v1\n"
                "      metadata: {name: db}\n"
                "      spec:\n"
                "        template:\n"
                "          spec:\n"
                "            containers:\n"
                "              - name: db\n"
                "                env:\n"
                "                  - {name: DEBUG, $patch: delete}\n"
                "                  - {name: MODE, value: primary}\n"
            )
        },
    )
    b, out = build(tmp_path, "kustomization.yaml")
    db = next(o for o in b.objects if (o.kind, o.name) == ("Deployment", "db"))
    (container,) = db.doc["spec"]["template"]["spec"]["containers"]
    assert [(e["name"], e.key_lines["name"]) for e in container["env"]] == [("MODE", 14)]
    assert not out.warnings


def test_ingress_backends_follow_renamed_services(tmp_path: Path) -> None:
    base(tmp_path)
    write(
        tmp_path,
        {
            "kustomization.yaml": "nameSuffix: -v2\nresources: [base, ingress.yaml]\n",
            "ingress.yaml": (
                "apiVersion: networking.k8s.io/v1\n"
                "kind: Ingress\n"
                "metadata: {name: web}\n"
                "spec:\n"
                "  rules:\n"
                "    - http:\n"
                "        paths:\n"
                "          - path: /\n"
                "            pathType: Prefix\n"
                "            backend: {service: {name: api, port: {number: 80}}}\n"
            ),
        },
    )
    system = redline.scan(tmp_path)
    routes = [(e.from_, e.to, e.evidence[0].reason) for e in system.edges if e.from_.startswith("ingress/")]
    assert routes == [("ingress/web-v2", "api-v2", "Ingress web-v2 routes to Service api-v2")]
