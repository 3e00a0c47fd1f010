"""The fuzz harness itself: slots, units, what a mutation may cost, and that the checker sees a loss.

If these drift, the fuzz tests would pass for the wrong reason; each pins exact values.
"""

from __future__ import annotations

import copy

import pytest

from tests.fuzz import check
from tests.fuzz.inputs import shop_cases
from tests.fuzz.mutate import Broken, Flavour, Hit, Slot, broken, corrupt, may_cost, replace, slots, units

pytestmark = pytest.mark.fuzz

KUBE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  replicas: 2
---
apiVersion: v1
kind: Service
metadata:
  name: a
"""
COMPOSE = """\
services:
  web:
    image: nginx
  db: {image: postgres}
volumes: {}
"""


def _slot(text: str, path: tuple[str, ...], key: bool = False) -> Slot:
    return next(s for s in slots(text) if s.path == path and s.is_key == key)


def test_slots_have_exact_spans_lines_and_tag_positions() -> None:
    s = _slot(KUBE, ("spec", "replicas"))
    assert (s.doc, s.line, KUBE[s.start : s.end], KUBE[: s.tag_at].splitlines()[-1]) == (
        0,
        5,
        "2",
        "  replicas:",
    )
    k = _slot(KUBE, ("metadata", "name"), key=True)
    assert (k.doc, k.line, KUBE[k.start : k.end], k.siblings) == (0, 3, "name", ())
    block = _slot(KUBE, ("spec",))
    assert KUBE[block.start : block.end] == "replicas: 2"  # a block value ends at its last character


def test_units_are_documents_or_services_with_line_spans() -> None:
    assert [(u.name, u.first, u.last) for u in units(KUBE, Flavour.KUBERNETES)] == [
        ("doc0", 1, 6),
        ("doc1", 7, 11),
    ]
    assert [(u.name, u.prefix, u.first, u.last) for u in units(COMPOSE, Flavour.COMPOSE)] == [
        ("web", ("services", "web"), 2, 3),
        ("db", ("services", "db"), 4, 4),
    ]


def test_what_a_mutation_may_cost() -> None:
    doc0, doc1 = units(KUBE, Flavour.KUBERNETES)
    name = replace(KUBE, _slot(KUBE, ("metadata", "name")), Hit.VALUE, "[1, 2]")
    assert (
        may_cost(name, doc0, Flavour.KUBERNETES, KUBE),
        may_cost(name, doc1, Flavour.KUBERNETES, KUBE),
    ) == (True, False)
    replicas = replace(KUBE, _slot(KUBE, ("spec", "replicas")), Hit.TAG, "!!bool")
    assert b"replicas: !!bool  2" in replicas.data and replicas.broken is Broken.NO
    assert not may_cost(replicas, doc0, Flavour.KUBERNETES, KUBE)
    root_key = replace(KUBE, _slot(KUBE, ("spec",), key=True), Hit.KEY, "kind")
    assert may_cost(root_key, doc0, Flavour.KUBERNETES, KUBE) and not may_cost(
        root_key, doc1, Flavour.KUBERNETES, KUBE
    )
    web, db = units(COMPOSE, Flavour.COMPOSE)
    image = replace(COMPOSE, _slot(COMPOSE, ("services", "web", "image")), Hit.VALUE, "{a: 1}")
    assert not may_cost(image, web, Flavour.COMPOSE, COMPOSE) and not may_cost(
        image, db, Flavour.COMPOSE, COMPOSE
    )
    whole = replace(COMPOSE, _slot(COMPOSE, ("services", "web")), Hit.VALUE, "7")
    assert may_cost(whole, web, Flavour.COMPOSE, COMPOSE) and not may_cost(
        whole, db, Flavour.COMPOSE, COMPOSE
    )


def test_a_reset_tag_on_a_service_empties_it_and_other_tags_do_not() -> None:
    """``!reset`` on a service is Compose's "remove it": a valid instruction, nothing to warn about."""
    web = _slot(COMPOSE, ("services", "web"))
    reset = replace(COMPOSE, web, Hit.TAG, "!reset")
    assert b"web: !reset " in reset.data and check._emptied(reset)
    assert not check._emptied(replace(COMPOSE, web, Hit.TAG, "!foo"))
    assert not check._emptied(
        replace(COMPOSE, _slot(COMPOSE, ("services", "web", "image")), Hit.TAG, "!reset")
    )


def test_byte_hits_cost_from_their_document_on_and_the_stream_when_not_yaml() -> None:
    data = KUBE.encode()
    doc0, doc1 = units(KUBE, Flavour.KUBERNETES)
    tab = corrupt(data, data.index(b"  name: a"), "tab-indent")  # line 10, in the second document
    assert (tab.line, tab.broken) == (10, Broken.SYNTAX)
    assert (may_cost(tab, doc0, Flavour.KUBERNETES, KUBE), may_cost(tab, doc1, Flavour.KUBERNETES, KUBE)) == (
        False,
        True,
    )
    nul = corrupt(data, 5, "nul")
    assert nul.broken is Broken.STREAM and may_cost(nul, doc0, Flavour.KUBERNETES, KUBE)
    crlf = corrupt(data, 0, "crlf")
    assert (crlf.hit, crlf.broken, may_cost(crlf, doc1, Flavour.KUBERNETES, KUBE)) == (
        Hit.SAME,
        Broken.NO,
        False,
    )
    assert [
        broken(b) for b in (b"a: 1\n", b"a: [1\n", b"a: \xff\n", b"a: \x1b\n", b"\xef\xbb\xbfa: 1\n")
    ] == [
        Broken.NO,
        Broken.SYNTAX,
        Broken.STREAM,
        Broken.STREAM,
        Broken.NO,
    ]


def test_checker_reports_a_lost_neighbour_component() -> None:
    """The loss check on real scans: drop one untouched file's component from the scan, and only that
    component is reported lost, with its file:line."""
    case = next(c for c in shop_cases() if c.name == "examples/shop/kubernetes/catalog.yaml")
    base = check.baseline(case)
    assert sorted(check.component_keys(base)) == [
        ("CronJob", "nightly-report"),
        *(
            ("Deployment", n)
            for n in ("cart", "catalog", "frontend", "gateway", "orders", "payments", "redis")
        ),
        ("Deployment", "worker"),
        ("Ingress", "shop"),
        ("StatefulSet", "postgres"),
        ("StatefulSet", "rabbitmq"),
    ]
    m = corrupt(case.text().encode(), 0, "crlf")
    after = copy.deepcopy(base)
    after["components"] = [c for c in after["components"] if c["name"] != "orders"]
    problems = check._loss_problems(case, m, base, after)
    assert [(p.kind, p.detail.split(": ", 1)[1]) for p in problems] == [
        ("lost", "1 healthy component(s) lost: Deployment orders (orders.yaml:1)")
    ]
