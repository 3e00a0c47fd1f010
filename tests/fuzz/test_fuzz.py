"""The CLI under mutated input: real samples, the bundled example and generated systems.

Each case mutates one file (a value, a tag, a key or raw bytes) and runs scan, review and forecast; see
:mod:`tests.fuzz.check` for what must hold. Failures print the case, the mutation and every broken
promise; bench/fuzz_long.py runs the same cases at random for as long as asked.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import samples_dir
from tests.fuzz.check import Problem, check
from tests.fuzz.conftest import CI
from tests.fuzz.inputs import Case, generated, sample_pool, sampled, shop_cases
from tests.fuzz.mutate import Flavour, Hit, Mutation
from tests.fuzz.strategies import mutations

pytestmark = pytest.mark.fuzz

TEXT_HITS = (Hit.VALUE, Hit.TAG, Hit.KEY)


def report(case: Case, m: Mutation, problems: list[Problem]) -> str:
    """A failure message a person can act on: the case, the hit with its lines, and each problem."""
    lines = m.data.decode("utf-8", "backslashreplace").splitlines()
    around = "\n".join(f"  {i:4}| {row[:160]}" for i, row in enumerate(lines, 1) if abs(i - m.line) <= 3)
    head = f"{case.name}: {case.target} ({case.flavour.value}), {m.describe()}"
    return "\n".join([head, around, *(f"- {p.kind} [{p.command}] {p.detail}" for p in problems)])


def run(case: Case, m: Mutation) -> None:
    problems = check(case, m)
    assert not problems, report(case, m, problems)


@settings(CI, max_examples=120)
@given(st.data())
def test_generated_systems_survive_value_tag_and_key_hits(data: st.DataObject) -> None:
    case = data.draw(generated(), label="case")
    run(case, data.draw(mutations(case, TEXT_HITS), label="mutation"))


@settings(CI, max_examples=50)
@given(st.data())
def test_generated_systems_survive_byte_hits(data: st.DataObject) -> None:
    case = data.draw(generated(), label="case")
    run(case, data.draw(mutations(case, (Hit.BYTES,)), label="mutation"))


@settings(CI, max_examples=50)
@given(st.data())
def test_bundled_example_survives_mutation(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(shop_cases()), label="case")
    run(case, data.draw(mutations(case), label="mutation"))


@pytest.mark.samples
@pytest.mark.parametrize("flavour", [Flavour.KUBERNETES, Flavour.COMPOSE])
def test_real_samples_survive_mutation(flavour: Flavour) -> None:
    samples_dir()
    if not any(s.flavour is flavour for s in sample_pool()):
        pytest.fail(f"no {flavour.value} file of the samples scans cleanly on its own")

    @settings(CI, max_examples=60)
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        case = data.draw(sampled(flavour), label="case")
        run(case, data.draw(mutations(case), label="mutation"))

    fuzz()
