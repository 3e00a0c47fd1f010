"""Network rules (CN020-CN039): NetworkPolicies evaluated over the call graph, inputs as small YAML files."""

from __future__ import annotations

from pathlib import Path

import pytest
import snapshots
from graphrules_helpers import FIXTURES, findings
from objrules_helpers import catalog_problems

from redline.fix.edits import Op, Safety
from redline.review.rule import Category, Severity

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers:
        - name: web
          image: example/frontend:1.0
          env:
            - {name: BACKEND_ADDR, value: "backend:80"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec:
      containers:
        - name: api
          image: example/backend:1.0
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: shop}
spec:
  selector: {app: backend}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: frontend, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: frontend}
  ports: [{port: 80}]
"""

DENY_ALL = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""

ALLOW_FRONTEND = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: backend}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: frontend}}}]
      ports: [{port: PORT, protocol: TCP}]
"""

EGRESS_ONLY_BACKEND = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: frontend}}
  policyTypes: [Egress]
  egress:
    - to: [{podSelector: {matchLabels: {app: backend}}}]
      ports: [{port: 8080}]
"""

EGRESS_DNS = """\
    - to:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
          podSelector: {matchLabels: {k8s-app: kube-dns}}
      ports: [{port: 53, protocol: UDP}]
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "app.yaml"
    p.write_text(text)
    return p


def _line(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


def test_cn020_deny_all_blocks_the_call(tmp_path: Path) -> None:
    text = APP + DENY_ALL
    (f,) = findings(_write(tmp_path, text), "CN020")
    assert (f.rule, f.component, f.file, f.line) == ("CN020", "frontend", "app.yaml", 45)
    assert f.line == _line(text, "kind: NetworkPolicy") - 1  # the object's own line (its apiVersion)
    assert f.severity is Severity.HIGH
    assert f.message == (
        "NetworkPolicy `deny-all` (app.yaml:45) blocks frontend -> backend on port http/TCP: no ingress rule "
        "of the policy selecting `backend` allows `frontend`"
    )


def test_cn020_allow_rule_on_the_named_or_numeric_port_is_silent(tmp_path: Path) -> None:
    for port in ("http", "8080"):
        assert (
            findings(_write(tmp_path, APP + DENY_ALL + ALLOW_FRONTEND.replace("PORT", port)), "CN020") == []
        )


def test_cn020_allow_rule_on_the_wrong_port_blocks(tmp_path: Path) -> None:
    text = APP + DENY_ALL + ALLOW_FRONTEND.replace("PORT", "9090")
    (f,) = findings(_write(tmp_path, text), "CN020")
    assert (f.component, f.file, f.line) == ("frontend", "app.yaml", 45)
    assert f.message == (
        "NetworkPolicy `deny-all` (app.yaml:45), NetworkPolicy `backend-in` (app.yaml:52) blocks "
        "frontend -> backend on port http/TCP: no ingress rule of the policies selecting `backend` allows "
        "`frontend`"
    )


def test_cn020_egress_policy_without_the_callee_blocks(tmp_path: Path) -> None:
    text = APP + EGRESS_ONLY_BACKEND.replace("app: backend}", "app: cache}")
    (f,) = findings(_write(tmp_path, text), "CN020")
    assert (f.rule, f.component, f.file, f.line, f.severity) == (
        "CN020",
        "frontend",
        "app.yaml",
        45,
        Severity.HIGH,
    )
    assert f.message == (
        "NetworkPolicy `frontend-out` (app.yaml:45) blocks frontend -> backend on port http/TCP: no egress "
        "rule of the policy selecting `frontend` allows `backend`"
    )


def test_cn020_egress_to_the_callee_is_silent(tmp_path: Path) -> None:
    assert findings(_write(tmp_path, APP + EGRESS_ONLY_BACKEND), "CN020") == []


def test_cn020_ip_block_and_other_namespace_selector_are_undecided(tmp_path: Path) -> None:
    ipblock = DENY_ALL + ("  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.0/8}}]\n")
    assert findings(_write(tmp_path, APP + ipblock), "CN020") == []
    labelled = DENY_ALL + "  ingress:\n    - from: [{namespaceSelector: {matchLabels: {team: shop}}}]\n"
    assert findings(_write(tmp_path, APP + labelled), "CN020") == []


def test_cn020_namespace_selector_by_implicit_name_decides(tmp_path: Path) -> None:
    other = DENY_ALL + (
        "  ingress:\n    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}}]\n"
    )
    (f,) = findings(_write(tmp_path, APP + other), "CN020")
    assert f.line == 45
    same = other.replace("name: other", "name: shop")
    assert findings(_write(tmp_path, APP + same), "CN020") == []


def test_cn021_egress_without_dns(tmp_path: Path) -> None:
    (f,) = findings(_write(tmp_path, APP + EGRESS_ONLY_BACKEND), "CN021")
    assert (f.rule, f.component, f.file, f.line, f.severity) == (
        "CN021",
        "frontend",
        "app.yaml",
        45,
        Severity.HIGH,
    )
    assert f.message == (
        "NetworkPolicy `frontend-out` (app.yaml:45) allows `frontend` no DNS (UDP 53 to kube-dns in "
        "kube-system), but it calls `backend` by name"
    )


def test_cn021_egress_with_dns_is_silent(tmp_path: Path) -> None:
    assert findings(_write(tmp_path, APP + EGRESS_ONLY_BACKEND + EGRESS_DNS), "CN021") == []
    assert findings(_write(tmp_path, APP + DENY_ALL), "CN021") == []  # ingress only: egress is open


@pytest.mark.parametrize(
    ("code", "case", "file"), [("CN020", "positive", "app.yaml"), ("CN021", "positive.yaml", "positive.yaml")]
)
def test_fixtures(code: str, case: str, file: str) -> None:
    (f,) = findings(FIXTURES / code / case, code)
    assert (f.rule, f.component, f.file, f.line) == (code, "frontend", file, 45)
    assert findings(FIXTURES / code / "negative.yaml", code) == []


def test_every_positive_fixture_has_an_expected_block() -> None:
    for code in ("CN020", "CN021", "CN022"):
        for case in sorted((FIXTURES / code).glob("positive*")):
            if not case.name.endswith(".expected.yaml"):
                assert snapshots.expected_path(case).exists(), case


# ------------------------------------------------------------------ fixes


def test_cn020_new_policy_selects_only_the_two_workloads() -> None:
    (f,) = findings(FIXTURES / "CN020" / "positive", "CN020")
    assert f.fix.safety is Safety.UNSAFE and not f.fix.edits  # the deny-all is left alone
    (new,) = f.fix.creates
    assert (new.beside.file, new.file_name) == ("app.yaml", "backend-from-frontend.yaml")
    assert new.document["metadata"] == {"name": "backend-from-frontend", "namespace": "shop"}
    assert new.document["spec"] == {
        "podSelector": {"matchLabels": {"app": "backend"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}],
                "ports": [{"port": "http", "protocol": "TCP"}],
            }
        ],
    }


def test_cn020_egress_policy_goes_on_the_caller() -> None:
    (f,) = findings(FIXTURES / "CN020" / "positive_egress", "CN020")
    (new,) = f.fix.creates
    spec = new.document["spec"]
    assert (new.document["metadata"]["name"], spec["podSelector"], spec["policyTypes"]) == (
        "frontend-to-backend",
        {"matchLabels": {"app": "frontend"}},
        ["Egress"],
    )
    assert spec["egress"][0]["to"] == [{"podSelector": {"matchLabels": {"app": "backend"}}}]


def test_cn020_caller_on_a_shared_label_gets_advice() -> None:
    # frontend's selector {app: shop} selects backend's pods too: an allow-from rule on it would admit
    # backend as well, and a rule on labels no pod carries would admit nobody. Advice, no policy.
    (f,) = findings(FIXTURES / "CN020" / "positive_shared_label.yaml", "CN020")
    assert f.fix.safety is Safety.ADVICE and not f.fix.creates and not f.fix.edits
    assert "the selector {app: shop} of `frontend` also selects the pods of `backend`" in (f.fix.advice or "")


def test_cn020_caller_in_another_namespace_is_named_by_namespace_too(tmp_path: Path) -> None:
    text = (APP + DENY_ALL).replace(
        "metadata: {name: frontend, namespace: shop}", "metadata: {name: frontend, namespace: web}"
    )
    text = text.replace(
        '{name: BACKEND_ADDR, value: "backend:80"}', '{name: BACKEND_ADDR, value: "backend.shop:80"}'
    )
    (f,) = findings(_write(tmp_path, text), "CN020")
    (new,) = f.fix.creates
    assert new.document["spec"]["ingress"][0]["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}},
            "podSelector": {"matchLabels": {"app": "frontend"}},
        }
    ]


def test_cn021_adds_dns_to_the_isolating_policy() -> None:
    (f,) = findings(FIXTURES / "CN021" / "positive.yaml", "CN021")
    (edit,) = f.fix.edits
    assert (edit.doc.kind, edit.doc.name, edit.op, edit.path) == (
        "NetworkPolicy",
        "frontend-out",
        Op.ADD,
        ("spec", "egress"),
    )
    assert edit.value["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


@pytest.mark.parametrize("case", ["positive.yaml", "positive_compose.yaml"])
def test_cn022_is_advice_that_never_carries_a_credential(case: str) -> None:
    (f,) = findings(FIXTURES / "CN022" / case, "CN022")
    assert f.fix.safety is Safety.ADVICE and not f.fix.edits
    text = f.model_dump_json()
    for secret in (
        "orders-pass-2291",
        "another-pass-7730",
        "app-secret-1",
        "other-secret-9",
        "root-secret-3",
    ):
        assert secret not in text
    if case == "positive_compose.yaml":
        assert f.fix.example == {"services": {"db": {"environment": {"MYSQL_PASSWORD": "${MYSQL_PASSWORD}"}}}}
    else:
        assert f.fix.example == {
            "env": [
                {
                    "name": "POSTGRES_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": "postgres", "key": "password"}},
                }
            ]
        }


def test_catalog() -> None:
    mine = [p for p in catalog_problems("CN", Category.CONNECT) if p.startswith(("CN020", "CN021"))]
    assert mine == []


# ------------------------------------------------------------------ CN022: credentials

CN022 = FIXTURES / "CN022"


def test_cn022_password_differs_from_the_datastore_account() -> None:
    (f,) = findings(CN022 / "positive.yaml", "CN022")
    assert (f.rule, f.component, f.file, f.line, f.severity) == (
        "CN022",
        "orders",
        "positive.yaml",
        16,
        Severity.HIGH,
    )
    assert f.message == (
        "`orders` connects to `postgres` with a password that differs from the one `postgres` sets: client "
        "DATABASE_URL (positive.yaml:16) vs server POSTGRES_PASSWORD (positive.yaml:42)"
    )
    assert "orders-pass-2291" not in f.model_dump_json() and "another-pass-7730" not in f.model_dump_json()


def test_cn022_same_credentials_are_silent() -> None:
    assert findings(CN022 / "negative.yaml", "CN022") == []


def test_cn022_secret_reference_is_unknown_never_a_mismatch(tmp_path: Path) -> None:
    text = (CN022 / "positive.yaml").read_text()
    ref = text.replace(
        "{name: POSTGRES_PASSWORD, value: another-pass-7730}",
        "{name: POSTGRES_PASSWORD, valueFrom: {secretKeyRef: {name: pg, key: password}}}",
    )
    assert ref != text
    assert findings(_write(tmp_path, ref), "CN022") == []


def test_cn022_a_user_the_image_does_not_create_is_not_judged(tmp_path: Path) -> None:
    # POSTGRES_USER unset: the image creates `postgres`, but a Job or migration may create `orders`.
    text = (
        (CN022 / "positive.yaml")
        .read_text()
        .replace("            - {name: POSTGRES_USER, value: orders}\n", "")
    )
    assert findings(_write(tmp_path, text), "CN022") == []


COMPOSE = """\
services:
  api:
    image: example/api:1.0
    environment:
      DB_HOST: db
      DB_USER: app
      DB_PASSWORD: app-secret-1
      DB_NAME: shop
      CACHE_HOST: mysql2
      CACHE_PASSWORD: other-secret-9
  db:
    image: mysql:8.4
    environment:
      MYSQL_USER: app
      MYSQL_PASSWORD: app-secret-1
      MYSQL_DATABASE: SHOPDB
      MYSQL_ROOT_PASSWORD: root-secret-3
  mysql2:
    image: mysql:8.4
    environment:
      MYSQL_USER: app
      MYSQL_PASSWORD: other-secret-9
"""


def _compose(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "compose.yaml"
    p.write_text(text)
    return p


def test_cn022_sibling_variables_pair_with_the_datastore_their_host_names(tmp_path: Path) -> None:
    # DB_* pairs with db only: CACHE_PASSWORD (mysql2's) is not compared with db's MYSQL_PASSWORD.
    (f,) = findings(_compose(tmp_path, COMPOSE), "CN022")
    assert (f.rule, f.component, f.file, f.line, f.severity) == (
        "CN022",
        "api",
        "compose.yaml",
        8,
        Severity.MEDIUM,
    )
    assert f.message == (
        "`api` connects to `db` with a database that differs from the one `db` sets: client DB_NAME "
        "(compose.yaml:8) vs server MYSQL_DATABASE (compose.yaml:16)"
    )
    assert findings(_compose(tmp_path, COMPOSE.replace("SHOPDB", "shop")), "CN022") == []


def test_cn022_root_client_is_compared_with_the_root_password(tmp_path: Path) -> None:
    text = COMPOSE.replace("SHOPDB", "shop").replace("DB_USER: app", "DB_USER: root")
    (f,) = findings(_compose(tmp_path, text), "CN022")
    assert (f.component, f.file, f.line) == ("api", "compose.yaml", 7)
    assert f.message == (
        "`api` connects to `db` with a password that differs from the one `db` sets: client DB_PASSWORD "
        "(compose.yaml:7) vs server MYSQL_ROOT_PASSWORD (compose.yaml:17)"
    )


def test_cn022_user_mismatch_unless_init_scripts_may_create_it(tmp_path: Path) -> None:
    text = COMPOSE.replace("SHOPDB", "shop").replace("DB_USER: app", "DB_USER: reporting")
    (f,) = findings(_compose(tmp_path, text), "CN022")
    assert (f.component, f.line) == ("api", 6)
    assert f.message == (
        "`api` connects to `db` with a user that differs from the one `db` sets: client DB_USER "
        "(compose.yaml:6) vs server MYSQL_USER (compose.yaml:14)"
    )
    init = text.replace(
        "      MYSQL_ROOT_PASSWORD: root-secret-3\n",
        "      MYSQL_ROOT_PASSWORD: root-secret-3\n    volumes: [./init:/docker-entrypoint-initdb.d]\n",
    )
    assert findings(_compose(tmp_path, init), "CN022") == []


def test_cn022_unresolved_variable_is_unknown(tmp_path: Path) -> None:
    text = COMPOSE.replace("SHOPDB", "shop").replace(
        "DB_PASSWORD: app-secret-1", "DB_PASSWORD: ${DB_PASSWORD}"
    )
    text = text.replace("MYSQL_PASSWORD: app-secret-1", "MYSQL_PASSWORD: different-2")
    assert findings(_compose(tmp_path, text), "CN022") == []


def test_cn022_catalog() -> None:
    mine = [p for p in catalog_problems("CN", Category.CONNECT) if p.startswith("CN022")]
    assert mine == []
