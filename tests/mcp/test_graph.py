"""The graph questions on a planted system with three entry points: one fails, one degrades, one is
unaffected; calls per request are summed over every path; a cycle leaves them unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

import redline
from redline.mcp.graph import QueryError, blast_radius, call_paths, dependents
from redline.model import System

PLANTED = """\
name: planted
entrypoints:
  - {name: api, component: edge, rps: 100}
  - {name: admin, component: backoffice, rps: 5}
  - {name: static, component: cdn, rps: 50}
components:
  edge:
    kind: gateway
    calls:
      - {to: svc, count: 1}
  backoffice:
    kind: service
    calls:
      - {to: report, count: 1}
  report:
    kind: service
    calls:
      - {to: db, count: 0.5}
  svc:
    kind: service
    calls:
      - {to: db, count: 3}
      - {to: cache}
  cache:
    kind: cache
  db:
    kind: datastore
  cdn:
    kind: gateway
"""


def _system(tmp_path: Path, text: str = PLANTED) -> System:
    (tmp_path / "redline.yaml").write_text(text)
    return redline.scan(tmp_path)


def test_one_entry_point_fails_one_degrades_one_is_unaffected(tmp_path: Path) -> None:
    blast = blast_radius(_system(tmp_path), "db")
    (api,) = blast.fails
    assert (api.entrypoint, api.component, api.calls_per_request) == ("api", "edge", 3.0)
    assert [(h.caller, h.callee, h.count) for h in api.path] == [("edge", "svc", 1.0), ("svc", "db", 3.0)]
    assert api.path[1].evidence == ["redline.yaml:22 redline.yaml calls db"]
    (admin,) = blast.degrades
    assert (admin.entrypoint, admin.calls_per_request, admin.cut_off) == ("admin", 0.5, [])
    assert "report → db (count 0.5)" in admin.reason
    assert blast.unaffected == ["static"]
    assert (blast.dependents, blast.upstream) == (["report", "svc"], ["backoffice", "edge", "report", "svc"])


def test_an_unstated_count_is_every_request_and_cut_off_is_what_only_it_reaches(tmp_path: Path) -> None:
    system = _system(tmp_path)
    assert [f.entrypoint for f in blast_radius(system, "cache").fails] == ["api"]
    (api,) = blast_radius(system, "svc").fails
    assert (api.calls_per_request, api.cut_off) == (1.0, ["cache", "db"])
    (own,) = blast_radius(system, "edge").fails
    assert (own.calls_per_request, own.path, own.cut_off) == (1.0, [], ["cache", "db", "svc"])


def test_a_cycle_leaves_calls_per_request_unknown(tmp_path: Path) -> None:
    cyclic = PLANTED.replace(
        "  db:\n    kind: datastore\n", "  db:\n    kind: datastore\n    calls:\n      - {to: svc}\n"
    )
    (api,) = blast_radius(_system(tmp_path, cyclic), "db").fails
    assert api.calls_per_request is None


def test_paths_and_dependents(tmp_path: Path) -> None:
    system = _system(tmp_path)
    paths = call_paths(system, "admin", "db")
    assert (paths.entry_component, paths.total, paths.truncated) == ("backoffice", 1, False)
    assert [h.callee for h in paths.paths[0].hops] == ["report", "db"]
    assert (paths.paths[0].calls_per_request, paths.paths[0].every_request) == (0.5, False)
    assert call_paths(system, "static", "db").paths == []
    deps = dependents(system, "db")
    assert [(c.caller, c.count) for c in deps.callers] == [("report", 0.5), ("svc", 3.0)]
    assert deps.entrypoints == ["api", "admin"]
    with pytest.raises(QueryError, match="no component 'dbx' in planted; did you mean db"):
        dependents(system, "dbx")
