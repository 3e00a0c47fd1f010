"""Round-trip application of typed edits to YAML text: what an edit does not touch stays as written."""

from __future__ import annotations

from typing import Any

import pytest

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
