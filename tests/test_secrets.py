"""Secrets are never printed in full: the masking module on its own, its linear-time patterns, and every
command in every format, through the CLI, on a small repository full of planted secrets.

Every planted secret is a distinctive string (``S3cr3t-PLANTED-NN`` or a token of a known format carrying
``PLANTED``), so a leak anywhere in stdout, stderr or a written file fails the test.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.cli.app import app
from redline.model import EnvVar
from redline.model.secrets import (
    _PASSES,
    MaskedStream,
    is_reference,
    is_secret_name,
    mask,
    mask_args,
    mask_text,
    mask_tree,
    masked,
)
from tests.conftest import ok_server

# ------------------------------------------------------------------ the planted repository

PRIVATE_KEY_BODY = "MIIBOgIBAAJBAKPLANTED23PLANTED23PLANTED23PLANTED23xyz"
SECRET_B64 = base64.b64encode(b"S3cr3t-PLANTED-26").decode()  # a Secret's `data` value as committed

COMPOSE = """\
services:
  api:
    image: example/api:1.0
    ports: ["8080:8080"]
    environment:
      DB_PASSWORD: S3cr3t-PLANTED-01
      DATABASE_URL: postgres://app:S3cr3t-PLANTED-02@db:5432/app
      CACHE_URL: redis://:S3cr3t-PLANTED-03@cache:6379/0
      GIT_REMOTE: https://S3cr3tPLANTED04tok@github.com/org/repo.git
      SEARCH_URL: http://search.example.com:9200/?password=S3cr3t-PLANTED-05
      MSSQL_CONN: Server=mssql;User Id=sa;Password=S3cr3t-PLANTED-06;
      GITHUB_TOKEN: ghp_PLANTED07aaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      UPLOADS: AKIAPLANTED08XXXXXXX
      CHAT: xoxb-PLANTED09-abcdefgh
      SESSION: eyJhbGciOiJIUzI1NiJ9.eyJQTEFOVEVEMTAiOjF9.c2lnUExBTlRFRDEw
      API_KEY: ${API_KEY}
    command: ["serve", "--db-password=S3cr3t-PLANTED-11", "--api-token", "S3cr3t-PLANTED-12"]
    healthcheck:
      test: ["CMD", "curl", "-fsu", "admin:S3cr3t-PLANTED-13", "http://localhost:8080/health"]
    labels:
      backup.password: S3cr3t-PLANTED-14
    depends_on: [db, cache]
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: S3cr3t-PLANTED-15
    healthcheck:
      test: ["CMD-SHELL", "mysqladmin ping -pS3cr3t-PLANTED-27 && redis-cli -a S3cr3t-PLANTED-28 ping"]
  cache:
    image: redis:7
    command: redis-server --requirepass S3cr3t-PLANTED-16
"""

KUBERNETES = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  labels: {{app: worker, api-token: S3cr3t-PLANTED-29}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: worker}}}}
  template:
    metadata: {{labels: {{app: worker}}}}
    spec:
      containers:
        - name: worker
          image: example/worker:1.0
          args: ["--requirepass", "S3cr3t-PLANTED-17", "--queue-url=amqp://u:S3cr3t-PLANTED-18@mq:5672/"]
          env:
            - name: ADMIN_PASSWORD
              value: S3cr3t-PLANTED-19
            - name: QUEUE
              value: redis://:S3cr3t-PLANTED-20@missing-redis:6379
            - name: FROM_SECRET
              valueFrom: {{secretKeyRef: {{name: worker, key: pw}}}}
          envFrom:
            - configMapRef: {{name: worker-config}}
          livenessProbe:
            exec:
              command: ["sh", "-c", "curl -u probe:S3cr3t-PLANTED-21 http://localhost:8080/healthz"]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: worker-config
data:
  LOG_LEVEL: info
  SMTP_PASSWORD: S3cr3t-PLANTED-22
  tls.key: |
    -----BEGIN RSA PRIVATE KEY-----
    {PRIVATE_KEY_BODY}
    -----END RSA PRIVATE KEY-----
  application.properties: |
    spring.datasource.url=jdbc:postgresql://db:5432/app
    spring.datasource.password=S3cr3t-PLANTED-24
---
apiVersion: v1
kind: Secret
metadata:
  name: worker
type: Opaque
stringData:
  pw: S3cr3t-PLANTED-25
data:
  token: {SECRET_B64}
"""

REDLINE_YAML = """\
entrypoints:
  - {name: web, component: api, rps: 10}
  - {name: jobs, component: worker, rps: 5}
"""

#: Every value planted above that must never be printed whole.
PLANTED = [f"S3cr3t-PLANTED-{n:02d}" for n in range(1, 30) if n not in (4, 7, 8, 9, 10, 23, 26)] + [
    "S3cr3tPLANTED04tok",
    "ghp_PLANTED07aaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "AKIAPLANTED08XXXXXXX",
    "xoxb-PLANTED09-abcdefgh",
    "eyJhbGciOiJIUzI1NiJ9.eyJQTEFOVEVEMTAiOjF9",
    PRIVATE_KEY_BODY,
    SECRET_B64,
]


def _leaks(text: str) -> list[str]:
    return [s for s in PLANTED if s in text]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("planted")
    (root / "docker-compose.yml").write_text(COMPOSE)
    (root / "k8s").mkdir()
    (root / "k8s" / "app.yaml").write_text(KUBERNETES)
    (root / "redline.yaml").write_text(REDLINE_YAML)
    return root


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        result.exception
    )
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


# ------------------------------------------------------------------ every command, every format


@pytest.mark.parametrize(
    ("command", "fmt"),
    [
        ("scan", "text"),
        ("scan", "json"),
        ("scan", "mermaid"),
        ("scan", "dot"),
        ("review", "text"),
        ("review", "json"),
        ("review", "sarif"),
        ("review", "markdown"),
        ("forecast", "text"),
        ("forecast", "json"),
        ("forecast", "html"),
    ],
)
def test_no_secret_in_stdout_or_file(planted: Path, tmp_path: Path, command: str, fmt: str) -> None:
    code, printed = _run([command, str(planted), "--format", fmt])
    assert code in (0, 1), printed
    assert _leaks(printed) == []
    out = tmp_path / f"out.{fmt}"
    code, printed = _run([command, str(planted), "--format", fmt, "--output", str(out)])
    assert code in (0, 1), printed
    written = out.read_text(encoding="utf-8")
    assert written and _leaks(written) == [] and _leaks(printed) == []


def test_outputs_still_say_what_was_masked(planted: Path) -> None:
    """Masking keeps enough to recognise a value; the test above is not passing on empty output."""
    _, scan_json = _run(["scan", str(planted), "--format", "json"])
    for shown in (
        "postgres://app:****@db:5432/app",
        "redis://:****@cache:6379/0",
        "https://S3****@github.com/org/repo.git",
        "?password=S3****",
        "Password=S3****;",
        '"ghp_****"',
        '"AKIA****"',
        '"xoxb-****"',
        '"eyJh****"',
        '"--db-password=S3****"',
        '"backup.password": "S3****"',
        '"admin:****"',
        "-----BEGIN RSA PRIVATE KEY-----****",
        '"${API_KEY}"',  # a reference is not a secret
    ):
        assert shown in scan_json, shown
    _, review_text = _run(["review", str(planted)])
    assert "redis://:****@missing-redis:6379" in review_text  # the dangling-reference finding
    _, forecast_text = _run(["forecast", str(planted)])
    assert "redis://:****@missing-redis:6379" in forecast_text  # the not-modeled assumption


def test_forecast_plots_and_review_text_file(planted: Path, tmp_path: Path) -> None:
    code, printed = _run(["forecast", str(planted), "--plot", str(tmp_path / "plots")])
    assert code in (0, 1) and _leaks(printed) == []
    files = sorted((tmp_path / "plots").iterdir())
    assert files and all(_leaks(p.read_text(encoding="utf-8")) == [] for p in files)


def test_real_stdout_is_masked_too(planted: Path) -> None:
    """Through a real process (no test runner in between): the console writes through MaskedStream."""
    proc = subprocess.run(
        [sys.executable, "-m", "redline", "scan", str(planted), "--verbose"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "redis://:****@cache:6379/0" in proc.stdout
    assert _leaks(proc.stdout + proc.stderr) == []


@pytest.fixture
def server() -> Iterator[int]:
    with ok_server() as port:
        yield port


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_load_outputs_mask_url_credentials(server: int, tmp_path: Path, fmt: str) -> None:
    url = f"http://loaduser:S3cr3t-PLANTED-L1@127.0.0.1:{server}/x?token=S3cr3t-PLANTED-L2&page=1"
    out, html = tmp_path / "results.json", tmp_path / "report.html"
    proc = subprocess.run(
        [
            *(
                sys.executable,
                "-m",
                "redline",
                "load",
                url,
                "--rate",
                "20",
                "--duration",
                "1s",
                "--workers",
                "1",
            ),
            *("--out", str(out), "--html", str(html), "--format", fmt, "--quiet"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    everything = proc.stdout + proc.stderr + out.read_text() + html.read_text()
    assert "S3cr3t-PLANTED-L1" not in everything and "S3cr3t-PLANTED-L2" not in everything
    assert f"http://127.0.0.1:{server}/x?token=S3****&page=1" in out.read_text()


def test_load_result_writer_masks(tmp_path: Path) -> None:
    """results.json and the HTML report are written by one function, which masks."""
    from redline.load.results import write_text_atomic

    target = tmp_path / "results.json"
    write_text_atomic(target, '{"target": "http://h/x?access_token=S3cr3t-PLANTED-L3"}')
    assert target.read_text() == '{"target": "http://h/x?access_token=S3****"}'


# ------------------------------------------------------------------ the masking function


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgres://app:hunter22@db:5432/x", "postgres://app:****@db:5432/x"),
        ("redis://:hunter22@cache:6379", "redis://:****@cache:6379"),
        ("https://Tok3nValue99@host/x", "https://To****@host/x"),
        ("ssh://git@github.com/org/x.git", "ssh://git@github.com/org/x.git"),  # a user name, not a token
        ("http://h/?password=hunter22&user=a", "http://h/?password=hu****&user=a"),
        ("http://h/?access_token=abcdef123&x=1", "http://h/?access_token=ab****&x=1"),
        ("http://h/?api_key=abcdef123", "http://h/?api_key=ab****"),
        ("http://h/?key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "http://h/?key=AIza****"),
        ("http://h/?key=abcdef1234", "http://h/?key=ab****"),
        ("Server=x;User Id=sa;Password=hunter22;", "Server=x;User Id=sa;Password=hu****;"),
        ("Server=x;Pwd=hunter22", "Server=x;Pwd=hu****"),
        ("curl -u admin:hunter22 http://h", "curl -u admin:**** http://h"),
        ("curl --user admin:hunter22 http://h", "curl --user admin:**** http://h"),
        ("redis-server --requirepass hunter22", "redis-server --requirepass hu****"),
        ("app --db-password=hunter22 --x 1", "app --db-password=hu**** --x 1"),
        ("app --api-token hunter22", "app --api-token hu****"),
        ("app --client-secret hunter22", "app --client-secret hu****"),
        ('["--requirepass", "hunter22"]', '["--requirepass", "hu****"]'),
        (
            "java -Dspring.datasource.password=hunter22 -jar a.jar",
            "java -Dspring.datasource.password=hu**** -jar a.jar",
        ),
        ("redis-cli -h x -a hunter22 ping", "redis-cli -h x -a hu**** ping"),
        ("mysqladmin ping -phunter22", "mysqladmin ping -phu****"),
        ("AKIAIOSFODNN7EXAMPLE", "AKIA****"),
        ("ghp_" + "a1B2" * 9, "ghp_****"),
        ("github_pat_" + "a1B2_" * 10, "github_pat_****"),
        ("xoxb-123456789012-abcdefghijkl", "xoxb-****"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_value-1", "eyJh****"),
        (
            "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n",
            "-----BEGIN EC PRIVATE KEY-----****\n",
        ),
    ],
)
def test_mask_text_patterns(text: str, shown: str) -> None:
    assert mask_text(text) == shown
    assert mask_text(shown) == shown  # idempotent: outputs pass through it more than once


@pytest.mark.parametrize(
    "text",
    [
        "postgres://app:${DB_PASSWORD}@db:5432/x",
        "redis-server --requirepass $(REDIS_PASSWORD)",
        '--requirepass "$$REDIS_PASSWORD"',
        "--password-file /run/secrets/db --token-ttl 5m",
        "DB_PASSWORD=${DB_PASSWORD}",
        "env `DB_PASSWORD` of container `api` holds a plaintext credential `hu****`",
        "q8Xz3LmN7vR2tY9wK4pB6sD1fG5hJ0aC",  # random-looking, but nothing says it is a secret
        "sha256:2b4f0d1c3a5e7f9b8d6c4a2e0f1b3d5c7e9a8b6d4c2e0f1a3b5c7d9e8f6a4b2c",
        "http://frontend:80/api?page=2&sort=name",
        "LOG_LEVEL=debug key=value",
    ],
)
def test_mask_text_leaves_references_and_innocent_text(text: str) -> None:
    assert mask_text(text) == text


def test_mask_keeps_two_characters_of_long_values_only() -> None:
    assert mask("hunter22") == "hu****"
    assert mask("abcd") == "****"
    assert mask("hu****") == "hu****"


def test_secret_names_and_references() -> None:
    assert is_secret_name("DB_PASSWORD") and is_secret_name("--requirepass") and is_secret_name("dbPassword")
    assert is_secret_name("backup.password") and is_secret_name("api-token")
    assert not is_secret_name("PASSWORD_FILE") and not is_secret_name("secret_ref")
    assert is_reference("$$REDIS_PASSWORD") and is_reference("$${X}") and not is_reference("hunter22")


def test_mask_args_uses_the_flag_before_a_value() -> None:
    args = ["curl", "-u", "u:pw12345", "--requirepass", "pw12345", "redis-cli", "-a", "pw12345"]
    assert mask_args(args) == ["curl", "-u", "u:****", "--requirepass", "pw****", "redis-cli", "-a", "pw****"]
    assert mask_args(["mysql", "-ppw12345", "-p${X}"]) == ["mysql", "-ppw****", "-p${X}"]


def test_mask_tree_by_name_and_data_kinds() -> None:
    tree = {
        "env": [{"name": "DB_PASSWORD", "value": "hunter22"}, {"name": "PORT", "value": "8080"}],
        "labels": {"api-token": "hunter22", "app": "web"},
        "objects": [
            {"kind": "ConfigMap", "spec": {"data": {"LOG_LEVEL": "debug"}, "data_lines": {"LOG_LEVEL": 7}}},
            {"kind": "Secret", "spec": {"stringData": {"pw": "hunter22"}, "keys": ["pw"]}},
        ],
    }
    assert mask_tree(tree) == {
        "env": [{"name": "DB_PASSWORD", "value": "hu****"}, {"name": "PORT", "value": "8080"}],
        "labels": {"api-token": "hu****", "app": "web"},
        "objects": [
            {"kind": "ConfigMap", "spec": {"data": {"LOG_LEVEL": "de****"}, "data_lines": {"LOG_LEVEL": 7}}},
            {"kind": "Secret", "spec": {"stringData": {"pw": "hu****"}, "keys": ["pw"]}},
        ],
    }


def test_masked_model_is_a_copy() -> None:
    env = EnvVar(name="API_TOKEN", value="hunter22")
    shown = masked(env)
    assert shown.value == "hu****" and env.value == "hunter22" and isinstance(shown, EnvVar)
    assert masked(EnvVar(name="API_TOKEN", value="${API_TOKEN}")).value == "${API_TOKEN}"


def test_masked_stream_masks_and_follows_sys_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    stream = MaskedStream("stdout")
    assert stream.write("redis://:hunter22@cache") == len("redis://:hunter22@cache")
    assert capsys.readouterr().out == "redis://:****@cache"


# ------------------------------------------------------------------ linear time


def _adversarial() -> dict[str, str]:
    n = 1_000_000
    return {
        "one letter": "a" * n,
        "dashes": "-" * n,
        "key headers": "-----BEGIN PRIVATE KEY-----" * (n // 27),
        "key body without end": "-----BEGIN RSA PRIVATE KEY-----" + "A-" * (n // 2),
        "begin words": "-----BEGIN " * (n // 11),
        "schemes": "a://" * (n // 4),
        "userinfo without @": "a://b:" + "c" * n,
        "colons": "a://" + ":" * n,
        "assignments": "a=" * (n // 2),
        "long names": ("a" * 80 + " ") * (n // 81),
        "password assignments": "password=" * (n // 9),
        "flags": "--password " * (n // 11),
        "flag then spaces": "--password" + " " * n,
        "curl users": "-u a:" * (n // 5),
        "curl user run": "-u " + "a" * n,
        "short flags": " -p" * (n // 3),
        "mysql flags": "mysql -p" * (n // 8),
        "redis flags": "redis-cli -a " * (n // 13),
        "jwt heads": "eyJa." * (n // 5),
        "jwt run": "eyJ" + "a" * n,
        "aws": "AKIA" * (n // 4),
        "github": "ghp_" * (n // 4),
        "slack": "xoxb-" * (n // 5),
        "query keys": "?key=" * (n // 5),
        "mixed": "x://u:p@h --token t -u a:b password=x eyJa.eyJb.c AKIA " * (n // 60),
    }


@pytest.mark.parametrize("name", sorted(_adversarial()))
def test_every_pattern_is_linear_on_a_megabyte(name: str) -> None:
    text = _adversarial()[name]
    assert len(text) >= 900_000
    worst = 0.0
    for pattern, sub in _PASSES:
        start = time.perf_counter()
        pattern.sub(sub, text)
        worst = max(worst, time.perf_counter() - start)
    assert worst < 1.0, f"{name}: {worst:.2f} s"


def test_mask_text_on_a_megabyte_of_each_adversarial_input() -> None:
    start = time.perf_counter()
    for text in _adversarial().values():
        mask_text(text)
    assert time.perf_counter() - start < 10.0  # 25 inputs of 1 MB, every pass


@pytest.mark.parametrize(
    "url",
    ["http://u:S3cr3t-PLANTED-E1@127.0.0.1:99999/?token=S3cr3t-PLANTED-E2", "ftp://u:S3cr3t-PLANTED-E1@h/"],
)
def test_load_usage_errors_do_not_echo_credentials(url: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "redline", "load", url, "--rate", "1", "--duration", "1s"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "u:****@" in proc.stderr
    assert "PLANTED-E" not in proc.stdout + proc.stderr


def test_a_url_whose_slashes_a_path_library_collapsed_is_masked() -> None:
    """pathlib turns ``postgres://app:pw@db/x`` into ``postgres:/app:pw@db/x``; error lines quote that."""
    from redline.model.secrets import mask_text

    assert (
        mask_text("cannot read postgres:/app:Sup3r-Secret-Pw@db/x") == "cannot read postgres:/app:****@db/x"
    )
    assert mask_text("see C:/Users/x@y") == "see C:/Users/x@y"  # a drive letter, no password
