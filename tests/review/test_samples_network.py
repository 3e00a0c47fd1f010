"""Network rules (CN020, CN021) on real systems: Online Boutique with its own NetworkPolicies (which allow every
call the system makes), with only its deny-all policy (which cuts every call), and sock-shop's policies.

Every pinned finding was derived by reading the files: network-policy-deny-all.yaml selects every pod
(`podSelector: {}`) for Ingress and Egress and has no rules; the per-service policies allow exactly the
calls (and `egress: [{}]`, so DNS too).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.conftest import samples_dir

from redline.review.engine import ReviewConfig, review
from redline.review.rule import Finding, Severity
from redline.sources.scan import scan

pytestmark = pytest.mark.samples

CODES = ["CN020", "CN021"]
OB_CALLS = 16  # runtime calls between Online Boutique's workloads (env *_ADDR), loadgenerator included


def _findings(path: Path) -> list[Finding]:
    report = review(scan(path), ReviewConfig(select=CODES))
    assert not report.errors, report.errors
    return [f for f in report.findings if f.rule in CODES]


def _ob_with(tmp_path: Path, policies: list[str]) -> Path:
    """kubernetes-manifests plus some of the kustomize component's policies, applied together (no
    kustomization.yaml, which would leave the policy files out)."""
    dest = tmp_path / "ob"
    shutil.copytree(samples_dir("online-boutique", "kubernetes-manifests"), dest)
    (dest / "kustomization.yaml").unlink()
    src = samples_dir("online-boutique", "kustomize", "components", "network-policies")
    for p in src.glob("network-policy-*.yaml"):
        if p.stem.removeprefix("network-policy-") in policies or policies == ["*"]:
            shutil.copy(p, dest)
    return dest


def test_ob_policies_allow_every_call(tmp_path: Path) -> None:
    assert _findings(_ob_with(tmp_path, ["*"])) == []


def test_ob_deny_all_alone_blocks_every_call_and_dns(tmp_path: Path) -> None:
    found = _findings(_ob_with(tmp_path, ["deny-all"]))
    cn020 = [f for f in found if f.rule == "CN020"]
    cn021 = {f.component: f for f in found if f.rule == "CN021"}
    assert len(cn020) == 2 * OB_CALLS  # each call: the callee's ingress and the caller's egress
    assert {(f.file, f.line) for f in found} == {("network-policy-deny-all.yaml", 15)}
    assert set(cn021) == {
        "frontend",
        "checkoutservice",
        "cartservice",
        "recommendationservice",
        "loadgenerator",
    }
    pinned = [f for f in cn020 if f.component == "cartservice"]
    assert [f.message for f in pinned] == [
        "NetworkPolicy `deny-all` (network-policy-deny-all.yaml:15) blocks cartservice -> redis-cart on port "
        "6379/TCP: no ingress rule of the policy selecting `redis-cart` allows `cartservice`",
        "NetworkPolicy `deny-all` (network-policy-deny-all.yaml:15) blocks cartservice -> redis-cart on port "
        "6379/TCP: no egress rule of the policy selecting `cartservice` allows `redis-cart`",
    ]
    assert all(f.severity is Severity.HIGH for f in pinned)
    assert cn021["loadgenerator"].severity is Severity.MEDIUM  # tooling: one step down
    assert cn021["cartservice"].message == (
        "NetworkPolicy `deny-all` (network-policy-deny-all.yaml:15) allows `cartservice` no DNS (UDP 53 to "
        "kube-dns in kube-system), but it calls `redis-cart` by name"
    )


def test_sock_shop_policies_allow_its_calls() -> None:
    # user-db-access lets name=user in on 27017 (user's env mongo=user-db:27017); front-end-access opens 8079.
    assert _findings(samples_dir("sock-shop", "deploy", "kubernetes")) == []


# ------------------------------------------------------------------ CN022: credentials

#: Every sample target the sample tests review. On three calls both sides state comparable credentials and
#: agree (fastapi backend -> db: user postgres (the image default) and database app; retail orders ->
#: orders-db: user orders_user, database orders; orders -> rabbitmq: user); every password there is
#: `${DB_PASSWORD}` / `${POSTGRES_PASSWORD:?}` (unknown), so nothing may be reported.
CN022_TARGETS = [
    ("online-boutique", "kubernetes-manifests"),
    ("sock-shop", "deploy", "kubernetes"),
    ("sock-shop", "deploy", "docker-compose"),
    ("full-stack-fastapi-template",),
    ("spring-petclinic-microservices",),
    ("deathstarbench", "hotelReservation"),
    ("deathstarbench", "socialNetwork", "docker-compose.yml"),
    ("deathstarbench", "mediaMicroservices", "docker-compose.yml"),
    ("retail-store-sample-app",),
    ("retail-store-sample-app", "src", "app"),
]


def _cn022(path: Path) -> list[Finding]:
    report = review(scan(path), ReviewConfig(select=["CN022"]))
    assert not report.errors, report.errors
    return [f for f in report.findings if f.rule == "CN022"]


@pytest.mark.parametrize("parts", CN022_TARGETS, ids=lambda p: "/".join(p))
def test_cn022_no_finding_on_the_samples(parts: tuple[str, ...]) -> None:
    assert _cn022(samples_dir(*parts)) == []


def test_cn022_retail_orders_database_renamed_on_one_side(tmp_path: Path) -> None:
    src = samples_dir("retail-store-sample-app", "src", "orders", "docker-compose.yml").read_text()
    broken = src.replace("POSTGRES_DB=orders", "POSTGRES_DB=orders_v2")
    assert broken != src
    (tmp_path / "docker-compose.yml").write_text(broken)
    (f,) = _cn022(tmp_path / "docker-compose.yml")
    assert (f.rule, f.component, f.file, f.line, f.severity) == (
        "CN022",
        "orders",
        "docker-compose.yml",
        21,
        Severity.HIGH,
    )
    assert f.message == (
        "`orders` connects to `orders-db` with a database that differs from the one `orders-db` sets: "
        "client RETAIL_ORDERS_PERSISTENCE_NAME (docker-compose.yml:21) vs server POSTGRES_DB "
        "(docker-compose.yml:58)"
    )
