"""State that does not persist and data directories a datastore cannot write: AV009 (StatefulSet without
volumeClaimTemplates), AV007 (a datastore's shared ReadWriteOnce claim) and ST005, each finding pinned
exactly, and the samples."""

from __future__ import annotations

import pytest
from graphrules_helpers import FIXTURES, findings
from tests.conftest import samples_dir

from redline.review.engine import ReviewConfig, review
from redline.review.rule import Severity
from redline.sources.scan import scan

Pinned = tuple[str, str | None, str | None, int | None, Severity, str]


def _pinned(code: str, name: str) -> list[Pinned]:
    return [
        (f.rule, f.component, f.file, f.line, f.severity, f.message)
        for f in findings(FIXTURES / code / name, code)
    ]


def test_av009_statefulset_without_claims_exact() -> None:
    assert _pinned("AV009", "positive_statefulset.yaml") == [
        (
            "AV009",
            "db",
            "positive_statefulset.yaml",
            2,
            Severity.HIGH,
            "mysql datastore `db` is a StatefulSet with no volumeClaimTemplates and no persistent volume: "
            "its data lives only as long as the pod.",
        )
    ]


def test_av009_statefulset_with_claims_or_unknown_volume_is_silent() -> None:
    assert _pinned("AV009", "negative.yaml") == []  # a volumeClaimTemplate at the data directory
    assert _pinned("AV009", "negative_statefulset_nfs.yaml") == []  # nfs: maybe persistent, not judged


def test_av009_statefulset_one_finding_per_fact() -> None:
    """An emptyDir data directory in a StatefulSet is one finding (the emptyDir's), not two."""
    found = _pinned("AV009", "positive_emptydir.yaml")
    assert [(f[0], f[1], f[3]) for f in found] == [("AV009", "db", 17)]
    assert "is an emptyDir" in found[0][5]


def test_statefulset_claim_keeps_its_mount() -> None:
    """The reader carries a volumeClaimTemplate's mount path and readOnly onto the volume."""
    system = scan(FIXTURES / "ST005" / "positive.yaml")
    pg = system.component("pg")
    assert pg is not None
    assert [(v.name, v.mount_path, v.read_only, v.access_modes) for v in pg.volumes] == [
        ("data", "/var/lib/postgresql/data", None, ["ReadOnlyMany"])
    ]


def test_av007_datastore_names_the_datastore_risk() -> None:
    assert _pinned("AV007", "positive_datastore.yaml") == [
        (
            "AV007",
            "db",
            "positive_datastore.yaml",
            21,
            Severity.MEDIUM,
            "Deployment `db` mounts ReadWriteOnce claim `pgdata`: 2 replicas of the postgres datastore share "
            "it: replicas on other nodes hang on Multi-Attach, and replicas on the same node run separate "
            "engines over one data directory (the second fails on the engine's lock, or corrupts the data).",
        )
    ]


def test_av007_service_keeps_its_message() -> None:
    found = _pinned("AV007", "positive.yaml")
    assert found and all("datastore" not in f[5] and "only one node can attach it" in f[5] for f in found)


def test_st005_read_only_data_directory_exact() -> None:
    assert _pinned("ST005", "positive.yaml") == [
        (
            "ST005",
            "pg",
            "positive.yaml",
            17,
            Severity.MEDIUM,
            "postgres datastore `pg` keeps its data directory /var/lib/postgresql/data on claim `data`, "
            "which asks only for ReadOnlyMany access: the engine must write there.",
        ),
        (
            "ST005",
            "mongo",
            "positive.yaml",
            39,
            Severity.MEDIUM,
            "mongodb datastore `mongo` mounts its data directory /data/db read-only (volume `data`, "
            "readOnly: true): the engine must write there.",
        ),
    ]


def test_st005_writable_or_seed_mounts_are_silent() -> None:
    assert _pinned("ST005", "negative.yaml") == []


SAMPLE_TARGETS = [
    "online-boutique",
    "sock-shop",
    "retail-store-sample-app",
    "deathstarbench",
    "spring-petclinic-microservices",
    "full-stack-fastapi-template",
]


@pytest.mark.samples
@pytest.mark.parametrize("target", SAMPLE_TARGETS)
def test_samples_have_no_unwritable_or_unclaimed_statefulset_datastore(target: str) -> None:
    """Read against the files: no sample datastore mounts its data read-only or asks for ReadOnlyMany, and
    every StatefulSet datastore has a claim or a volume at its data directory; AV007 finds no shared
    ReadWriteOnce claim. (AV009's Deployment and emptyDir findings predate this and are pinned in
    test_samples_graph.)"""
    report = review(scan(samples_dir(target)), ReviewConfig(select=["AV007", "AV009", "ST005"]))
    assert not report.errors
    assert [f for f in report.findings if f.rule in ("AV007", "ST005")] == []
    assert [f for f in report.findings if f.rule == "AV009" and "StatefulSet" in f.message] == []
