import math

import pytest

from redline.model.units import (
    UnitError,
    parse_bytes,
    parse_compose_bytes,
    parse_cpu,
    parse_duration,
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
    "bad", ["12 parsecs", "fast", "", "-5ms", "ms", "1..2s", True, None, [1], "nan", "inf s"]
)
def test_bad_durations_are_refused_with_a_reason(bad: object) -> None:
    with pytest.raises(UnitError) as err:
        parse_duration(bad)
    assert str(err.value)


def test_zero_duration_only_when_allowed() -> None:
    assert parse_duration("0s") == 0.0
    with pytest.raises(UnitError):
        parse_duration("0s", allow_zero=False)


@pytest.mark.parametrize(
    ("text", "fraction"), [("99.9%", 0.999), (99.9, 0.999), (0.999, 0.999), ("50 %", 0.5), ("100%", 1.0)]
)
def test_percent(text: object, fraction: float) -> None:
    assert math.isclose(parse_percent(text), fraction)


@pytest.mark.parametrize("bad", ["101%", "-1%", "abc%", "ninety"])
def test_bad_percent(bad: object) -> None:
    with pytest.raises(UnitError):
        parse_percent(bad)


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
    with pytest.raises(UnitError):
        parse_rate("-3")
