"""The YAML layer: lines, hostile input, and what it refuses."""

import pytest

from redline.sources.yamlio import LineDict, LineList, Tagged, YamlError, load_documents


def test_lines_of_keys_and_items() -> None:
    docs = list(load_documents("a: 1\nb:\n  - x\n  - {c: 2}\n---\nkind: Service\n"))
    assert len(docs) == 2
    first = docs[0]
    assert isinstance(first, LineDict) and first.key_lines == {"a": 1, "b": 2}
    assert isinstance(first["b"], LineList) and first["b"].item_lines == [3, 4]
    assert first["b"][1].line == 4


def test_billion_laughs_is_refused_without_expanding() -> None:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    with pytest.raises(YamlError, match="alias bomb"):
        list(load_documents("\n".join(rows)))


def test_small_aliases_are_fine() -> None:
    (doc,) = load_documents("base: &b {x: 1}\nother: *b\n")
    assert doc["other"] == {"x": 1}


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(YamlError, match="nesting"):
        list(load_documents("[" * 5000 + "]" * 5000))
    with pytest.raises(YamlError, match="nesting"):
        list(load_documents("".join(f"{' ' * i}k{i}:\n" for i in range(400)) + " " * 400 + "v: 1\n"))


def test_tabs_and_malformed_yaml_give_the_line() -> None:
    with pytest.raises(YamlError) as err:
        list(load_documents("a: 1\nb:\n\tc: 2\n"))
    assert err.value.line == 3
    with pytest.raises(YamlError) as err:
        list(load_documents("a: [1, 2\nb: 3\n"))
    assert err.value.line is not None


def test_custom_tags_are_kept_not_fatal() -> None:
    (doc,) = load_documents("x: !reset []\ny: !override {a: 1}\nz: !Ref thing\n")
    assert doc["x"] == Tagged("!reset", [])
    assert doc["y"].tag == "!override" and doc["y"].value == {"a": 1}
    assert doc["z"] == Tagged("!Ref", "thing")


def test_documents_before_an_error_are_yielded() -> None:
    seen = []
    with pytest.raises(YamlError):
        for doc in load_documents("kind: A\n---\nkind: B\n---\nkind: [\n"):
            seen.append(doc)
    assert [d["kind"] for d in seen] == ["A", "B"]
