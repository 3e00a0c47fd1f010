"""Helm charts rendered offline as a registered reader (sources/helm.py, sources/readers/helm.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import redline
from redline.model import SkipKind, System
from redline.sources import helm
from tests.conftest import samples_dir

pytest.importorskip("helm_python", reason="needs redline[helm] (helm-python-sdk)")

CHART = """\
apiVersion: v2
name: shop
version: 0.1.0
"""
VALUES = """\
api:
  name: api
  port: 8080
"""
WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx
          env:
            - name: API_URL
              value: "http://{{ .Values.api.name }}:{{ .Values.api.port }}/v1"
"""
API = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Values.api.name }}
  labels: {app: api}
spec:
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: api
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Values.api.name }}
spec:
  selector: {app: api}
  ports: [{port: {{ .Values.api.port }}}]
"""


def _chart(tmp_path: Path, **templates: str) -> Path:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART, encoding="utf-8")
    (chart / "values.yaml").write_text(VALUES, encoding="utf-8")
    for name, text in templates.items():
        (chart / "templates" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return chart


def _edges(system: System) -> list[tuple[str, str, str, str]]:
    return [(e.from_, e.to, e.evidence[0].reason, str(e.evidence[0].source)) for e in system.edges]


def test_a_chart_renders_and_evidence_cites_the_template_and_the_values_key(tmp_path: Path) -> None:
    _chart(tmp_path, web=WEB, api=API)
    system = redline.scan(tmp_path)
    assert sorted(c.name for c in system.components) == ["api", "web"]
    assert _edges(system) == [
        (
            "web",
            "api",
            "env API_URL=http://api:8080/v1; from values.yaml keys api.name, api.port (web.yaml template line 13)",
            "chart/templates/web.yaml:12",
        )
    ]
    assert [(f.file, f.as_) for f in system.files] == [
        ("chart/templates/api.yaml", "kubernetes"),
        ("chart/templates/web.yaml", "kubernetes"),
    ]
    assert not any("helm template output" in str(e.evidence) for e in system.edges)


def test_values_files_and_set_override_the_defaults_in_order(tmp_path: Path) -> None:
    _chart(tmp_path, web=WEB, api=API)
    override = tmp_path / "prod.yaml"
    override.write_text("api:\n  name: backend\n  port: 9000\n", encoding="utf-8")
    system = redline.scan(tmp_path / "chart", helm_values=[override], helm_set=["api.port=7000"])
    assert sorted(c.name for c in system.components) == ["backend", "web"]
    (edge,) = system.edges
    assert edge.evidence[0].reason.startswith("env API_URL=http://backend:7000/v1; from values keys api.name")


def test_a_render_error_names_the_template_and_line(tmp_path: Path) -> None:
    _chart(tmp_path, web=WEB, broken='kind: x\nmetadata:\n  name: {{ required "give me" .Values.nope }}\n')
    system = redline.scan(tmp_path)
    (skip,) = [s for s in system.skipped if s.kind.gates]
    assert (skip.file, skip.line, skip.kind) == ("chart/templates/broken.yaml", 3, SkipKind.UNREADABLE)
    assert "give me" in skip.reason
    assert system.components == []


def test_a_template_that_never_ends_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helm, "RENDER_TIMEOUT_S", 1.0)
    endless = "{{- range $i := until 2000000000 }}{{ $i }}{{- end }}\n"
    _chart(tmp_path, web=WEB, loop=endless)
    system = redline.scan(tmp_path)
    assert [(s.file, s.kind, s.reason) for s in system.skipped] == [
        ("chart/", SkipKind.UNREADABLE, "Helm chart: rendering took longer than 1 s; stopped")
    ]


def test_without_a_renderer_the_chart_is_not_rendered_and_says_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(helm, "_engine", lambda: None)
    _chart(tmp_path, web=WEB, api=API)
    system = redline.scan(tmp_path)
    assert [(s.file, s.kind, s.reason) for s in system.skipped] == [
        (
            "chart/",
            SkipKind.NOT_RENDERED,
            "Helm chart (2 templates) not rendered (no renderer: pip install 'redline[helm]' "
            "(or put a `helm` binary on PATH)); or run `helm template chart/` and scan the output",
        )
    ]


def test_helm_test_hooks_are_not_deployed(tmp_path: Path) -> None:
    hook = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n"
        "spec:\n  containers: [{name: t, image: busybox, command: [wget, 'http://api:8080']}]\n"
    )
    _chart(tmp_path, api=API, hook=hook)
    system = redline.scan(tmp_path)
    assert sorted(c.name for c in system.components) == ["api"]
    assert ("chart/templates/hook.yaml", SkipKind.IGNORED) in [(s.file, s.kind) for s in system.skipped]


@pytest.mark.samples
def test_online_boutique_chart_scans_like_its_manifests() -> None:
    """Same components and runtime calls, except loadgenerator: the chart deploys it (values.yaml
    loadGenerator.create: true) while kubernetes-manifests/kustomization.yaml does not list it."""
    chart = redline.scan(samples_dir("online-boutique", "helm-chart"))
    manifests = redline.scan(samples_dir("online-boutique", "kubernetes-manifests"))

    def calls(s: System) -> set[tuple[str, str]]:
        return {(e.from_, e.to) for e in s.edges if not e.startup_only}

    assert {c.name for c in chart.components} - {c.name for c in manifests.components} == {"loadgenerator"}
    assert {c.name for c in manifests.components} <= {c.name for c in chart.components}
    assert calls(chart) - calls(manifests) == {("loadgenerator", "frontend")}
    assert calls(manifests) <= calls(chart)
    edge = next(e for e in chart.edges if (e.from_, e.to) == ("frontend", "cartservice"))
    assert [(ev.reason, str(ev.source)) for ev in edge.evidence] == [
        (
            "env CART_SERVICE_ADDR=cartservice:7070; from values.yaml key cartService.name "
            "(frontend.yaml template line 100)",
            "templates/frontend.yaml:79",
        )
    ]


@pytest.mark.samples
@pytest.mark.parametrize(
    ("chart", "expected"),
    [
        (("online-boutique", "helm-chart"), None),
        # rendered without its remote nginx-ingress dependency, which is named
        (
            ("sock-shop", "deploy", "kubernetes", "helm-chart"),
            "dependency nginx-ingress (repository https://helm.nginx.com/stable)",
        ),
        # its five file:// dependencies are resolved from src/<svc>/chart
        (("retail-store-sample-app", "src", "app", "chart"), None),
        (("retail-store-sample-app", "src", "cart", "chart"), None),
        # its Chart.yaml names bitnami charts that charts/ does not hold: all off by condition, left out
        (("deathstarbench", "socialNetwork", "helm-chart", "socialnetwork"), None),
        (("deathstarbench", "hotelReservation", "helm-chart", "hotelreservation"), None),
        (("deathstarbench", "mediaMicroservices", "helm-chart", "mediamicroservices"), None),
    ],
)
def test_every_sample_chart_renders_or_says_why_not(chart: tuple[str, ...], expected: str | None) -> None:
    system = redline.scan(samples_dir(*chart))
    gates = [s for s in system.skipped if s.kind.gates]
    assert system.components
    if expected is None:
        assert gates == []
    else:
        assert [(s.file, s.kind) for s in gates] == [("./", SkipKind.NOT_RENDERED)]
        assert expected in gates[0].reason and "helm dependency build" in gates[0].reason


def test_a_secret_value_generated_at_render_time_is_not_a_committed_value(tmp_path: Path) -> None:
    """Regression: retail-store's orders chart renders `randAlphaNum` into a Secret; review's SE019
    reported it as a value committed to the repository."""
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n"
        "  USER: {{ .Values.api.name | b64enc | quote }}\n  PASSWORD: {{ randAlphaNum 16 | b64enc | quote }}\n"
    )
    _chart(tmp_path, secret=secret)
    system = redline.scan(tmp_path)
    (obj,) = [o for o in system.objects if o.kind == "Secret"]
    assert obj.spec["data"] == {"USER": "YXBp", "PASSWORD": helm.GENERATED}


# ------------------------------------------------------------------ dependencies (helm dependency build)

SUB_CHART = "apiVersion: v2\nname: api-chart\nversion: 0.1.0\n"


def _umbrella(tmp_path: Path, dependencies: str, values: str = "") -> Path:
    """repo/app/chart depends on repo/api/chart by file:// (alias api); it has no templates itself."""
    chart = tmp_path / "repo" / "app" / "chart"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART + "dependencies:\n" + dependencies, encoding="utf-8")
    (chart / "values.yaml").write_text(values, encoding="utf-8")
    sub = tmp_path / "repo" / "api" / "chart"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text(SUB_CHART, encoding="utf-8")
    (sub / "values.yaml").write_text(VALUES, encoding="utf-8")
    (sub / "templates" / "api.yaml").write_text(API, encoding="utf-8")
    (sub / "templates" / "web.yaml").write_text(WEB, encoding="utf-8")
    return chart


FILE_DEP = "  - {name: api-chart, alias: api, version: 0.1.0, repository: 'file://../../api/chart'}\n"


def test_a_file_dependency_is_rendered_from_its_folder_and_cited_there(tmp_path: Path) -> None:
    chart = _umbrella(tmp_path, FILE_DEP)
    system = redline.scan(chart)
    assert [s for s in system.skipped if s.kind.gates] == []
    assert _edges(system) == [
        (
            "web",
            "api",
            # the subchart's values lie under its alias in the umbrella's values
            "env API_URL=http://api:8080/v1; from values.yaml keys api.api.name, api.api.port "
            "(web.yaml template line 13)",
            "../../api/chart/templates/web.yaml:12",
        )
    ]
    assert "Helm chart dependencies resolved offline: api from file://../../api/chart (../../api/chart)" in [
        w.message for w in system.warnings
    ]
    assert not (chart / "charts").exists()  # the user's chart is never written to
    assert sorted(p.name for p in chart.iterdir()) == ["Chart.yaml", "values.yaml"]


def test_a_file_dependency_that_is_not_there_is_not_rendered_and_named(tmp_path: Path) -> None:
    chart = _umbrella(tmp_path, FILE_DEP.replace("../../api/chart", "../../gone/chart"))
    system = redline.scan(chart)
    assert [(s.file, s.kind, s.reason) for s in system.skipped if s.kind.gates] == [
        (
            "./",
            SkipKind.NOT_RENDERED,
            "Helm chart: dependency api (file://../../gone/chart) holds no Chart.yaml: its objects are not "
            "in this scan",
        )
    ]


REMOTE_DEP = (
    "  - {name: redis, version: 17.3.7, repository: 'https://charts.bitnami.com/bitnami', "
    "condition: redis.enabled}\n"
)


def test_a_remote_dependency_off_by_condition_is_left_out(tmp_path: Path) -> None:
    chart = _umbrella(tmp_path, FILE_DEP + REMOTE_DEP, "redis:\n  enabled: false\n")
    system = redline.scan(chart)
    assert [s for s in system.skipped if s.kind.gates] == []
    assert [(e.from_, e.to) for e in system.edges] == [("web", "api")]
    assert (
        "Helm chart dependencies resolved offline: api from file://../../api/chart (../../api/chart); "
        "redis left out: condition redis.enabled is false (it renders nothing)"
    ) in [w.message for w in system.warnings]


def test_an_enabled_remote_dependency_is_named_and_the_rest_rendered(tmp_path: Path) -> None:
    """Enabled by --set over values.yaml's false: it cannot be fetched, the file:// one still renders."""
    chart = _umbrella(tmp_path, FILE_DEP + REMOTE_DEP, "redis:\n  enabled: false\n")
    system = redline.scan(chart, helm_set=("redis.enabled=true",))
    assert [(s.file, s.kind, s.reason) for s in system.skipped if s.kind.gates] == [
        (
            "./",
            SkipKind.NOT_RENDERED,
            "Helm chart: dependency redis (repository https://charts.bitnami.com/bitnami) is not in charts/ "
            "and cannot be fetched offline: its objects are not in this scan; run `helm dependency build`",
        )
    ]
    assert [(e.from_, e.to) for e in system.edges] == [("web", "api")]


@pytest.mark.samples
def test_retail_umbrella_chart_renders_its_file_dependencies() -> None:
    """src/app/chart's five `file://../../<svc>/chart` dependencies (Chart.yaml:6-25), as after
    `helm dependency build`: ui's endpoints come from the umbrella's values, cited in ui's own chart."""
    system = redline.scan(samples_dir("retail-store-sample-app", "src", "app", "chart"))
    edge = next(e for e in system.edges if (e.from_, e.to) == ("ui", "carts"))
    assert [(ev.kind, ev.reason, str(ev.source)) for ev in edge.evidence] == [
        (
            "config",
            "env RETAIL_UI_ENDPOINTS_CARTS=http://carts:80 (from ConfigMap ui); from values.yaml key "
            "ui.app.endpoints.carts (configmap.yml template line 37)",
            "../../ui/chart/templates/configmap.yml:8",
        )
    ]
    assert sorted((e.from_, e.to) for e in system.edges if not e.startup_only) == [
        ("ui", "carts"),
        ("ui", "catalog"),
        ("ui", "checkout"),
        ("ui", "orders"),
    ]


@pytest.mark.samples
def test_sock_shop_chart_reads_command_flags_without_its_remote_ingress_controller() -> None:
    """Rendered without nginx-ingress (remote, skipped by name); catalogue's `-DSN=...@tcp(host:3306)/x`
    and user's `-mongo-host=host:27017` arguments name their databases."""
    system = redline.scan(samples_dir("sock-shop", "deploy", "kubernetes", "helm-chart"))
    edges = {(e.from_, e.to): e for e in system.edges}
    assert [(ev.kind, ev.reason, str(ev.source)) for ev in edges[("catalogue", "catalogue-db")].evidence] == [
        (
            "env",
            "argument -DSN=catalogue_user:de****@tcp(catalogue-db.default.svc.cluster.local:3306)/socksdb",
            "templates/catalogue-dep.yaml:24",
        )
    ]
    assert (
        "env",
        "argument -mongo-host=user-db.default.svc.cluster.local:27017",
        "templates/user-dep.yaml:26",
    ) in [(ev.kind, ev.reason, str(ev.source)) for ev in edges[("user", "user-db")].evidence]


@pytest.mark.samples
def test_media_microservices_git_clone_in_an_init_container_is_a_startup_fetch() -> None:
    """Regression: nginx-web-server's init container runs `git clone https://github.com/...`
    (charts/nginx-web-server/values.yaml:34): a start-up fetch, not a runtime call."""
    system = redline.scan(
        samples_dir("deathstarbench", "mediaMicroservices", "helm-chart", "mediamicroservices")
    )
    (edge,) = [e for e in system.edges if e.to == "github.com"]
    assert (edge.from_, edge.startup_only) == ("nginx-web-server", True)
    assert [(ev.kind, ev.reason, str(ev.source)) for ev in edge.evidence] == [
        (
            "startup",
            "init container alpine-container at start-up: argument https://github.com/dimoibiehg/DeathStarBench.git",
            "charts/nginx-web-server/templates/deployment.yaml:49",
        )
    ]
    assert system.component("github.com").kind == redline.Kind.EXTERNAL
