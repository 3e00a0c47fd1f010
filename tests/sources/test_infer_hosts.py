"""Hosts read from env values: URLs, JDBC, connection strings, host lists; listeners are not calls.

Unit cases pin what :func:`redline.sources.infer.candidates` reads from each form; scan cases pin the
edge (from, to, file, line, evidence text) a Kubernetes workload gets from it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import redline
from redline import Kind
from redline.model import Container, EnvVar, Source
from redline.sources.infer import MAX_ARGUMENT_WORDS, arguments, candidates
from tests.conftest import samples_dir


def hosts(name: str, value: str) -> list[tuple[str, str, str | None]]:
    """(host, how, engine the scheme says) of every candidate."""
    return [
        (c.host, c.how, c.hint.engine if c.hint else None) for c in candidates(EnvVar(name=name, value=value))
    ]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CONN", "Server=sqldb;Database=orders;User Id=sa;Password=x", [("sqldb", "connstr", None)]),
        ("CONN", "Server=tcp:sqldb,1433;Initial Catalog=orders", [("sqldb", "connstr", "mssql")]),
        ("CONN", "Host=pg;Port=5432;Database=app;Username=u", [("pg", "connstr", None)]),
        ("CONN", "Data Source=sqldb\\SQLEXPRESS;Initial Catalog=x", [("sqldb", "connstr", "mssql")]),
        ("CONN", "Data Source=app.db;Cache=Shared", []),  # SQLite: a file
        ("PGCONN", "host=pg port=5432 dbname=app user=u", [("pg", "connstr", "postgres")]),
        (
            "PGCONN",
            "host=pg1,pg2 port=5432 dbname=app",
            [("pg1", "connstr", "postgres"), ("pg2", "connstr", "postgres")],
        ),
        ("DB", "jdbc:mysql://mysql:3306/db", [("mysql", "url", "mysql")]),
        ("DB", "jdbc:postgresql://pg/db", [("pg", "url", "postgres")]),
        ("DB", "jdbc:sqlserver://sqldb:1433;databaseName=orders", [("sqldb", "url", "mssql")]),
        ("DB", "jdbc:oracle:thin:@//ora:1521/svc", [("ora", "url", "oracle")]),
        ("DB", "jdbc:oracle:thin:@ora:1521:SID", [("ora", "url", "oracle")]),
        (
            "M",
            "mongodb://a:27017,b:27017/?replicaSet=rs0",
            [("a", "url", "mongodb"), ("b", "url", "mongodb")],
        ),
        (
            "M",
            "mongodb+srv://u:p@cluster0.ab1cd.mongodb.net/app",
            [("cluster0.ab1cd.mongodb.net", "url", "mongodb")],
        ),
        ("R", "redis://:pw@cache:6379/0", [("cache", "url", "redis")]),
        ("R", "rediss://cache:6380", [("cache", "url", "redis")]),
        ("Q", "amqp://guest:guest@rabbit:5672/", [("rabbit", "url", "rabbitmq")]),
        ("Q", "kafka://broker:9092", [("broker", "url", "kafka")]),
        ("Q", "nats://n1:4222,nats://n2:4222", [("n1", "url", "nats"), ("n2", "url", "nats")]),
        ("PEERS", "http://a:8080,http://b:8080", [("a", "url", None), ("b", "url", None)]),
        (
            "KAFKA_BOOTSTRAP_SERVERS",
            "k1:9092,k2:9092",
            [("k1", "hostvar", "kafka"), ("k2", "hostvar", "kafka")],
        ),
        ("BROKERS_LIST", "k1:9092,k2:9092", [("k1", "hostport", None), ("k2", "hostport", None)]),
        ("OPTS", "PLAINTEXT://:9092,CONTROLLER://:9093", []),  # listener syntax names no host
        ("KAFKA_LISTENERS", "PLAINTEXT://kafka:9092", []),
        ("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://kafka:9092", []),
        ("UPSTREAM", "http://0.0.0.0:8080", []),
        ("UPSTREAM", "http://localhost:8080", []),
        ("NOTES", "a=b;c=d", []),
    ],
)
def test_each_form_names_its_hosts(
    name: str, value: str, expected: list[tuple[str, str, str | None]]
) -> None:
    assert hosts(name, value) == expected


def test_own_address_names_are_marked_not_dropped() -> None:
    (web,) = candidates(EnvVar(name="HOST", value="http://web:8080/"))
    assert (web.host, web.how, web.own) == ("web", "url", True)
    assert candidates(EnvVar(name="BIND_ADDR", value="api:8080")) == []
    assert candidates(EnvVar(name="LISTEN_URL", value="http://api:8080")) == []


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: main
          image: {image}
          env: {env}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec: {{selector: {{app: {name}}}}}
"""

API_ENV = """
            - {name: ConnectionStrings__Orders, value: "Server=tcp:sqldb,1433;Database=orders;Password=hunter2"}
            - {name: PG, value: "host=pg port=5432 dbname=app"}
            - {name: PEERS, value: "http://web:8080,http://auth:8080"}
            - {name: HOST, value: "http://web:8080/"}
            - {name: HOSTNAME, value: api}
            - {name: SERVER_HOST, value: nowhere}
            - {name: KAFKA_LISTENERS, value: "PLAINTEXT://:9092,CONTROLLER://:9093"}"""


def test_forms_give_edges_with_evidence(tmp_path: Path) -> None:
    docs = [DEPLOY.format(name="api", image="x/api:1", env=API_ENV)]
    docs += [DEPLOY.format(name=n, image="x/app:1", env="[]") for n in ("sqldb", "pg", "web", "auth")]
    (tmp_path / "k8s.yaml").write_text("---\n".join(docs))
    system = redline.scan(tmp_path)
    found = {
        (e.from_, e.to): sorted((ev.reason, ev.source.line, ev.confidence) for ev in e.evidence)
        for e in system.edges
    }
    assert found == {
        ("api", "sqldb"): [
            ("env ConnectionStrings__Orders=Server=tcp:sqldb,1433;Database=orders;Password=hu****", 13, 0.9)
        ],
        ("api", "pg"): [("env PG=host=pg port=5432 dbname=app", 14, 0.9)],
        ("api", "web"): [
            ("env HOST=http://web:8080/", 16, 0.9),
            ("env PEERS=http://web:8080,http://auth:8080", 15, 0.9),
        ],
        ("api", "auth"): [("env PEERS=http://web:8080,http://auth:8080", 15, 0.9)],
    }
    assert system.unresolved == []  # SERVER_HOST=nowhere holds the component's own address
    sqldb, pg = system.component("sqldb"), system.component("pg")
    assert sqldb is not None and pg is not None
    assert (sqldb.kind, sqldb.engine, sqldb.kind_reason) == (
        Kind.DATASTORE,
        "mssql",
        "called with a connection string naming a database by api (env ConnectionStrings__Orders at k8s.yaml:13)",
    )
    assert (pg.kind, pg.engine) == (Kind.DATASTORE, "postgres")
    web = system.component("web")
    assert web is not None and web.kind is Kind.SERVICE


def test_unresolved_connection_string_hosts_are_reported(tmp_path: Path) -> None:
    env = '[{name: CONN, value: "Server=legacy-sql;Database=x"}]'
    (tmp_path / "k8s.yaml").write_text(DEPLOY.format(name="api", image="x/api:1", env=env))
    (u,) = redline.scan(tmp_path).unresolved
    assert (u.from_, u.host, u.source) == ("api", "legacy-sql", Source(file="k8s.yaml", line=12))
    assert u.reason == "env CONN=Server=legacy-sql;Database=x: no Service 'legacy-sql' in namespace default"


MB = 1_000_000


@pytest.mark.parametrize(
    "value",
    [
        "Server=" * (MB // 7),
        ";" * MB,
        "a=b;" * (MB // 4),
        "host=a " * (MB // 7),
        "jdbc:oracle:thin:@" * (MB // 18),
        "a:1," * (MB // 4),
        "tcp:" * (MB // 4),
        "http://a," * (MB // 9),
        "Server=tcp:" + "a," * (MB // 2),
        "x" * MB + "://",
    ],
    ids=[
        "server",
        "semicolons",
        "pairs",
        "libpq",
        "oracle",
        "hostports",
        "tcp",
        "urls",
        "mssql-list",
        "long-scheme",
    ],
)
def test_host_reading_is_linear_on_adversarial_values(value: str) -> None:
    for name in ("CONN", "KAFKA_BOOTSTRAP_SERVERS", "HOST"):
        start = time.perf_counter()
        candidates(EnvVar(name=name, value=value))
        assert time.perf_counter() - start < 1.0, name


# ------------------------------------------------------------- command arguments and start-up steps


def _calls(system: redline.System) -> dict[tuple[str, str], tuple[bool, list[tuple[str, str, str]]]]:
    """(from, to) -> (startup_only, [(kind, reason, file:line)])."""
    return {
        (e.from_, e.to): (e.startup_only, [(ev.kind, ev.reason, str(ev.source)) for ev in e.evidence])
        for e in system.edges
    }


def test_a_host_flag_naming_another_service_is_a_call(tmp_path: Path) -> None:
    """Regression: sock-shop's user-sim states its target only as `-h edge-router`. Flags that name
    nothing known (`-h` is also help), the service itself, a bind address or a public host give nothing:
    no edge, no unresolved, no external."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        '  user-sim:\n    image: load-test\n    command: "-d 60 -r 200 -c 2 -h edge-router"\n'
        "  probe:\n    image: tool\n    command:\n      - run\n      - --host=db:5432\n"
        "      - --server\n      - cache:6379\n      - -h\n      - nowhere\n      - --target\n      - example.com\n"
        "  api:\n    image: x/api\n    command: [serve, --host, 0.0.0.0, --url, api]\n"
        "  edge-router:\n    image: traefik\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n"
    )
    system = redline.scan(tmp_path)
    assert _calls(system) == {
        ("user-sim", "edge-router"): (False, [("env", "argument -h edge-router", "compose.yaml:4")]),
        ("probe", "db"): (False, [("env", "argument --host db:5432", "compose.yaml:9")]),
        ("probe", "cache"): (False, [("env", "argument --server cache:6379", "compose.yaml:10")]),
    }
    assert [e.confidence for e in system.edges] == [0.7, 0.7, 0.7]
    assert system.unresolved == [] and {c.name for c in system.components} == {
        "user-sim",
        "probe",
        "api",
        "edge-router",
        "db",
        "cache",
    }


def test_a_host_like_key_value_flag_is_read_as_its_env_name(tmp_path: Path) -> None:
    """`-mongo-host=...` reads as MONGO_HOST, `-DSN=u:pw@tcp(db:3306)/x` as a Go MySQL DSN (password
    masked); only for another component."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: x/app\n    command:\n"
        "      - -mongo-host=users:27017\n      - -DSN=cat:hunter22@tcp(catalog-db:3306)/socks\n"
        "      - -api-url=nowhere:8080\n"
        "  users:\n    image: mongo:7\n  catalog-db:\n    image: x/db\n"
    )
    system = redline.scan(tmp_path)
    assert _calls(system) == {
        ("app", "users"): (False, [("env", "argument -mongo-host=users:27017", "compose.yaml:5")]),
        ("app", "catalog-db"): (
            False,
            [("env", "argument -DSN=cat:hu****@tcp(catalog-db:3306)/socks", "compose.yaml:6")],
        ),
    }
    db = system.component("catalog-db")
    assert db is not None and (db.kind, db.engine) == (Kind.DATASTORE, "mysql")
    assert system.unresolved == []


INIT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
        - name: fetch
          image: alpine/git
          command: [/bin/sh, -c]
          args:
            - git clone https://github.com/acme/site.git /site && redis-cli -h cache ping
          env:
            - {name: CONFIG_URL, value: "http://config:8080/v1"}
      containers:
        - name: web
          image: nginx
          env:
            - {name: CONFIG_URL, value: "http://config:8080/v1"}
"""


def _service(name: str) -> str:
    return (
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  selector:\n"
        f"    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n"
        f"    spec:\n      containers: [{{name: {name}, image: x/{name}}}]\n"
        f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec:\n  selector: {{app: {name}}}\n"
    )


def test_what_an_init_container_reaches_is_a_startup_step(tmp_path: Path) -> None:
    """An init container's fetch (a URL in its script, a host flag, an env URL) is reached at start-up:
    `startup` evidence, and `startup_only` unless the main container calls the same host."""
    (tmp_path / "k8s.yaml").write_text(INIT + _service("cache") + _service("config"))
    assert _calls(redline.scan(tmp_path)) == {
        ("web", "github.com"): (
            True,
            [
                (
                    "startup",
                    "init container fetch at start-up: argument https://github.com/acme/site.git",
                    "k8s.yaml:12",
                )
            ],
        ),
        ("web", "cache"): (
            True,
            [("startup", "init container fetch at start-up: argument -h cache", "k8s.yaml:12")],
        ),
        ("web", "config"): (
            False,
            [  # init containers are listed first; equal confidences keep that order
                (
                    "startup",
                    "init container fetch at start-up: env CONFIG_URL=http://config:8080/v1",
                    "k8s.yaml:14",
                ),
                ("env", "env CONFIG_URL=http://config:8080/v1", "k8s.yaml:19"),
            ],
        ),
    }


def test_what_a_one_shot_compose_service_reaches_is_a_startup_step(tmp_path: Path) -> None:
    """A service others wait for with `service_completed_successfully` runs once, before them."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  setup:\n    image: redis\n    command: redis-cli -h cache --cluster create\n"
        "  app:\n    image: x/app\n    depends_on:\n      setup:\n        condition: service_completed_successfully\n"
        "  cache:\n    image: redis:7\n"
    )
    calls = _calls(redline.scan(tmp_path))
    assert calls[("setup", "cache")] == (
        True,
        [
            (
                "startup",
                "one-shot service setup (app waits for it to complete) at start-up: argument -h cache",
                "compose.yaml:4",
            )
        ],
    )


def test_command_words_are_bounded_and_linear() -> None:
    """A 2 MB shell script of host flags: the first 4,096 words are looked at, fast."""
    container = Container(name="x", command=["sh", "-c", "-h a " * 200_000])
    start = time.perf_counter()
    found = arguments(container)
    assert time.perf_counter() - start < 1.0
    assert len(found) == (MAX_ARGUMENT_WORDS - 2) // 2


@pytest.mark.samples
def test_sock_shop_user_sim_targets_edge_router() -> None:
    """The one call of the 11 original targets that was missed (tests/data/groundtruth/sock-shop-docker-compose.yaml)."""
    system = redline.scan(samples_dir("sock-shop", "deploy", "docker-compose", "docker-compose.yml"))
    assert _calls(system)[("user-sim", "edge-router")] == (
        False,
        [("env", "argument -h edge-router", "docker-compose.yml:175")],
    )
