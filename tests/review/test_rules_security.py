"""Security rules: fixtures under fixtures/SE*/, the secret detector on its own, and the promise that no
finding ever prints a secret whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphrules_helpers import FIXTURES, cases, findings
from hypothesis import given, settings
from hypothesis import strategies as st
from objrules_helpers import catalog_problems

from redline.fix.edits import Op, Safety
from redline.review.rule import Category, Finding, Severity
from redline.review.rules._util import (
    classify_value,
    is_reference,
    is_secret_name,
    looks_like_key,
    mask,
    secrets_in_text,
    shannon_entropy,
    url_credentials,
)

# `positive*` also matches the snapshot files (`positive.expected.yaml`), which are not inputs.
POSITIVE = [(c, p) for c, p in cases("SE", "positive") if not p.name.endswith(".expected.yaml")]
NEGATIVE = cases("SE", "negative")


@pytest.mark.parametrize(("code", "path"), POSITIVE, ids=[f"{c}-{p.name}" for c, p in POSITIVE])
def test_positive_fixture_triggers(code: str, path: Path) -> None:
    found = findings(path, code)
    assert found, f"{code} did not fire on {path}"
    for f in found:
        assert f.file and f.line and f.message and f.why and f.fix and f.tradeoff
        assert f.component is None or f"`{f.component}`" in f.message


@pytest.mark.parametrize(("code", "path"), NEGATIVE, ids=[f"{c}-{p.name}" for c, p in NEGATIVE])
def test_negative_fixture_is_silent(code: str, path: Path) -> None:
    assert findings(path, code) == []


def test_catalog() -> None:
    assert catalog_problems("SE", Category.SECURITY) == []


def _text(f: object) -> str:
    return " ".join(str(getattr(f, k)) for k in ("message", "why", "fix", "tradeoff", "evidence"))


# ------------------------------------------------------------------ findings


def test_secret_in_env_is_masked_and_located() -> None:
    (f,) = findings(FIXTURES / "SE001" / "positive.yaml", "SE001")
    assert "hunter2-prod-7" not in _text(f)
    assert "`hu****`" in f.message and "`DB_PASSWORD`" in f.message and "`server`" in f.message
    assert f.line is not None and f.line > 20  # the env entry, not the top of the file
    assert "secretKeyRef" in f.fix.snippet


def test_default_password_is_reported_as_such() -> None:
    (f,) = findings(FIXTURES / "SE001" / "positive_default.yaml", "SE001")
    assert "well-known default password" in f.message and f.component == "db"
    assert "POSTGRES_PASSWORD" in f.fix.snippet  # compose-shaped fix


def test_credentials_in_url_mask_only_the_password() -> None:
    (f,) = findings(FIXTURES / "SE002" / "positive.yaml", "SE002")
    assert "`postgres://app:s3****@db:5432/app`" in f.message
    assert "s3cr3t-pw" not in _text(f)


def test_high_entropy_value_reports_length_not_value() -> None:
    (f,) = findings(FIXTURES / "SE003" / "positive.yaml", "SE003")
    assert "AIzaSyD-9tSrke72PouQMnMX" not in _text(f)
    assert "39 chars" in f.message and f.severity is Severity.MEDIUM


def test_configmap_secret_points_inside_the_block_scalar() -> None:
    (f,) = findings(FIXTURES / "SE004" / "positive_file.yaml", "SE004")
    assert f.line == 11  # the `password:` line inside application.yml, not the ConfigMap's first line
    assert "`password` inside key `application.yml`" in f.message
    assert "Sup3rS3cret" not in _text(f)
    (g,) = findings(FIXTURES / "SE004" / "positive.yaml", "SE004")
    assert g.line == 7 and "key `DB_PASSWORD`" in g.message


def test_privilege_escalation_explicit_is_worse_than_unset() -> None:
    (explicit,) = findings(FIXTURES / "SE008" / "positive.yaml", "SE008")
    (unset,) = findings(FIXTURES / "SE008" / "positive_unset.yaml", "SE008")
    assert explicit.severity is Severity.MEDIUM and "true" in explicit.message
    assert unset.severity is Severity.LOW and "unset" in unset.message


def test_root_rules_do_not_double_report() -> None:
    """runAsUser 0 is SE006's; SE007 (weak signal) stays silent on it."""
    path = FIXTURES / "SE006" / "positive.yaml"
    assert findings(path, "SE006") and findings(path, "SE007") == []


def test_hostpath_system_dir_writable_is_high() -> None:
    (f,) = findings(FIXTURES / "SE011" / "positive.yaml", "SE011")
    assert f.severity is Severity.HIGH and "`/etc`" in f.message and "writable" in f.message


def test_runtime_socket_read_only_is_still_reported() -> None:
    (f,) = findings(FIXTURES / "SE012" / "positive.yaml", "SE012")
    assert "read-only" in f.message and f.severity is Severity.HIGH


def test_ingress_without_tls_names_host() -> None:
    (f,) = findings(FIXTURES / "SE013" / "positive.yaml", "SE013")
    assert "shop.example.com" in f.message and "secretName" in f.fix.snippet


def test_datastore_behind_load_balancer_is_high_published_port_medium() -> None:
    (lb,) = findings(FIXTURES / "SE014" / "positive_loadbalancer.yaml", "SE014")
    (pub,) = findings(FIXTURES / "SE014" / "positive.yaml", "SE014")
    assert lb.severity is Severity.HIGH and "LoadBalancer" in lb.message
    assert pub.severity is Severity.MEDIUM and "5432" in pub.message and "127.0.0.1" in pub.fix.snippet


def test_network_policy_fix_admits_the_real_caller() -> None:
    (f,) = findings(FIXTURES / "SE015" / "positive", "SE015")
    assert "`redis`" in f.message and "namespace `default`" in f.message
    assert "app: api" in f.fix.snippet and "6379" in f.fix.snippet


def test_dangerous_capability_named() -> None:
    (f,) = findings(FIXTURES / "SE016" / "positive.yaml", "SE016")
    assert "SYS_ADMIN" in f.message and f.severity is Severity.HIGH


# ------------------------------------------------------------------ the detector


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "${POSTGRES_PASSWORD}",
        "${POSTGRES_PASSWORD:?Variable not set}",
        "${SECRET_KEY:-}",
        "$(DB_PASSWORD)",
        "$DB_PASSWORD",
        "{{ .Values.password }}",
        "<your-token>",
        "/run/secrets/db_password",
        "vault:secret/data/db#password",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
        "projects/p/secrets/db/versions/latest",
    ],
)
def test_references_are_not_secrets(value: str | None) -> None:
    assert is_reference(value)
    assert classify_value("DB_PASSWORD", value) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DB_PASSWORD", True),
        ("POSTGRES_PASSWORD", True),
        ("API_KEY", True),
        ("STRIPE_SECRET_KEY", True),
        ("GITHUB_TOKEN", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("JWT_SECRET", True),
        ("PASSWORD_FILE", False),
        ("TOKEN_TTL", False),
        ("AWS_ACCESS_KEY_ID", False),
        ("SECRET_NAME", False),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", False),
        ("SMTP_USER", False),
        ("PORT", False),
        ("PASSENGER_COUNT", False),
    ],
)
def test_secret_names(name: str, expected: bool) -> None:
    assert is_secret_name(name) is expected


def test_flags_and_dummies_are_not_credentials() -> None:
    assert classify_value("REDIS_PASSWORD_ENABLED", "true") is None
    assert classify_value("AWS_SECRET_ACCESS_KEY", "dummy") is None
    assert classify_value("API_TOKEN", "xxxxxxxx") is None


def test_well_known_defaults_are_flagged_as_defaults() -> None:
    for value in ("postgres", "changeme", "admin", "password"):
        hit = classify_value("DB_PASSWORD", value)
        assert hit is not None and hit.default, value
    hit = classify_value("DB_PASSWORD", "fake_password")
    assert hit is not None and not hit.default


@pytest.mark.parametrize(
    "value",
    [
        "productcatalogservice.default.svc.cluster.local:3550",
        "http://frontend:80/api/v1/items",
        "3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c",
        "-Xms64m -Xmx128m -XX:+UseG1GC",
        "12345678901234567890123",
        "deathstarbench/social-network-microservices:latest",
        "0123456789abcdef0123",  # a short hex id (commit-like), not a key
        "io.kompose.service",
    ],
)
def test_long_innocent_values_are_not_keys(value: str) -> None:
    assert not looks_like_key(value)


@pytest.mark.parametrize(
    "value",
    [
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_" + "a1B2" * 9,
        "xoxb-123456789012-abcdefghijkl",
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        "q8Xz3LmN7vR2tY9wK4pB6sD1fG5hJ0aC",
        "-----BEGIN RSA PRIVATE KEY-----",
    ],
)
def test_key_shaped_values(value: str) -> None:
    assert looks_like_key(value)


def test_url_credentials_cases() -> None:
    hit = url_credentials("amqp://guest:guest@rabbitmq:5672/")
    assert hit is not None and hit.default and hit.shown == "amqp://guest:gu****@rabbitmq:5672/"
    assert url_credentials("postgresql://postgres:${POSTGRES_PASSWORD:?x}@db:5432/app") is None
    assert url_credentials("http://frontend:80") is None
    jdbc = url_credentials("jdbc:mysql://db:3306/app?user=app&password=hunter22")
    assert jdbc is not None and "hunter22" not in jdbc.shown


def test_config_file_lines() -> None:
    text = "spring:\n  datasource:\n    password: Sup3rS3cret!\n    username: app\n  token: ${TOKEN}\n"
    hits = list(secrets_in_text("application.yml", text))
    assert [(offset, key) for offset, key, _ in hits] == [(2, "password")]


def test_entropy() -> None:
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == 2


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="${}<>/"), min_size=6
    )
)
def test_mask_never_reveals_more_than_two_characters(secret: str) -> None:
    assert mask(secret) == secret[:2] + "****"
    hit = classify_value("DB_PASSWORD", secret)
    if hit is not None and hit.reason != "credentials in a URL":
        assert secret not in hit.shown


# ------------------------------------------------------------------ secrets on command lines, probes, Secrets


def _pin(path: Path, code: str) -> list[tuple[str | None, str | None, int | None, Severity, str]]:
    return [(f.component, f.file, f.line, f.severity, f.message) for f in findings(path, code)]


def test_secret_in_arguments_kubernetes_args() -> None:
    assert _pin(FIXTURES / "SE017" / "positive.yaml", "SE017") == [
        (
            "cache",
            "positive.yaml",
            11,  # the container
            Severity.HIGH,
            "container `redis` of `cache` passes a credential on its command line: `--requirepass Fi****`",
        )
    ]
    (f,) = findings(FIXTURES / "SE017" / "positive.yaml", "SE017")
    assert "`--requirepass Fi****` with `--requirepass $(REQUIREPASS)`" in f.fix.snippet
    assert "secretKeyRef" in f.fix.snippet and f.fix.safety is Safety.ADVICE
    assert "Fixture-Redis-Pw-17" not in _text(f)


def test_secret_in_arguments_compose_string_command() -> None:
    (f,) = findings(FIXTURES / "SE017" / "positive_compose.yaml", "SE017")
    assert (f.component, f.file, f.line, f.severity) == ("api", "positive_compose.yaml", 2, Severity.HIGH)
    assert f.message == (
        "container `api` of `api` passes a credential on its command line: `--db-password=Fi****`, "
        "`amqp://app:****@mq:5672/`"
    )
    assert "`--db-password=${DB_PASSWORD}`" in f.fix.snippet
    assert "`amqp://app:${AMQP_PASSWORD}@mq:5672/`" in f.fix.snippet
    assert "Fixture-Db-Pw-17" not in _text(f) and "Fixture-Mq-Pw-17" not in _text(f)


def test_secret_in_probe_kubernetes_exec_curl() -> None:
    assert _pin(FIXTURES / "SE018" / "positive.yaml", "SE018") == [
        (
            "api",
            "positive.yaml",
            13,  # livenessProbe:
            Severity.HIGH,
            "the liveness probe of container `api` in `api` carries a credential: `-fsu admin:****`",
        )
    ]
    (f,) = findings(FIXTURES / "SE018" / "positive.yaml", "SE018")
    assert "curl -fsu admin:$PROBE_SECRET http://localhost:8080/health" in f.fix.snippet


def test_secret_in_probe_compose_healthcheck_redis_cli() -> None:
    assert _pin(FIXTURES / "SE018" / "positive_compose.yaml", "SE018") == [
        (
            "cache",
            "positive_compose.yaml",
            4,
            Severity.HIGH,
            "the healthcheck in `cache` carries a credential: `-a Fi****`",
        )
    ]
    (f,) = findings(FIXTURES / "SE018" / "positive_compose.yaml", "SE018")
    assert "redis-cli -a $$PROBE_SECRET ping" in f.fix.snippet and "Fixture-Redis-Pw-18" not in _text(f)


def test_committed_secret_decodes_data_and_skips_names() -> None:
    """`username` (app) names a login; `password` is base64 of Fixture-Secret-19; stringData is plaintext."""
    assert _pin(FIXTURES / "SE019" / "positive.yaml", "SE019") == [
        (
            None,
            "positive.yaml",
            8,
            Severity.HIGH,
            "Secret `db` commits 2 values to the repository: `password`, `api-token`",
        )
    ]
    (f,) = findings(FIXTURES / "SE019" / "positive.yaml", "SE019")
    assert "Fixture-Secret-19" not in _text(f) and "Rml4dHVy" not in _text(f)
    assert "kind: ExternalSecret" in f.fix.snippet and "secretKey: password" in f.fix.snippet


def test_committed_secret_default_password_said_so() -> None:
    assert _pin(FIXTURES / "SE019" / "positive_default.yaml", "SE019") == [
        (
            None,
            "positive_default.yaml",
            7,
            Severity.HIGH,
            "Secret `rabbitmq` commits 1 value to the repository: `RABBITMQ_DEFAULT_PASS` "
            "(a well-known default password)",
        )
    ]


def test_new_secret_rules_are_silent_on_references_and_placeholders() -> None:
    for code in ("SE017", "SE018", "SE019"):
        for path in sorted((FIXTURES / code).glob("negative*")):
            assert findings(path, code) == [], path


def _sample_findings(
    rel: str, codes: tuple[str, ...]
) -> list[tuple[str, str | None, str | None, int | None, str]]:
    from tests.conftest import samples_dir

    from redline.review.engine import ReviewConfig, review
    from redline.sources.scan import scan

    report = review(scan(samples_dir(rel)), ReviewConfig(select=list(codes)))
    return [(f.rule, f.component, f.file, f.line, f.message) for f in report.findings]


def test_samples_sock_shop_grafana_import_posts_with_admin_admin() -> None:
    """Read at deploy/kubernetes/manifests-monitoring/23-grafana-import-dash-batch.yaml: the container
    (line 28) runs a script that POSTs to http://admin:admin@grafana/api/datasources and
    .../dashboards/import. Nothing else in sock-shop carries a credential on a command line or probe,
    and it commits no Secret."""
    assert _sample_findings("sock-shop", ("SE017", "SE018", "SE019")) == [
        (
            "SE017",
            "grafana-import-dashboards",
            "deploy/kubernetes/manifests-monitoring/23-grafana-import-dash-batch.yaml",
            28,
            "container `grafana-import-dashboards` of `grafana-import-dashboards` passes a credential on its "
            "command line: `http://admin:****@grafana/api/datasources`, "
            "`http://admin:****@grafana/api/dashboards/import`",
        )
    ]


@pytest.mark.parametrize(
    "rel",
    [
        "retail-store-sample-app",
        "online-boutique",
        "full-stack-fastapi-template",
        "deathstarbench",
        "spring-petclinic-microservices",
    ],
)
def test_samples_without_secrets_on_command_lines(rel: str) -> None:
    """retail-store's catalog healthcheck runs `mysqladmin ... -p${DB_PASSWORD}`: a reference, not reported."""
    assert _sample_findings(rel, ("SE017", "SE018", "SE019")) == []


def test_samples_retail_catalog_db_healthcheck_passes_a_reference() -> None:
    """The negative above is meaningful: the healthcheck is read, and its password is `${DB_PASSWORD}`."""
    from tests.conftest import samples_dir

    from redline.sources.scan import scan

    system = scan(samples_dir("retail-store-sample-app"))
    (db,) = [c for c in system.components if c.name == "catalog-db"]
    assert db.healthcheck is not None and db.healthcheck.command is not None
    assert db.healthcheck.command[-1] == "-p${DB_PASSWORD}"
    assert str(db.healthcheck.source) == "src/catalog/docker-compose.yml:54"


def test_url_credentials_is_linear_on_a_long_run_of_scheme_characters() -> None:
    # Found by the long fuzz (bench/RESULTS.md, fuzz): `PEER_HOST: "xxx…"` kept review busy for over 20 s,
    # because the scheme pattern restarted at every letter of the run. 1 MB now reads in well under 1 s.
    import time

    from redline.review.rules._util import url_credentials

    start = time.perf_counter()
    assert url_credentials('"' + "x" * 1_000_000) is None
    assert time.perf_counter() - start < 1.0
    hit = url_credentials("redis://:S3cretPLANT@cache:6379")
    assert hit is not None and hit.shown == "redis://:S3****@cache:6379"


# ------------------------------------------------------------------ fixes: safety decisions


def _one(path: Path, code: str) -> Finding:
    (f,) = findings(path, code)
    return f


def test_env_credential_becomes_advice_to_create_the_secret_first() -> None:
    """Kubernetes: no edit, because a secretKeyRef written before its Secret exists keeps the pod from
    starting; the advice names the Secret and key, shows the reference, and carries no value."""
    f = _one(FIXTURES / "SE001" / "positive.yaml", "SE001")
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits
    assert f.fix.example == {
        "env": [
            {
                "name": "DB_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": "api-secrets", "key": "db-password"}},
            }
        ]
    }
    assert "kubectl create secret generic api-secrets --from-literal=db-password=" in (f.fix.advice or "")
    assert "hunter2" not in f.fix.model_dump_json()


def test_compose_env_credential_is_advice_in_compose_syntax() -> None:
    """`environment` may be a list or a mapping, which the model does not keep: no edit, a Compose example
    whose reference stops `docker compose up` when the variable is unset."""
    f = _one(FIXTURES / "SE001" / "positive_default.yaml", "SE001")
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits
    assert f.fix.example == {
        "services": {"db": {"environment": {"POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?}"}}}
    }
    assert "securityContext" not in f.fix.snippet and "valueFrom" not in f.fix.snippet


def test_url_password_example_keeps_the_url_and_drops_the_password() -> None:
    f = _one(FIXTURES / "SE002" / "positive.yaml", "SE002")
    env = f.fix.example["services"]["api"]["environment"]
    assert env == {"DATABASE_URL": "postgres://app:${DATABASE_PASSWORD:?}@db:5432/app"}
    assert "s3cr3t" not in f.fix.model_dump_json() and "s3****" not in f.fix.snippet


@pytest.mark.parametrize(
    ("fixture", "safety"),
    [
        ("positive_unset.yaml", Safety.SAFE),
        ("positive.yaml", Safety.UNSAFE),
        ("positive_sys_admin.yaml", Safety.ADVICE),
    ],
)
def test_privilege_escalation_fix_safety(fixture: str, safety: Safety) -> None:
    """Unset -> safe (the container already runs as non-root); an explicit `true` -> unsafe (someone chose
    it); with SYS_ADMIN added -> advice (the API server rejects the pair)."""
    f = _one(FIXTURES / "SE008" / fixture, "SE008")
    assert f.fix.safety is safety
    if safety is not Safety.ADVICE:
        (e,) = f.fix.edits
        assert e.path[-2:] == ("securityContext", "allowPrivilegeEscalation") and e.value is False


def test_root_user_fix_targets_the_securitycontext_that_states_it() -> None:
    """Pod level: the pod's securityContext is edited; an ambiguous place gives advice, not a guess; no
    user id is ever invented."""
    pod = findings(FIXTURES / "SE006" / "positive_pod_level.yaml", "SE006")
    assert [f.component for f in pod] == ["api", "api"]
    for f in pod:
        assert [(e.op, e.path) for e in f.fix.edits] == [
            (Op.REMOVE, ("spec", "template", "spec", "securityContext", "runAsUser")),
            (Op.SET, ("spec", "template", "spec", "securityContext", "runAsNonRoot")),
        ]
    ambiguous = _one(FIXTURES / "SE006" / "positive.yaml", "SE006")
    assert ambiguous.fix.safety is Safety.ADVICE and "10001" not in ambiguous.fix.snippet
    compose = _one(FIXTURES / "SE006" / "positive_compose.yaml", "SE006")
    ((op, path),) = [(e.op, e.path) for e in compose.fix.edits]
    assert (op, path) == (Op.REMOVE, ("services", "worker", "user"))


def test_network_policy_never_selects_a_shared_label() -> None:
    """`app: teastore` is on every pod: no policy selects it; redis, with a label of its own, gets one that
    admits the web UI by the web UI's own selector."""
    f = _one(FIXTURES / "SE015" / "positive_shared_label", "SE015")
    assert f.fix.safety is Safety.UNSAFE and not f.fix.edits
    (created,) = f.fix.creates
    spec = created.document["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app": "redis"}}
    assert spec["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": {"app": "teastore", "run": "teastore-webui"}}}],
            "ports": [{"protocol": "TCP", "port": 6379}],
        }
    ]
    assert (
        "the selector {app: teastore} of `teastore-db` also selects the pods of `teastore-webui`"
        in f.fix.title
    )


def test_network_policy_with_no_known_caller_is_advice() -> None:
    f = _one(FIXTURES / "SE015" / "positive_no_caller", "SE015")
    assert f.fix.safety is Safety.ADVICE and not f.fix.creates
    assert "for `cache`: the callers are unknown" in f.fix.snippet


def test_datastore_service_shared_with_another_workload_is_not_retyped(tmp_path: Path) -> None:
    """A NodePort Service that also fronts the API: turning it into ClusterIP would cut the API off."""
    (tmp_path / "all.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: redis}\nspec:\n"
        "  selector: {matchLabels: {app: redis}}\n  template:\n    metadata: {labels: {app: redis, tier: shop}}\n"
        "    spec: {containers: [{name: redis, image: 'redis:7.4'}]}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
        "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api, tier: shop}}\n"
        "    spec: {containers: [{name: api, image: 'example/api:1.0'}]}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: shop}\nspec:\n  type: NodePort\n"
        "  selector: {tier: shop}\n  ports: [{port: 80}]\n"
    )
    f = _one(tmp_path, "SE014")
    assert f.fix.safety is Safety.ADVICE and "also fronts `api`" in f.fix.snippet


def test_compose_ports_bound_to_loopback_only_when_the_list_is_known() -> None:
    pub = _one(FIXTURES / "SE014" / "positive.yaml", "SE014")
    (e,) = pub.fix.edits
    assert (e.doc.platform, e.path, e.value) == (
        "compose",
        ("services", "db", "ports"),
        ["127.0.0.1:5432:5432"],
    )
    mixed = _one(FIXTURES / "SE014" / "positive_compose_expose.yaml", "SE014")
    assert mixed.fix.safety is Safety.ADVICE  # "6380" has no fixed host port: the list is not rewritten


def test_host_path_made_read_only_only_when_one_container_mounts_it() -> None:
    f = _one(FIXTURES / "SE011" / "positive.yaml", "SE011")
    (e,) = f.fix.edits
    assert e.path[-3:] == ("volumeMounts", e.path[-2], "readOnly") and e.value is True
    assert str(e.path[-2]) == "[name=etc]"


def test_security_snippets_carry_no_secret_value() -> None:
    """The literal of every credential in the fixtures: in no snippet, title, advice or example."""
    plants = {
        "SE001": "hunter2-prod-7",
        "SE002": "s3cr3t-pw",
        "SE003": "AIzaSyD-9tSrke72PouQMnMX",
        "SE004": "hunter2-prod-7",
        "SE017": "Fixture-",
        "SE018": "Fixture-",
        "SE019": "Fixture-",
    }
    for code, plant in plants.items():
        for _c, path in (case for case in POSITIVE if case[0] == code):
            for f in findings(path, code):
                assert plant not in f.fix.model_dump_json(), (code, path.name)
