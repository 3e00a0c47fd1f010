"""Round-trip application of typed edits to YAML text: what an edit does not touch stays as written."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from redline.fix.apply import EditError, SourceText, YamlFile, apply_to_text
from redline.fix.edits import DocRef, Edit, Match, Op

DEPLOY = DocRef(file="d.yaml", platform="kubernetes", kind="Deployment", name="api")
COMPOSE = DocRef(file="compose.yaml", platform="compose")

# Four-space mappings, sequences indented by two under their key, comments everywhere, both quotings,
# keys out of alphabetical order, and a second document written in a style ruamel would not choose.
TEXT = """\
# head comment
kind: Deployment
apiVersion: apps/v1
metadata:
    name: api    # the name
spec:
    template:
        spec:
            containers:
              - name: api
                image: 'example/api:1.0'   # single-quoted
                args: ["--port", "8080"]
              # a comment between items
              - name: sidecar
                image: "example/side:2"
---
apiVersion:    v1
kind: Service
metadata: {name: api}
"""


def _edit(op: Op, *path: Any, value: Any = None, doc: DocRef = DEPLOY) -> Edit:
    return Edit(doc=doc, op=op, path=path, value=value)


CONTAINER = ("spec", "template", "spec", "containers", Match(key="name", value="api"))


def test_set_keeps_everything_else_as_written() -> None:
    text, changed = apply_to_text(TEXT, [_edit(Op.SET, *CONTAINER, "imagePullPolicy", value="Always")])
    assert changed
    assert text == TEXT.replace(
        '                args: ["--port", "8080"]\n',
        '                args: ["--port", "8080"]\n                imagePullPolicy: Always\n',
    )


def test_nested_values_are_written_in_the_file_s_own_indentation() -> None:
    probe = {"tcpSocket": {"port": 8080}, "periodSeconds": 10}
    text, _ = apply_to_text(TEXT, [_edit(Op.SET, *CONTAINER, "readinessProbe", value=probe)])
    assert (
        '                args: ["--port", "8080"]\n'
        "                readinessProbe:\n"
        "                    tcpSocket:\n"
        "                        port: 8080\n"
        "                    periodSeconds: 10\n"
        "              # a comment between items\n"
    ) in text


def test_add_and_remove() -> None:
    add = _edit(Op.ADD, *CONTAINER, "args", value="--verbose")
    remove = _edit(Op.REMOVE, "spec", "template", "spec", "containers", Match(key="name", value="sidecar"))
    text, _ = apply_to_text(TEXT, [add, remove])
    # the new item is written plain (existing items keep their quotes); the comment above the removed
    # item goes with it
    assert text == TEXT.replace('"8080"]', '"8080", --verbose]').replace(
        "              # a comment between items\n              - name: sidecar\n"
        '                image: "example/side:2"\n',
        "",
    )


def test_edits_that_are_already_made_change_nothing() -> None:
    same = _edit(Op.SET, "metadata", "name", value="api")
    present = _edit(Op.ADD, *CONTAINER, "args", value="8080")
    absent = _edit(Op.REMOVE, "spec", "replicas")
    assert apply_to_text(TEXT, [same, present, absent]) == (TEXT, False)


def test_an_edit_that_cannot_be_made_says_where() -> None:
    wrong = _edit(
        Op.SET, "spec", "template", "spec", "containers", Match(key="name", value="x"), "a", value=1
    )
    with pytest.raises(EditError, match=r"spec\.template\.spec\.containers has no item with name: x"):
        apply_to_text(TEXT, [wrong])


def test_append_to_an_empty_file_writes_the_document_alone() -> None:
    f = YamlFile.parse("")
    assert f.append({"kind": "PodDisruptionBudget", "metadata": {"name": "api"}})
    assert f.render() == "kind: PodDisruptionBudget\nmetadata:\n  name: api\n"


def test_append_to_a_file_adds_a_document_once() -> None:
    f = YamlFile.parse(TEXT)
    doc = {"kind": "PodDisruptionBudget", "metadata": {"name": "api"}}
    assert f.append(doc)
    again = YamlFile.parse(f.render())
    assert not again.append(doc)
    assert f.render() == TEXT + "---\nkind: PodDisruptionBudget\nmetadata:\n  name: api\n"


def test_shared_parses_give_each_file_its_own_copy() -> None:
    shared: dict[int, Any] = {}
    first = YamlFile.parse(TEXT, shared)
    first.apply(_edit(Op.SET, "spec", "replicas", value=3))
    second = YamlFile.parse(TEXT, shared)
    second.apply(_edit(Op.SET, "spec", "replicas", value=5))
    assert 0 in shared
    assert "replicas: 3" in first.render() and "replicas: 5" in second.render()
    assert "replicas" not in YamlFile.parse(TEXT, shared).render()


def test_compose_file_edit() -> None:
    text = "services:\n  web:\n    image: web   # pinned\n"
    edit = _edit(Op.SET, "services", "web", "restart", value="unless-stopped", doc=COMPOSE)
    assert apply_to_text(text, [edit]) == (
        "services:\n  web:\n    image: web   # pinned\n    restart: unless-stopped\n",
        True,
    )


def test_source_text_keeps_crlf_and_bom() -> None:
    raw = b"\xef\xbb\xbfa: 1\r\nb: 2\r\n"
    src = SourceText.decode(raw)
    assert (src.text, src.crlf, src.bom) == ("a: 1\nb: 2\n", True, True)
    assert src.encode(src.text) == raw
    assert src.encode("a: 1\nb: 3\n") == b"\xef\xbb\xbfa: 1\r\nb: 3\r\n"
    with pytest.raises(UnicodeDecodeError):
        SourceText.decode(b"\xff\xfe")


def test_an_object_inside_a_list_document_is_edited_in_place() -> None:
    text = (
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "- apiVersion: v1\n"
        "  kind: Namespace\n"
        "  metadata: {name: api}\n"
        "- apiVersion: apps/v1\n"
        "  kind: Deployment\n"
        "  metadata:\n"
        "    name: api\n"
        "  spec:\n"
        "    replicas: 1\n"
    )
    assert apply_to_text(text, [_edit(Op.SET, "spec", "replicas", value=2)]) == (
        text.replace("replicas: 1", "replicas: 2"),
        True,
    )


def test_new_entries_go_above_the_comments_that_introduce_what_follows() -> None:
    """Comment lines after a value belong to what comes next (as ruamel reads them, to the value
    before): a new key or item is written above them, not below."""
    text = "services:\n  web:\n    image: web  # pinned\n\n  # the database\n  db:\n    image: db\n"
    edit = _edit(Op.SET, "services", "web", "healthcheck", value={"test": ["CMD", "true"]}, doc=COMPOSE)
    assert apply_to_text(text, [edit])[0] == (
        "services:\n  web:\n    image: web  # pinned\n    healthcheck:\n      test:\n      - CMD\n"
        "      - 'true'\n\n  # the database\n  db:\n    image: db\n"
    )
    listed = "resources:\n - a.yaml\n - b.yaml  # the last\n# components:\n# - ../c\n"
    add = _edit(Op.ADD, "resources", value="c.yaml", doc=DocRef(file="k.yaml", platform="kubernetes"))
    assert apply_to_text(listed, [add])[0] == (
        "resources:\n - a.yaml\n - b.yaml  # the last\n - c.yaml\n# components:\n# - ../c\n"
    )


def test_strings_are_written_so_that_every_yaml_reader_reads_strings() -> None:
    """ruamel writes YAML 1.2; the scan (and kubectl, and PyYAML) read YAML 1.1, where plain 22:22 is the
    integer 1342 and yes is true. Such strings are quoted, and every value reads back as written."""
    values = ["22:22", "yes", "on", "10", "true", "plain", "8080:80"]
    edit = _edit(Op.SET, "services", "web", "x-values", value=values, doc=COMPOSE)
    text, _ = apply_to_text("services:\n  web:\n    image: web\n", [edit])
    assert text == (
        "services:\n  web:\n    image: web\n    x-values:\n    - '22:22'\n    - 'yes'\n    - 'on'\n"
        "    - '10'\n    - 'true'\n    - plain\n    - 8080:80\n"
    )
    assert yaml.safe_load(text)["services"]["web"]["x-values"] == values
