"""What a container image says about the component: its engine, and so its kind.

The table maps image *names* (the last path segment, without tag) to an engine and a kind. It is checked
by exact name first, then by prefix/suffix words, so ``bitnami/postgresql``, ``postgres:16-alpine`` and
``mongo:4.4.6`` are all recognised, while ``postgres-exporter`` is not taken for a database.
"""

from __future__ import annotations

import re

from redline.model import Kind

# engine -> kind
ENGINE_KIND: dict[str, Kind] = {
    "postgres": Kind.DATASTORE,
    "mysql": Kind.DATASTORE,
    "mariadb": Kind.DATASTORE,
    "mongodb": Kind.DATASTORE,
    "cassandra": Kind.DATASTORE,
    "cockroachdb": Kind.DATASTORE,
    "elasticsearch": Kind.DATASTORE,
    "opensearch": Kind.DATASTORE,
    "mssql": Kind.DATASTORE,
    "dynamodb": Kind.DATASTORE,
    "couchdb": Kind.DATASTORE,
    "neo4j": Kind.DATASTORE,
    "influxdb": Kind.DATASTORE,
    "clickhouse": Kind.DATASTORE,
    "etcd": Kind.DATASTORE,
    "minio": Kind.DATASTORE,
    "spanner": Kind.DATASTORE,
    "oracle": Kind.DATASTORE,
    "documentdb": Kind.DATASTORE,
    "cosmosdb": Kind.DATASTORE,
    "couchbase": Kind.DATASTORE,
    "arangodb": Kind.DATASTORE,
    "rethinkdb": Kind.DATASTORE,
    "surrealdb": Kind.DATASTORE,
    "questdb": Kind.DATASTORE,
    "yugabytedb": Kind.DATASTORE,
    "tidb": Kind.DATASTORE,
    "solr": Kind.DATASTORE,
    "meilisearch": Kind.DATASTORE,
    "typesense": Kind.DATASTORE,
    "qdrant": Kind.DATASTORE,
    "weaviate": Kind.DATASTORE,
    "milvus": Kind.DATASTORE,
    "chroma": Kind.DATASTORE,
    "redis": Kind.CACHE,
    "valkey": Kind.CACHE,
    "memcached": Kind.CACHE,
    "keydb": Kind.CACHE,
    "dragonfly": Kind.CACHE,
    "garnet": Kind.CACHE,
    "hazelcast": Kind.CACHE,
    "rabbitmq": Kind.QUEUE,
    "kafka": Kind.QUEUE,
    "nats": Kind.QUEUE,
    "activemq": Kind.QUEUE,
    "pulsar": Kind.QUEUE,
    "mosquitto": Kind.QUEUE,
    "emqx": Kind.QUEUE,
    "nsq": Kind.QUEUE,
    "zookeeper": Kind.DATASTORE,
    "nginx": Kind.GATEWAY,
    "openresty": Kind.GATEWAY,
    "envoy": Kind.GATEWAY,
    "traefik": Kind.GATEWAY,
    "haproxy": Kind.GATEWAY,
    "kong": Kind.GATEWAY,
    "caddy": Kind.GATEWAY,
    "spring-cloud-gateway": Kind.GATEWAY,
}

# image-name words -> engine
_ALIASES: dict[str, str] = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "postgis": "postgres",
    "timescaledb": "postgres",
    "pgvector": "postgres",
    "mysql": "mysql",
    "mariadb": "mariadb",
    "mongo": "mongodb",
    "mongodb": "mongodb",
    "cassandra": "cassandra",
    "scylla": "cassandra",
    "cockroach": "cockroachdb",
    "elasticsearch": "elasticsearch",
    "opensearch": "opensearch",
    "mssql": "mssql",
    "azure-sql-edge": "mssql",
    "sql-edge": "mssql",
    "oracle-free": "oracle",
    "oracle-xe": "oracle",
    "documentdb": "documentdb",
    "documentdb-local": "documentdb",
    "ferretdb": "documentdb",
    "azure-cosmos-emulator": "cosmosdb",
    "couchbase": "couchbase",
    "arangodb": "arangodb",
    "rethinkdb": "rethinkdb",
    "surrealdb": "surrealdb",
    "questdb": "questdb",
    "yugabyte": "yugabytedb",
    "tidb": "tidb",
    "solr": "solr",
    "meilisearch": "meilisearch",
    "typesense": "typesense",
    "qdrant": "qdrant",
    "weaviate": "weaviate",
    "milvus": "milvus",
    "chroma": "chroma",
    "percona-server-mongodb": "mongodb",
    "percona-server": "mysql",
    "dynamodb-local": "dynamodb",
    "couchdb": "couchdb",
    "neo4j": "neo4j",
    "influxdb": "influxdb",
    "clickhouse": "clickhouse",
    "etcd": "etcd",
    "minio": "minio",
    "redis": "redis",
    "valkey": "valkey",
    "memcached": "memcached",
    "keydb": "keydb",
    "dragonfly": "dragonfly",
    "garnet": "garnet",
    "hazelcast": "hazelcast",
    "rabbitmq": "rabbitmq",
    "kafka": "kafka",
    "cp-kafka": "kafka",
    "redpanda": "kafka",
    "nats": "nats",
    "activemq": "activemq",
    "pulsar": "pulsar",
    "artemis": "activemq",
    "activemq-artemis": "activemq",
    "eclipse-mosquitto": "mosquitto",
    "mosquitto": "mosquitto",
    "emqx": "emqx",
    "nsq": "nsq",
    "cp-server": "kafka",
    "zookeeper": "zookeeper",
    "cp-zookeeper": "zookeeper",
    "nginx": "nginx",
    "openresty": "openresty",
    "envoy": "envoy",
    "traefik": "traefik",
    "haproxy": "haproxy",
    "kong": "kong",
    "caddy": "caddy",
}

# words that, next to an engine word, mean "a tool for that engine", not the engine itself
_NOT_ENGINE = {
    "exporter",
    "operator",
    "commander",
    "insight",
    "admin",
    "ui",
    "web",
    "client",
    "cli",
    "proxy-exporter",
    "adapter",
    "ingress",
    "controller",
    "backup",
    "migrate",
    "migrations",
    "init",
    "prometheus",
    "console",
    "connect",
    "schema",
    "express",
    "management-center",
    "dashboard",
}

# (a folder of the repository, its last segment) -> engine: images named for a product only by their
# folder (``mcr.microsoft.com/mssql/server``, ``mcr.microsoft.com/mssql/rhel/server``).
_PATH_ENGINES: dict[tuple[str, str], str] = {("mssql", "server"): "mssql"}


def image_name(image: str) -> str:
    """``docker.io/bitnami/postgresql:16@sha256:..`` -> ``postgresql``."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """Split an image reference into (repository, tag, digest). Tag is None when absent."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    repo, tag = image, None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = image.rsplit(":", 1)
    return repo, tag, digest


def engine_of(image: str | None) -> str | None:
    """The engine an image runs, or None when it is an application image."""
    if not image:
        return None
    name = image_name(image)
    folders = image.split("@", 1)[0].lower().split("/")[:-1]
    for folder in folders:
        if (folder, name) in _PATH_ENGINES:
            return _PATH_ENGINES[(folder, name)]
    if name in _ALIASES:
        return _ALIASES[name]
    words = [w for w in re.split(r"[-_.]", name) if w]
    if any(w in _NOT_ENGINE for w in words):
        return None
    for i in range(len(words)):
        for j in (2, 1):
            candidate = "-".join(words[i : i + j])
            if candidate in _ALIASES and (i == 0 or i + j == len(words)):
                return _ALIASES[candidate]
    return None


def kind_of_engine(engine: str | None) -> Kind | None:
    return ENGINE_KIND.get(engine) if engine else None


_NAME_KIND = {
    "db": Kind.DATASTORE,
    "database": Kind.DATASTORE,
    "mysql": Kind.DATASTORE,
    "postgres": Kind.DATASTORE,
    "postgresql": Kind.DATASTORE,
    "mongo": Kind.DATASTORE,
    "mongodb": Kind.DATASTORE,
    "redis": Kind.CACHE,
    "memcached": Kind.CACHE,
    "cache": Kind.CACHE,
    "rabbitmq": Kind.QUEUE,
    "kafka": Kind.QUEUE,
    "queue": Kind.QUEUE,
    "mq": Kind.QUEUE,
    "gateway": Kind.GATEWAY,
    "nginx": Kind.GATEWAY,
}


def classify(name: str, image: str | None) -> tuple[Kind, str | None, str]:
    """(kind, engine, reason) for a component: from its image first, then from words in its name."""
    engine = engine_of(image)
    kind = kind_of_engine(engine)
    if kind is not None:
        return kind, engine, f"image {image}"
    words = [w for w in re.split(r"[-_.]", name.lower()) if w]
    if any(w in ("exporter", "operator", "proxy", "admin", "ui", "init", "migrate") for w in words):
        return Kind.SERVICE, None, "default (application image)"
    if words and words[-1] in _NAME_KIND:
        # Only the last word names what a thing *is*: "user-db" is a database, "queue-master" is not a queue.
        return _NAME_KIND[words[-1]], _ALIASES.get(words[-1]), f"name {name!r}"
    return Kind.SERVICE, None, "default (application image)"
