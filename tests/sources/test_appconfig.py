"""Application configuration beside each service (sources/appconfig.py, sources/applit.py).

Fixtures in tests/sources/data/appconfig/ are small real-shaped repositories: a Spring service with
profiles (spring/), a .NET service with environment files (dotnet/), a Node service deployed on
Kubernetes with a URL literal and a config/ file (node/). Every edge is pinned with its file and line.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import redline
from redline.model import Edge, System
from redline.sources import applit
from redline.sources.appconfig import (
    MAX_DEPTH,
    dotnet_join,
    flatten,
    parse_json,
    parse_properties,
    parse_spring_yaml,
    profile_matches,
    resolve_placeholders,
    spring_env_name,
)
from redline.sources.diagnostics import Collector
from tests.conftest import samples_dir

DATA = Path(__file__).parent / "data" / "appconfig"
RES = "orders/src/main/resources"


def _edge(system: System, src: str, dst: str) -> Edge:
    found = [e for e in system.edges if e.from_ == src and e.to == dst]
    assert found, f"no edge {src} -> {dst}; edges: {[(e.from_, e.to) for e in system.edges]}"
    return found[0]


def _where(edge: Edge) -> list[tuple[str, str, int | None, float]]:
    return [(ev.kind, ev.source.file, ev.source.line, ev.confidence) for ev in edge.evidence]


# ------------------------------------------------------------------------------------------------------
# Spring


def test_spring_service_calls_from_application_yml_profiles_and_placeholders() -> None:
    system = redline.scan(DATA / "spring")
    db = _edge(system, "orders", "orders-db")
    assert ("config", f"{RES}/application.yml", 5, 0.85) in _where(db)
    reason = next(ev.reason for ev in db.evidence if ev.kind == "config")
    assert reason == (
        f"spring config {RES}/application.yml:5 of component orders (build.context ./orders): "
        "spring.datasource.url=jdbc:postgresql://orders-db:5432/orders "
        "[${DB_HOST} from env DB_HOST at docker-compose.yml:6]"
    )
    # A document activated by the active profile (SPRING_PROFILES_ACTIVE=docker in the Compose env).
    assert _where(_edge(system, "orders", "rabbit")) == [("config", f"{RES}/application.yml", 23, 0.8)]
    assert _where(_edge(system, "orders", "inventory")) == [("config", f"{RES}/application.yml", 25, 0.85)]
    inventory = _edge(system, "orders", "inventory").evidence[0].reason
    assert inventory.endswith("[on-profile docker (env SPRING_PROFILES_ACTIVE at docker-compose.yml:5)]")
    # application-docker.properties: a profile file, and .properties keys.
    discovery = _edge(system, "orders", "discovery")
    assert _where(discovery) == [("config", f"{RES}/application-docker.properties", 2, 0.85)]
    assert (
        "eureka.client.serviceUrl.defaultZone=http://discovery:8761/eureka/" in discovery.evidence[0].reason
    )
    assert not discovery.startup_only


def test_spring_inactive_profiles_test_resources_and_build_output_are_not_read() -> None:
    system = redline.scan(DATA / "spring")
    # payments is named only by application-prod.yml (prod is not active), src/test/resources and
    # target/classes (a build output copy): none of them is what runs.
    assert not [e for e in system.edges if e.to == "payments"]
    assert not [u for u in system.unresolved if u.host == "prod-rabbit"]


def test_an_env_var_overrides_the_spring_file() -> None:
    system = redline.scan(DATA / "spring")
    # SPRING_KAFKA_BOOTSTRAP_SERVERS in the Compose env wins over spring.kafka.bootstrap-servers in the
    # file (localhost:9092): only the env evidence remains.
    assert _where(_edge(system, "orders", "kafka")) == [("env", "docker-compose.yml", 7, 0.85)]


def test_spring_secret_values_are_not_in_evidence() -> None:
    system = redline.scan(DATA / "spring")
    assert "s3cretpassword" not in str([ev.reason for e in system.edges for ev in e.evidence])


# ------------------------------------------------------------------------------------------------------
# .NET


def test_dotnet_appsettings_and_the_environment_file() -> None:
    system = redline.scan(DATA / "dotnet")
    catalog = _edge(system, "basket", "catalog")
    assert _where(catalog) == [("config", "Basket.API/appsettings.Docker.json", 3, 0.85)]
    assert catalog.evidence[0].reason == (
        "appsettings Basket.API/appsettings.Docker.json:3 of component basket (build.context ./Basket.API): "
        "Services:CatalogUrl=http://catalog:80 [environment Docker from env ASPNETCORE_ENVIRONMENT at docker-compose.yml:6]"
    )
    assert _where(_edge(system, "basket", "redis")) == [("config", "Basket.API/appsettings.json", 4, 0.55)]
    sql = _edge(system, "basket", "sqldata")
    assert _where(sql) == [("config", "Basket.API/appsettings.json", 5, 0.85)]
    assert sql.evidence[0].reason == (
        "appsettings Basket.API/appsettings.json:5 of component basket (build.context ./Basket.API): "
        "ConnectionStrings:Sql=Server=sqldata;Database=basket;User Id=sa;Password=Pa****"
    )
    # appsettings.Development.json is for another environment.
    assert not [e for e in system.edges if e.to == "devcatalog"]


# ------------------------------------------------------------------------------------------------------
# Node on Kubernetes: folder tied by name, a URL literal, a config/ file


def test_source_literal_and_config_file_of_a_kubernetes_service() -> None:
    system = redline.scan(DATA / "node")
    cart = _edge(system, "frontend", "cart")
    assert _where(cart) == [("code", "src/frontend/server.js", 3, 0.5)]
    assert cart.evidence[0].reason == (
        "source literal src/frontend/server.js:3 of component frontend (folder named like the component's "
        "name, with Dockerfile): http://cart:8080/api"
    )
    currency = _edge(system, "frontend", "currency")
    assert _where(currency) == [("config", "src/frontend/config/default.json", 3, 0.8)]
    # A literal naming no component is not a call we know of; a test file's literal is not read.
    assert not [u for u in system.unresolved if u.host == "unknown-svc"]
    assert [(e.from_, e.to) for e in system.edges] == [("frontend", "cart"), ("frontend", "currency")]


def test_a_folder_shared_by_services_of_different_names_is_not_attributed(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  a:\n    build: .\n  b:\n    build: .\n  db:\n    image: postgres\n"
    )
    (tmp_path / "application.properties").write_text("spring.datasource.url=jdbc:postgresql://db/x\n")
    system = redline.scan(tmp_path)
    assert not [e for e in system.edges if e.to == "db"]
    assert [(w.file, w.message) for w in system.warnings if "shared" in w.message] == [
        (
            ".",
            "application configuration in this folder is shared by 2 components (a, b): not attributed to any",
        )
    ]


def test_malformed_app_config_costs_the_file_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  svc:\n    build: ./svc\n  db:\n    image: postgres\n  cache:\n    image: redis\n"
    )
    res = tmp_path / "svc" / "src" / "main" / "resources"
    res.mkdir(parents=True)
    (tmp_path / "svc" / "Dockerfile").write_text("FROM scratch\n")
    (res / "application.yml").write_text("spring:\n  redis:\n    host: cache\n  bad: [1, 2\n")
    (res / "application.properties").write_text("a=\\uZZZZ\nspring.datasource.url=jdbc:postgresql://db/x\n")
    (tmp_path / "svc" / "appsettings.json").write_text('{\n  "A": 1\n  "B": 2\n}\n')
    system = redline.scan(tmp_path)
    skipped = {(s.file, s.line, s.kind.value, s.reason.split(":")[0]) for s in system.skipped}
    assert ("svc/appsettings.json", 3, "unreadable", "malformed JSON") in skipped
    assert ("svc/src/main/resources/application.yml", 5, "unreadable", "malformed YAML") in skipped
    warned = [(w.file, w.line, w.message) for w in system.warnings if w.file.endswith(".properties")]
    assert warned == [
        (
            "svc/src/main/resources/application.properties",
            1,
            "properties: expected \\u and 4 hex digits, got '\\\\uZZZZ'; this setting ignored",
        )
    ]
    # The good line of the properties file is still read.
    assert _where(_edge(system, "svc", "db")) == [
        ("config", "svc/src/main/resources/application.properties", 2, 0.85)
    ]


# ------------------------------------------------------------------------------------------------------
# Real sample: Prometheus scrape targets in a Compose build context


def test_petclinic_prometheus_scrape_targets_are_calls_of_the_scraper() -> None:
    root = samples_dir() / "spring-petclinic-microservices"
    system = redline.scan(root)
    lines = {e.to: _where(e) for e in system.edges if e.from_ == "prometheus-server" and not e.startup_only}
    prom = "docker/prometheus/prometheus.yml"
    assert lines == {
        "api-gateway": [("config", prom, 17, 0.55)],
        "customers-service": [("config", prom, 22, 0.55)],
        "visits-service": [("config", prom, 27, 0.55)],
        "vets-service": [("config", prom, 32, 0.55)],
    }


# ------------------------------------------------------------------------------------------------------
# Parsers


def test_properties_forms_lines_and_documents() -> None:
    out = Collector()
    text = (
        "# comment\n"
        "! another\n"
        "a.url=http://x:1\n"
        "b.host: y\n"
        "c.addr  z\n"
        "d.list=one,\\\n"
        "   two\n"
        "e\\=key=v\\tw\n"
        "#---\n"
        "spring.config.activate.on-profile=prod\n"
        "f.url=http://p:2\n"
    )
    docs = parse_properties(text, "app.properties", out)
    assert [(s.key, s.value, s.line) for s in docs[0].settings] == [
        ("a.url", "http://x:1", 3),
        ("b.host", "y", 4),
        ("c.addr", "z", 5),
        ("d.list", "one,two", 6),
        ("e=key", "v\tw", 8),
    ]
    assert docs[0].on_profile is None
    assert docs[1].on_profile == "prod"
    assert [(s.key, s.line) for s in docs[1].settings][-1] == ("f.url", 11)
    assert out.warnings == [] and out.skipped == []


def test_spring_yaml_documents_and_legacy_profiles() -> None:
    out = Collector()
    docs = parse_spring_yaml(
        "a:\n  b: [x, 'y:9']\n---\nspring:\n  profiles: dev\nc.url: http://c\n", "application.yml", out
    )
    assert [(s.key, s.value, s.line) for s in docs[0].settings] == [("a.b[0]", "x", 2), ("a.b[1]", "y:9", 2)]
    assert docs[1].on_profile == "dev"
    assert ("c.url", "http://c", 6) in [(s.key, s.value, s.line) for s in docs[1].settings]


def test_json_with_comments_and_trailing_commas_keeps_lines() -> None:
    out = Collector()
    data = parse_json('{\n // c\n "A": {\n  "B": "v", /* x */\n  "C": [1, "w",],\n },\n}\n', "a.json", out)
    assert [(s.key, s.value, s.line) for s in flatten(data, dotnet_join, "a.json", out)] == [
        ("A:B", "v", 4),
        ("A:C:0", "1", 5),
        ("A:C:1", "w", 5),
    ]
    assert out.skipped == []


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', 3, "malformed JSON: expected ',' or '}', found '\"'"),
        ('{\n  "a": "open\n}', 2, "malformed JSON: Invalid control character at"),
        ("{\n /* never closed\n", 2, "malformed JSON: a /* comment is never closed"),
        ('{"a": 1} x', 1, "malformed JSON: text after the end of the JSON value"),
        ("[" * (MAX_DEPTH + 5), 1, f"malformed JSON: nested deeper than {MAX_DEPTH} levels"),
    ],
)
def test_malformed_json_is_a_skip_with_its_line(text: str, line: int, reason: str) -> None:
    out = Collector()
    assert parse_json(text, "a.json", out) is None
    assert [(s.file, s.line, s.reason) for s in out.skipped] == [("a.json", line, reason)]


def test_profile_expressions() -> None:
    assert profile_matches("docker", ["docker"]) is True
    assert profile_matches("prod, docker", ["docker"]) is True
    assert profile_matches("prod | dev", ["docker"]) is False
    assert profile_matches("docker & !eu", ["docker", "eu"]) is False
    assert profile_matches("!dev", ["docker"]) is True
    assert profile_matches("(a & b) | c", ["a"]) is None


def test_placeholders_env_then_default_nested_and_unknown() -> None:
    env = {"DB_HOST": ("db", "compose.yaml:3")}

    def lookup(name: str) -> tuple[str, str] | None:
        return (env[name][0], f"env {name}") if name in env else None

    r = resolve_placeholders("jdbc:postgresql://${DB_HOST:localhost}:${DB_PORT:5432}/x", lookup)
    assert r.value == "jdbc:postgresql://db:5432/x"
    assert r.notes == ["${DB_PORT} not set: default '5432'", "${DB_HOST} from env DB_HOST"]
    assert resolve_placeholders("${A:${DB_HOST:z}}", lookup).value == "db"
    assert resolve_placeholders("http://${UNKNOWN}/x", lookup).value == "http://${UNKNOWN}/x"


def test_spring_env_names() -> None:
    assert spring_env_name("spring.datasource.url") == "SPRING_DATASOURCE_URL"
    assert spring_env_name("spring.kafka.bootstrap-servers") == "SPRING_KAFKA_BOOTSTRAPSERVERS"
    assert spring_env_name("my.list[0].url") == "MY_LIST_0__URL"


def test_code_literals_quoted_only_with_lines() -> None:
    text = "a = \"http://orders:8080/api\"\n// http://cart:1 in a comment\nb = 'cart:7070'\nc = `x`\n"
    assert list(applit.literals(text)) == [(1, "http://orders:8080/api"), (3, "cart:7070")]
    assert applit.is_code("Server.java") and not applit.is_code("ServerTest.java")
    assert not applit.is_code("app.spec.ts") and not applit.is_code("test_x.py") and applit.is_code("x.go")


# ------------------------------------------------------------------------------------------------------
# Bounded on hostile input


@pytest.mark.parametrize(
    "text",
    [
        '"' + "a" * 1_000_000,
        "'" + "a" * 300 + "://" + "b" * 1_000_000,
        ('"' + "a" * 250 + ":1") * 4_000,
        '"http://x' * 100_000,
    ],
)
def test_literal_search_is_linear(text: str) -> None:
    start = time.perf_counter()
    list(applit.literals(text))
    assert time.perf_counter() - start < 1.0


def test_parsers_are_linear_on_hostile_input() -> None:
    out = Collector()
    cases = [
        lambda: parse_json("/*" + " " * 1_000_000, "a.json", out),
        lambda: parse_json('{"a": ' + '"x' * 500_000, "a.json", out),
        lambda: parse_properties("a=" + "\\" * 1_000_001 + "\n" + "b\n" * 1000, "a.properties", out),
        lambda: parse_properties("k=v\\\n" * 100_000, "a.properties", out),
        lambda: resolve_placeholders("${" * 500_000 + "}" * 500_000, lambda n: None),
    ]
    for case in cases:
        start = time.perf_counter()
        case()
        assert time.perf_counter() - start < 1.0


# ------------------------------------------------------------------------------------------------------
# Ties


def test_the_dockerfile_folder_below_a_root_context_is_the_service_folder(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  backend:\n"
        "    build:\n"
        "      context: .\n"
        "      dockerfile: backend/Dockerfile\n"
        "  worker:\n"
        "    build:\n"
        "      context: .\n"
        "      dockerfile: worker/Dockerfile\n"
        "  db:\n"
        "    image: postgres:16\n"
    )
    for name in ("backend", "worker"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text("FROM python:3.12\n")
    (tmp_path / "backend" / ".env").write_text("# local settings\nPOSTGRES_SERVER=db\n")
    system = redline.scan(tmp_path)
    edge = _edge(system, "backend", "db")
    assert _where(edge) == [("config", "backend/.env", 2, 0.8)]
    assert edge.evidence[0].reason == (
        "env file backend/.env:2 of component backend (Dockerfile backend/Dockerfile of build.context .): "
        "POSTGRES_SERVER=db"
    )
    assert not [e for e in system.edges if e.from_ == "worker"]
    assert not [w for w in system.warnings if "shared" in w.message]


def _deployment(name: str, image: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
        f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: {name}}}}}\n"
        f"    spec: {{containers: [{{name: c, image: '{image}'}}]}}\n---\n"
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
        f"spec: {{selector: {{app: {name}}}, ports: [{{port: 80}}]}}\n---\n"
    )


def test_a_workload_is_tied_by_its_image_name_and_never_to_two_folders(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "all.yaml").write_text(
        _deployment("web", "registry.example.com/shop/storefront:1.0@sha256:" + "a" * 64)
        + _deployment("api", "api:2")
        + _deployment("cart", "cart:1")
    )
    store = tmp_path / "src" / "storefront"
    store.mkdir(parents=True)
    (store / "go.mod").write_text("module storefront\n")
    (store / "main.go").write_text('package main\n\nconst cart = "cart:80"\n')
    # Two folders named api, each with a build file: which one runs is not known, so neither is read.
    for where in ("src/api", "legacy/api"):
        (tmp_path / where).mkdir(parents=True)
        (tmp_path / where / "package.json").write_text("{}\n")
        (tmp_path / where / "index.js").write_text('fetch("http://cart/x")\n')
    system = redline.scan(tmp_path)
    edge = _edge(system, "web", "cart")
    assert _where(edge) == [("code", "src/storefront/main.go", 3, 0.5)]
    assert "(folder named like its image's name, with go.mod)" in edge.evidence[0].reason
    assert not [e for e in system.edges if e.from_ == "api"]


# ------------------------------------------------------------------------------------------------------
# Trust: never raise


def test_latin1_properties_are_read_as_java_reads_them(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  svc:\n    build: ./svc\n  db:\n    image: postgres\n"
    )
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "application.properties").write_bytes(
        "app.title=Caf\u00e9\nspring.datasource.url=jdbc:postgresql://db:5432/x\n".encode("latin-1")
    )
    system = redline.scan(tmp_path)
    assert _where(_edge(system, "svc", "db")) == [("config", "svc/application.properties", 2, 0.85)]
    assert not [s for s in system.skipped if s.file.endswith(".properties")]


def test_a_reader_bug_costs_the_folder_not_the_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from redline.sources import appconfig

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(appconfig, "parse_properties", broken)
    (tmp_path / "compose.yaml").write_text(
        "services:\n  svc:\n    build: ./svc\n  db:\n    image: postgres\n"
    )
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "application.properties").write_text("spring.datasource.url=jdbc:postgresql://db/x\n")
    system = redline.scan(tmp_path)
    assert [(s.file, s.kind.value, s.reason) for s in system.skipped] == [
        (
            "svc",
            "unreadable",
            "internal error while reading application configuration (RuntimeError: boom); please report it",
        )
    ]
    assert [c.name for c in system.components] == ["db", "svc"]


@given(st.text(max_size=300))
def test_parsers_never_raise(text: str) -> None:
    out = Collector()
    parse_json(text, "a.json", out)
    parse_properties(text, "a.properties", out)
    parse_spring_yaml(text, "application.yml", out)
    resolve_placeholders(text, lambda name: None)
    list(applit.literals(text))


@given(st.text(alphabet='{}[]":,/*\n ab1', max_size=200))
def test_json_reader_never_raises_on_json_shaped_noise(text: str) -> None:
    out = Collector()
    data = parse_json(text, "a.json", out)
    assert (data is None) == bool(out.skipped)


def test_jvm_system_properties_choose_the_profile_and_override_the_file(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  svc:\n"
        "    build: ./svc\n"
        "    environment:\n"
        "      JAVA_OPTS: -Xmx1g -Dspring.profiles.active=k8s -Dspring.redis.host=cache\n"
        "  cache:\n"
        "    image: redis\n"
        "  oldcache:\n"
        "    image: redis\n"
        "  db:\n"
        "    image: postgres\n"
    )
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "application.yml").write_text("spring:\n  redis:\n    host: oldcache\n")
    (tmp_path / "svc" / "application-k8s.yml").write_text("spring.datasource.url: jdbc:postgresql://db/x\n")
    system = redline.scan(tmp_path)
    db = _edge(system, "svc", "db")
    assert _where(db) == [("config", "svc/application-k8s.yml", 1, 0.85)]
    assert db.evidence[0].reason.endswith(
        "[profile k8s (-Dspring.profiles.active=k8s in env JAVA_OPTS at compose.yaml:5)]"
    )
    # -Dspring.redis.host=cache overrides the file's oldcache (Spring: system properties win over files).
    assert not [e for e in system.edges if e.to == "oldcache"]


# ------------------------------------------------------------------------------------------------------
# As a registered reader: what the report says was read and not read


def test_files_read_and_spring_files_not_applied_are_listed() -> None:
    system = redline.scan(DATA / "spring")
    assert [(f.file, f.as_, f.objects) for f in system.files] == [
        ("docker-compose.yml", "compose", 7),
        (f"{RES}/application-docker.properties", "spring-config", 2),
        (f"{RES}/application-prod.yml", "spring-config", 1),
        (f"{RES}/application.yml", "spring-config", 12),
    ]
    assert sorted((s.file, s.kind.value, s.reason) for s in system.skipped) == [
        (
            "orders/src/test/resources/application.yml",
            "ignored",
            "Spring configuration in test/ of the folder of orders: tests and build output are not what runs",
        ),
        (
            "orders/target/classes/application.yml",
            "ignored",
            "Spring configuration in target/ of the folder of orders: tests and build output are not what runs",
        ),
    ]


def test_a_gitignored_spring_file_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  svc:\n    build: ./svc\n  db:\n    image: postgres\n  cache:\n    image: redis\n"
    )
    (tmp_path / "svc").mkdir()
    (tmp_path / ".gitignore").write_text("application-local.yml\n")
    (tmp_path / "svc" / "application.yml").write_text(
        "spring:\n  profiles:\n    active: local\n  redis:\n    host: cache\n"
    )
    (tmp_path / "svc" / "application-local.yml").write_text("spring.datasource.url: jdbc:postgresql://db/x\n")
    system = redline.scan(tmp_path)
    assert _where(_edge(system, "svc", "cache")) == [("config", "svc/application.yml", 5, 0.8)]
    assert not [e for e in system.edges if e.to == "db"]


def test_petclinic_prometheus_yml_is_read_not_ignored() -> None:
    system = redline.scan(samples_dir() / "spring-petclinic-microservices")
    prom = "docker/prometheus/prometheus.yml"
    assert [(f.file, f.as_, f.objects) for f in system.files if f.file == prom] == [
        (prom, "config", 16)
    ]  # 2 global + 5 job names + 4 paths + 5 targets
    assert not [s for s in system.skipped if s.file == prom]


def test_a_literal_repeated_everywhere_is_one_piece_of_evidence(tmp_path: Path) -> None:
    # Regression: every occurrence was an Evidence, and EdgeBuilder's duplicate check made 102,000 of
    # them (68 services x 1,500 lines) take 19 s.
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    build: ./web\n  api:\n    image: api\n")
    src = tmp_path / "web" / "src"
    src.mkdir(parents=True)
    (src / "a.ts").write_text('const u = "http://api:8080/v1";\n' * 200)
    (src / "b.ts").write_text("".join(f'const p{i} = "http://api:8080/v{i}";\n' for i in range(5)))
    system = redline.scan(tmp_path)
    assert _where(_edge(system, "web", "api")) == [
        ("code", "web/src/a.ts", 1, 0.5),
        ("code", "web/src/b.ts", 1, 0.5),
        ("code", "web/src/b.ts", 3, 0.5),  # b.ts:2 is a.ts's literal again (/v1): cited at its first place
    ]
