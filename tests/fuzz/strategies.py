"""Hypothesis strategies for mutations: what replaces a value or key, which tag, which byte hit."""

from __future__ import annotations

import json

from hypothesis import strategies as st

from tests.fuzz.inputs import Case
from tests.fuzz.mutate import BYTE_HOWS, Hit, Mutation, corrupt, replace, slots

SCALARS = (
    "",
    "~",
    "null",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "0",
    "-1",
    "1.5",
    "-0",
    "1e309",
    ".nan",
    ".inf",
    "-.inf",
    "0x1F",
    "0o17",
    "1_000",
    "9" * 400,
    "'  '",
    '""',
    "2001-12-14t21:59:43.10-05:00",
    "=",
    "'${VAR:-x}'",
    "'${'",
    "'$${A}'",
    "'10x'",
    "'-5ms'",
    "'1e400ms'",
    "'99.999999%'",
    "'0%'",
    "'NaN%'",
    "'1/0'",
    "'0s'",
    "'3000/min'",
    "'1Gi'",
    "'500m'",
    "'-1Mi'",
    "'1e12Ei'",
    "'http://'",
    "'::'",
    "'a b c'",
    "*nosuchanchor",
    "'\\ttab'",
    '"\\0nul"',
    '"\\x1b[31m"',
    "'\u202e\u200bspoof'",
    "'𝕏'",
)
STRUCTURES = (
    "[]",
    "{}",
    "[1, two, {3: 4}]",
    "{a: 1, b: [x]}",
    "[[]]",
    "{? [a]: b}",
    "[null]",
    "{null: null}",
    "&a [1, 2]",
    "{<<: {a: 1}}",
    "{<<: [1]}",
)
HUGE = (
    '"' + "x" * 100_000 + '"',
    "[" * 150 + "]" * 150,
    "[" * 300 + "]" * 300,
    "[" + ", ".join(["1"] * 20_000) + "]",
    "{" + ", ".join(f"k{i}: {i}" for i in range(5_000)) + "}",
    "9" * 5_000,
)
TAGS = (
    "!!bool",
    "!!int",
    "!!float",
    "!!str",
    "!!null",
    "!!omap",
    "!!set",
    "!!seq",
    "!!map",
    "!!binary",
    "!!timestamp",
    "!override",
    "!reset",
    "!foo",
    "!",
    "!<tag:example.com,2000:x>",
    "!!python/name:os.system",
)
KEYS = (
    "1",
    "-1",
    "0",
    "1.5",
    "true",
    "null",
    "~",
    '""',
    "'é键'",
    "!foo k",
    "[a, b]",
    "{a: 1}",
    "<<",
    "'" + "k" * 2_000 + "'",
    "'a.b/c'",
    "'-'",
)


def _json_values() -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
    )
    tree = st.recursive(
        leaves,
        lambda kids: st.one_of(
            st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=8), kids, max_size=3)
        ),
        max_leaves=8,
    )
    return tree.map(lambda v: json.dumps(v, ensure_ascii=False))


def values() -> st.SearchStrategy[str]:
    plain = st.one_of(st.sampled_from(SCALARS), st.sampled_from(STRUCTURES), _json_values())
    tagged = st.tuples(
        st.sampled_from(TAGS), st.one_of(st.sampled_from(SCALARS), st.sampled_from(STRUCTURES))
    )
    return st.one_of(plain, tagged.map(" ".join), st.sampled_from(HUGE))


@st.composite
def mutations(
    draw: st.DrawFn, case: Case, hits: tuple[Hit, ...] = (Hit.VALUE, Hit.TAG, Hit.KEY, Hit.BYTES)
) -> Mutation:
    """One mutation of ``case``'s target file."""
    text = case.text()
    hit = draw(st.sampled_from(hits))
    if hit is Hit.BYTES:
        data = text.encode()
        return corrupt(data, draw(st.integers(0, len(data))), draw(st.sampled_from(BYTE_HOWS)))
    candidates = [s for s in slots(text) if s.is_key == (hit is Hit.KEY) and (s.path or hit is not Hit.KEY)]
    slot = draw(st.sampled_from(candidates))
    if hit is Hit.TAG:
        return replace(text, slot, hit, draw(st.sampled_from(TAGS)))
    if hit is Hit.KEY:
        pool = [*KEYS, *(f"'{k}'" for k in slot.siblings)]
        return replace(text, slot, hit, draw(st.one_of(st.sampled_from(pool), _json_values())))
    return replace(text, slot, hit, draw(values()))
