"""The YAML layer: lines, hostile input, and what it refuses."""

import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
import yaml

from redline.sources import yamlio
from redline.sources.yamlio import LineDict, LineList, YamlError, load_documents, tag_of


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


DEEP = "a value nested deeper than 200 levels; value dropped"


def test_a_value_nested_too_deep_drops_only_itself() -> None:
    """Y6: one value beyond 200 levels used to refuse the whole file; now it alone is dropped, as a gap."""
    for n in (300, 5_000):  # 5,000 goes through the iterative composer (more than C_COMPOSE_DEPTH brackets)
        gaps: list[tuple[int | None, str]] = []
        text = "a: 1\nb: " + "[" * n + "x" + "]" * n + "\nc: 2\n---\nd: 3\n"
        first, second = load_documents(text, gaps=gaps)
        assert (first["a"], first["c"], second) == (1, 2, {"d": 3})
        assert repr(first["b"]) == "[" * 200 + "None" + "]" * 200  # the 201st level dropped, not the file
        assert gaps == [(2, DEEP)]
    gaps = []
    block = "".join(f"{' ' * i}k{i}:\n" for i in range(400)) + " " * 400 + "v: 1\n"
    (doc,) = load_documents(block, gaps=gaps)
    assert "k0" in doc and gaps == [(202, DEEP)]  # k200's value, on the line of k201


def test_nesting_beyond_the_parse_bound_refuses_the_document_quickly() -> None:
    start = time.perf_counter()
    seen = []
    with pytest.raises(YamlError) as err:
        for doc in load_documents("a: 1\n---\nb: " + "[" * 1_000_000 + "]" * 1_000_000 + "\n"):
            seen.append(doc)
    assert (err.value.line, err.value.message) == (3, "nesting deeper than 10,000 levels; not read from here")
    assert seen == [{"a": 1}] and time.perf_counter() - start < 5


def test_deep_flow_nesting_does_not_crash_the_process() -> None:
    """libyaml's C composer recursed once per level: 50,000 ``[`` (100 KB) was a segmentation fault."""
    code = (
        "from redline.sources.yamlio import load_documents, YamlError\n"
        "try:\n    list(load_documents('a: ' + '[' * 50000 + ']' * 50000))\n"
        "except YamlError as e:\n    print(e.line, e.message)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "1 nesting deeper than 10,000 levels; not read from here\n")


COMPOSER_CASES = (
    "a: 1\nb: [x, {c: d}]\n? [k]\n: v\n---\n- &x {a: 1}\n- *x\n- !foo bar\n- !!str 5\n- 'q'\n---\n",
    "x\n",
    "---\n",
    "# only a comment\n",
    "a: &a 1\nb: &a 2\n",
    "- - - x\n  - y\n- |\n  text\n",
    "a: *nosuch\n",
    "a: [1, 2\n",
    "%YAML 1.1\n---\na: !!set {x, y}\n...\n---\nb: {<<: {m: 1}, n: 2}\n",
)


@pytest.mark.parametrize("text", COMPOSER_CASES)
def test_the_iterative_composer_gives_what_libyaml_gives(text: str) -> None:
    def shape(node: yaml.Node) -> object:
        marks = (node.tag, node.start_mark.index, node.end_mark.index)
        if isinstance(node, yaml.ScalarNode):
            return (*marks, node.value, node.style)
        if isinstance(node, yaml.SequenceNode):
            return (*marks, node.flow_style, [shape(c) for c in node.value])
        return (*marks, node.flow_style, [(shape(k), shape(v)) for k, v in node.value])

    def compose(nodes: Callable[[yamlio._Loader], Iterator[yaml.Node]]) -> list[object]:
        try:
            return [shape(n) for n in nodes(yamlio._Loader(text))]
        except yaml.YAMLError as exc:
            return [type(exc).__name__, str(exc).splitlines()[0]]

    assert compose(yamlio._bounded_nodes) == compose(yamlio._nodes)


def test_tabs_and_malformed_yaml_give_the_line() -> None:
    with pytest.raises(YamlError) as err:
        list(load_documents("a: 1\nb:\n\tc: 2\n"))
    assert err.value.line == 3
    with pytest.raises(YamlError) as err:
        list(load_documents("a: [1, 2\nb: 3\n"))
    assert err.value.line is not None


def test_compose_tags_are_kept_on_plain_values_and_other_tags_are_read_untagged() -> None:
    problems: list[tuple[int | None, str]] = []
    (doc,) = load_documents("x: !reset []\ny: !override {a: 1}\nz: !Ref thing\nn: !override 3\n", problems)
    assert doc["x"] == [] and tag_of(doc["x"]) == "!reset" and isinstance(doc["x"], LineList)
    assert doc["y"] == {"a": 1} and tag_of(doc["y"]) == "!override" and isinstance(doc["y"], LineDict)
    assert doc["z"] == "thing" and tag_of(doc["z"]) is None
    assert doc["n"] == 3  # an !override scalar is the scalar, resolved as if untagged
    assert problems == [(3, "unknown tag !Ref: read as an untagged value")]


def test_a_value_that_does_not_fit_its_tag_drops_only_itself() -> None:
    problems: list[tuple[int | None, str]] = []
    text = "a: 1\nb: !!bool maybe\nc: !!int 1e\nd: !!float x\ne: 1" + "0" * 5000 + "\nf: ok\n"
    (doc,) = load_documents(text, problems)
    assert doc == {"a": 1, "b": None, "c": None, "d": None, "e": None, "f": "ok"}
    assert problems == [
        (2, "'maybe' cannot be read as !!bool; value dropped"),
        (3, "'1e' cannot be read as !!int; value dropped"),
        (4, "'x' cannot be read as !!float; value dropped"),
        (5, f"{'1' + '0' * 59!r} cannot be read as !!int; value dropped"),  # beyond Python's 4300 digits
    ]


def test_keys_are_strings_as_the_platforms_read_them() -> None:
    problems: list[tuple[int | None, str]] = []
    (doc,) = load_documents("5: 10\non: x\n1.5: y\nok: 1\n", problems)
    assert doc == {"5": 10, "on": "x", "1.5": "y", "ok": 1}
    assert doc.key_lines == {"5": 1, "on": 2, "1.5": 3, "ok": 4}
    assert problems == []


def test_a_collection_used_as_a_key_drops_only_its_entry() -> None:
    """Y5: it used to refuse the whole document and every one after it."""
    gaps: list[tuple[int | None, str]] = []
    text = "a: 1\n? [1,\n   2]\n: z\nb: {{x: 1}: y, c: 3}\n---\nd: 4\n"
    assert list(load_documents(text, gaps=gaps)) == [{"a": 1, "b": {"c": 3}}, {"d": 4}]
    refused = "(Kubernetes and Compose refuse such a file)"
    assert gaps == [
        (2, f"[1, 2]: a sequence used as a mapping key; entry dropped {refused}"),
        (5, f"{{x: 1}}: a mapping used as a mapping key; entry dropped {refused}"),
    ]


def test_duplicate_keys_warn_with_both_lines_and_the_last_wins() -> None:
    problems: list[tuple[int | None, str]] = []
    (doc,) = load_documents("a: 1\nb: 2\na: 3\nbase: &b {x: 1}\nm: {<<: *b, x: 2, y: 1, y: 4}\n", problems)
    assert doc["a"] == 3 and doc.key_lines["a"] == 3
    assert doc["m"] == {"x": 2, "y": 4}  # a merge key's value overridden is not a duplicate
    assert problems == [
        (5, "duplicate key 'y' (lines 5 and 5): YAML forbids it; the later value is used"),
        (3, "duplicate key 'a' (lines 1 and 3): YAML forbids it; the later value is used"),
    ]


def test_omap_reads_as_a_mapping_and_a_bad_merge_drops_only_the_merge() -> None:
    problems: list[tuple[int | None, str]] = []
    (doc,) = load_documents("s: !!omap [{web: {image: a}}, {db: {image: b}}]\nm: {<<: 5, k: 1}\n", problems)
    assert doc["s"] == {"web": {"image": "a"}, "db": {"image": "b"}} and isinstance(doc["s"], LineDict)
    assert doc["m"] == {"k": 1}
    assert problems == [
        (
            2,
            "merge key (<<): expected a mapping or list of mappings for merging, but found scalar; merge dropped",
        )
    ]


def test_documents_before_an_error_are_yielded() -> None:
    seen = []
    with pytest.raises(YamlError):
        for doc in load_documents("kind: A\n---\nkind: B\n---\nkind: [\n"):
            seen.append(doc)
    assert [d["kind"] for d in seen] == ["A", "B"]
