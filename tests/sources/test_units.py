import math
import time

import pytest

from redline.model.units import (
    MAX_TEXT,
    UnitError,
    parse_bytes,
    parse_compose_bytes,
    parse_cpu,
    parse_duration,
    parse_factor,
    parse_percent,
    parse_rate,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("12ms", 0.012),
        ("12 ms", 0.012),
        ("0.012s", 0.012),
        (0.5, 0.5),
        ("2s", 2.0),
        ("1m30s", 90.0),
        ("1.5h", 5400.0),
        ("250us", 0.00025),
        ("3", 3.0),
        ("500 MS", 0.5),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert math.isclose(parse_duration(text), seconds)


@pytest.mark.parametrize(
    "bad",
    ["12 parsecs", "fast", "", "-5ms", "ms", "1..2s", True, None, [1], "nan", "inf s", ".nan", "1e400s"],
)
def test_bad_durations_are_refused_with_a_reason(bad: object) -> None:
    with pytest.raises(UnitError) as err:
        parse_duration(bad)
    assert ": expected a duration such as 500ms or 2s, got " in str(err.value)


def test_zero_duration_only_when_allowed() -> None:
    assert parse_duration("0s") == 0.0
    with pytest.raises(UnitError):
        parse_duration("0s", allow_zero=False)


def test_a_bare_duration_is_refused_without_a_default_unit() -> None:
    with pytest.raises(UnitError) as err:
        parse_duration(200, default_unit=None)
    assert str(err.value) == (
        "a bare number is ambiguous here: expected a duration such as 500ms or 2s, got 200; write 200ms or 200s"
    )
    assert parse_duration("200ms", default_unit=None) == 0.2
    assert parse_duration(0, default_unit=None) == 0.0


@pytest.mark.parametrize(
    ("text", "fraction"),
    [("99.9%", 0.999), (0.999, 0.999), ("0.999", 0.999), ("50 %", 0.5), ("100%", 1.0), (1, 1.0)],
)
def test_percent(text: object, fraction: float) -> None:
    assert math.isclose(parse_percent(text), fraction)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            99.9,
            "a bare number above 1 is ambiguous: expected a percentage such as 99.9% or a fraction such as "
            "0.999, got 99.9; write 99.9% or 0.999",
        ),
        (
            "2",
            "a bare number above 1 is ambiguous: expected a percentage such as 99.9% or a fraction such as "
            "0.999, got '2'; write 2% or 0.02",
        ),
        (
            "101%",
            "a percentage must lie between 0% and 100%: expected a percentage such as 99.9% or a "
            "fraction such as 0.999, got '101%'",
        ),
        (
            "-1%",
            "a percentage must lie between 0% and 100%: expected a percentage such as 99.9% or a "
            "fraction such as 0.999, got '-1%'",
        ),
        (
            "abc%",
            "not a percentage: expected a percentage such as 99.9% or a fraction such as 0.999, got 'abc%'",
        ),
        (
            float("nan"),
            "not a finite number: expected a percentage such as 99.9% or a fraction such as 0.999, got nan",
        ),
        (True, "not a number: expected a percentage such as 99.9% or a fraction such as 0.999, got true"),
    ],
)
def test_bad_percent(bad: object, message: str) -> None:
    """A bare number above 1 has two readings (1.5 % or a slip for 0.15), so it is refused, never guessed."""
    with pytest.raises(UnitError) as err:
        parse_percent(bad)
    assert str(err.value) == message


def test_factor() -> None:
    assert parse_factor("10x") == 10.0
    assert parse_factor(2.5) == 2.5
    assert parse_factor(" 3X ") == 3.0
    for bad in (float("inf"), 0, "-2x", "x", "tenx", True):
        with pytest.raises(UnitError):
            parse_factor(bad)


def test_sizes_and_cpu() -> None:
    assert parse_bytes("512Mi") == 512 * 2**20
    assert parse_bytes("1G") == 1e9
    assert parse_bytes(1024) == 1024
    assert math.isclose(parse_bytes("1500m"), 1.5)  # Kubernetes: m is milli
    assert parse_compose_bytes("512m") == 512e6  # Compose: m is mega
    assert parse_cpu("250m") == 0.25
    assert parse_cpu("1.5") == 1.5
    with pytest.raises(UnitError):
        parse_bytes("12 parsecs")
    with pytest.raises(UnitError):
        parse_cpu("fast")


def test_rates() -> None:
    assert parse_rate(300) == 300
    assert parse_rate("18000/min") == 300
    assert parse_rate("1.2k") == 1200
    assert parse_rate("300rps") == 300
    with pytest.raises(UnitError) as err:
        parse_rate("-3")
    assert str(err.value) == "a rate cannot be negative: expected a rate such as 300 or 300/s, got '-3'"


PARSERS = [
    parse_duration,
    parse_percent,
    parse_rate,
    parse_bytes,
    parse_compose_bytes,
    parse_cpu,
    parse_factor,
]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), 10**400, "1e400", "nan", "inf"])
def test_nan_inf_and_huge_numbers_are_refused_everywhere(parse: object, bad: object) -> None:
    with pytest.raises(UnitError):
        parse(bad)  # type: ignore[operator]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize(
    "text",
    [
        "1" * 1_000_000,
        "1" * 1_000_000 + "x",
        "1" + " " * 1_000_000 + "x",
        "1s" * 500_000,
        "1 " * 500_000 + "ms",
        "9." + "9" * 1_000_000 + "%",
    ],
    ids=["digits", "digits-x", "spaces", "parts", "numbers-unit", "percent"],
)
def test_parsers_are_fast_on_a_megabyte(parse: object, text: str) -> None:
    """Linear time on any input: a 1 MB value is refused (it is longer than MAX_TEXT) in well under a second."""
    start = time.perf_counter()
    with pytest.raises(UnitError) as err:
        parse(text)  # type: ignore[operator]
    assert time.perf_counter() - start < 0.1
    assert str(err.value).startswith(f"longer than {MAX_TEXT} characters: expected ")
    assert len(str(err.value)) < 200, "the value is shown cut short"


def test_duration_parts_are_matched_where_the_last_ended() -> None:
    """The longest value within MAX_TEXT with no unit: refused with the one message shape."""
    text = "1" * MAX_TEXT
    with pytest.raises(UnitError):
        parse_duration(text + "x")
    assert parse_duration("1m" * (MAX_TEXT // 2)) == 60.0 * (MAX_TEXT // 2)


def test_one_message_shape() -> None:
    for parse, bad in [
        (parse_duration, "12 parsecs"),
        (parse_bytes, "12 parsecs"),
        (parse_cpu, "fast"),
        (parse_rate, "lots"),
        (parse_percent, "most"),
        (parse_factor, "big"),
    ]:
        with pytest.raises(UnitError) as err:
            parse(bad)
        problem, _, rest = str(err.value).partition(": expected ")
        assert problem and ", got " in rest, str(err.value)
        assert err.value.found == repr(bad)
