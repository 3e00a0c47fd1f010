"""Regression tests for what the fuzz suite (tests/fuzz) found in the readers: each failed on the code of
its finding (C2, C3/P1, C4, P2, Y5, Y6 in the fuzz findings list) and pins file, line, kind and message."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import redline
from redline.cli.app import app
from redline.model import SkipKind

REFUSED = "(Kubernetes and Compose refuse such a file)"
TEMPLATE = "Go/Helm template, not plain YAML: render it (`helm template`) and scan the output"


def _deployment(name: str, spec_extra: str = "") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n{spec_extra}"
        f"  template: {{spec: {{containers: [{{name: {name}, image: nginx}}]}}}}\n"
    )


def _scan(root: Path) -> redline.System:
    return redline.scan(root, render_helm=False)


def _skips(system: redline.System) -> list[tuple[str, int | None, SkipKind, str]]:
    return [(s.file, s.line, s.kind, s.reason) for s in system.skipped]


def _warnings(system: redline.System) -> list[tuple[str, int | None, str]]:
    """The warnings about files (not the system-wide ones, such as an empty call graph, filed under ".")."""
    return [(w.file, w.line, w.message) for w in system.warnings if w.file != "."]


def _exit(command: str, root: Path) -> int:
    return CliRunner().invoke(app, [command, str(root), "--format", "json"]).exit_code


def test_services_true_in_an_override_file_costs_only_that_file(tmp_path: Path) -> None:
    """C2: `len(True)` in scan.py crashed scan, review and forecast (exit 70)."""
    (tmp_path / "compose.yaml").write_text("services:\n  web: {image: nginx}\n")
    (tmp_path / "compose.override.yaml").write_text("services:\n  true\n")
    system = _scan(tmp_path)
    assert [c.name for c in system.components] == ["web"]
    assert _warnings(system) == [
        ("compose.override.yaml", 1, "services: expected a mapping, got True; ignored")
    ]
    assert [(f.file, f.objects) for f in system.files] == [("compose.yaml", 1), ("compose.override.yaml", 0)]


def test_an_empty_mapping_in_depends_on_drops_only_itself(tmp_path: Path) -> None:
    """C3 + P1: StopIteration in compose `_as_map` cost the project, then a KeyError in scan.py exited 70."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: nginx\n    depends_on:\n      - {}\n      - db\n  db: {image: postgres}\n"
    )
    system = _scan(tmp_path)
    assert sorted(c.name for c in system.components) == ["db", "web"]
    assert [(e.from_, e.to) for e in system.edges] == [("web", "db")]
    assert not system.skipped
    assert _warnings(system) == [
        ("compose.yaml", 5, "depends_on: expected a string item, got a mapping; ignored")
    ]


def test_a_yaml_error_in_a_file_with_braces_in_a_string_is_a_yaml_error(tmp_path: Path) -> None:
    """C4: any error in a file holding `{{` and `}}` was blamed on a Go/Helm template."""
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
        "data:\n  run: sed 's/{{PROJECT_ID}}/x/'\n  alert: 'value {{ $value }}'\n  bad: [1, 2\n"
    )
    (_, line, kind, reason), *more = _skips(_scan(tmp_path))
    assert (line, kind, more) == (8, SkipKind.UNREADABLE, [])  # libyaml reports an unclosed `[` at the end
    assert reason.startswith("malformed YAML: ") and "template" not in reason


def test_a_template_action_on_the_failing_line_or_a_helm_action_in_the_file_is_a_template(
    tmp_path: Path,
) -> None:
    """Y5's exception: `{{ .Values.x }}` parses as a mapping used as a key; it must stay a template."""
    (tmp_path / "a.yaml").write_text("kind: Service\nmetadata:\n  name: {{ .Values.name }}\n")
    (tmp_path / "b.yaml").write_text(
        "{{- if .Values.enabled }}\n" + _deployment("b") + "  bad: [1\n{{- end }}\n"
    )  # the error is on a line without an action; the file's `{{- if` makes it a template
    (tmp_path / "c.yaml").write_text(_deployment("c") + "  labels: {x: {{ $x }}}\n")
    assert sorted(_skips(_scan(tmp_path))) == [
        ("a.yaml", 3, SkipKind.UNREADABLE, TEMPLATE),
        ("b.yaml", 1, SkipKind.UNREADABLE, TEMPLATE),
        ("c.yaml", 7, SkipKind.UNREADABLE, TEMPLATE),
    ]


def test_a_sequence_used_as_a_key_drops_only_its_entry_and_gates(tmp_path: Path) -> None:
    """Y5: the file (from that document on) was refused; now the entry alone, as a gating skip."""
    (tmp_path / "app.yaml").write_text(
        _deployment("a", "  [x, y]: 1\n  replicas: 3\n")
        + "---\n"
        + _deployment("b")
        + "---\n"
        + _deployment("c")
    )
    system = _scan(tmp_path)
    assert sorted(c.name for c in system.components) == ["a", "b", "c"]
    a = system.component("a")
    assert a is not None and a.replicas == 3
    assert _skips(system) == [
        (
            "app.yaml",
            6,
            SkipKind.UNREADABLE,
            f"[x, y]: a sequence used as a mapping key; entry dropped {REFUSED}",
        )
    ]
    assert (_exit("scan", tmp_path), _exit("review", tmp_path)) == (0, 2)


def test_a_mapping_key_in_a_compose_service_drops_only_that_entry(tmp_path: Path) -> None:
    """Y5 in Compose, as the fuzz found it: a service's `deploy:` key replaced by a flow sequence."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n  cart:\n    image: app:1\n    [null, [1, false]]:\n      replicas: 5\n"
        "    environment: {API_HOST: api}\n  api:\n    image: app:1\n"
    )
    system = _scan(tmp_path)
    assert sorted(c.name for c in system.components) == ["api", "cart"]
    assert [(e.from_, e.to) for e in system.edges] == [("cart", "api")]
    assert _skips(system) == [
        (
            "compose.yaml",
            4,
            SkipKind.UNREADABLE,
            f"[null, [1, false]]: a sequence used as a mapping key; entry dropped {REFUSED}",
        )
    ]


def test_a_value_nested_too_deep_drops_only_itself_and_gates(tmp_path: Path) -> None:
    """Y6: one value beyond 200 levels refused the whole file; the bound stays, for that value alone."""
    deep = "[" * 300 + "]" * 300 + "\n"
    (tmp_path / "app.yaml").write_text(_deployment("a", "  extra: " + deep) + "---\n" + _deployment("b"))
    system = _scan(tmp_path)
    assert sorted(c.name for c in system.components) == ["a", "b"]
    assert _skips(system) == [
        ("app.yaml", 6, SkipKind.UNREADABLE, "a value nested deeper than 200 levels; value dropped")
    ]
    assert _exit("review", tmp_path) == 2


def test_many_gaps_in_one_file_are_listed_up_to_ten(tmp_path: Path) -> None:
    keys = "".join(f"  [k{i}]: {i}\n" for i in range(25))
    (tmp_path / "app.yaml").write_text(_deployment("a", keys))
    skips = _skips(_scan(tmp_path))
    assert len(skips) == 11 and skips[0][1] == 6 and skips[9][1] == 15
    assert skips[10] == ("app.yaml", 16, SkipKind.UNREADABLE, "15 more values dropped the same way")


def test_a_renamed_services_key_is_warned_about(tmp_path: Path) -> None:
    """P2: a Compose file whose `services:` key was renamed lost every service without a word."""
    (tmp_path / "compose.yaml").write_text("name: shop\nnull:\n  web: {image: nginx}\nx-common: {a: 1}\n")
    system = _scan(tmp_path)
    assert system.components == []
    assert _warnings(system) == [
        ("compose.yaml", 2, "null: not a Compose top-level key (Compose refuses the file); ignored"),
        ("compose.yaml", None, "no Compose service defined (no `services:` mapping with a service)"),
    ]


def test_files_left_out_by_kustomize_are_not_parsed(tmp_path: Path) -> None:
    """A broken file that `kubectl apply -k` leaves out (its kustomization does not list it) also got an
    unreadable (gating) skip, because every file was parsed before it was classified."""
    (tmp_path / "kustomization.yaml").write_text("resources: [app.yaml]\n")
    (tmp_path / "app.yaml").write_text(_deployment("a"))
    (tmp_path / "scratch.yaml").write_text("kind: [\n")
    skips = _skips(_scan(tmp_path))
    assert [(f, k) for f, _, k, _ in skips] == [("scratch.yaml", SkipKind.IGNORED)]


def test_a_redline_yaml_problem_is_reported_once(tmp_path: Path) -> None:
    """redline.yaml was parsed twice (when classified and when applied), so each problem was listed twice."""
    (tmp_path / "compose.yaml").write_text("services:\n  a: {image: nginx}\n")
    (tmp_path / "redline.yaml").write_text(
        "name: x\ncomponents:\n  a:\n    workers: !!int many\n    [k]: 1\n"
    )
    system = _scan(tmp_path)
    assert _warnings(system) == [("redline.yaml", 4, "'many' cannot be read as !!int; value dropped")]
    assert _skips(system) == [
        (
            "redline.yaml",
            5,
            SkipKind.UNREADABLE,
            f"[k]: a sequence used as a mapping key; entry dropped {REFUSED}",
        )
    ]


def test_an_empty_value_tagged_as_a_number_drops_only_itself(tmp_path: Path) -> None:
    """Long run (seed 5): `kind: !!int ` raised IndexError out of PyYAML's constructor (exit 70)."""
    (tmp_path / "app.yaml").write_text(_deployment("a", "  replicas: !!int\n  paused: !!float ''\n"))
    system = _scan(tmp_path)
    a = system.component("a")
    assert a is not None and a.replicas is None  # given but unreadable: unknown, not the default
    assert _warnings(system) == [
        ("app.yaml", 6, "'' cannot be read as !!int; value dropped"),
        ("app.yaml", 7, "'' cannot be read as !!float; value dropped"),
    ]


def test_a_kind_that_is_no_kind_name_is_warned_about(tmp_path: Path) -> None:
    """Long run (seed 5): `kind: "\\0nul"` lost the Deployment silently (read as an unknown kind)."""
    (tmp_path / "app.yaml").write_text(
        _deployment("a").replace("kind: Deployment", 'kind: "\\0nul"') + "---\n" + _deployment("b")
    )
    system = _scan(tmp_path)
    assert [c.name for c in system.components] == ["b"] and system.objects == []
    assert _warnings(system) == [
        ("app.yaml", 2, "kind: expected a Kubernetes kind name, got '\\x00nul'; document ignored")
    ]
