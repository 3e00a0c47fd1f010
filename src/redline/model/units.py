"""Every unit redline reads is parsed here, and only here.

Infra files and redline.yaml write the same quantity many ways: ``500ms``, ``0.5s``, ``"2s"``, ``99.9%``,
``512Mi``, ``250m``. Parsing them in one place means one set of rules and one error message shape, and
means no engine ever sees a string where it expects a number.

Every parser raises :class:`UnitError` (a ``ValueError``) with a message that says what was expected; the
reader that called it adds the file and line.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "UnitError",
    "parse_bytes",
    "parse_cpu",
    "parse_duration",
    "parse_percent",
    "parse_rate",
]


class UnitError(ValueError):
    """A value that does not parse as the unit it should have."""


_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"

_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}
_DURATION_PART = re.compile(rf"\s*({_NUM})\s*([a-zµ]+)\s*", re.IGNORECASE)


def _finite(value: float, text: object) -> float:
    if not math.isfinite(value):
        raise UnitError(f"{text!r} is not a finite number")
    return value


def parse_duration(value: object, *, default_unit: str | None = "s", allow_zero: bool = True) -> float:
    """Parse a duration into seconds.

    Accepts numbers (in ``default_unit``; with ``default_unit=None`` a bare number other than 0 is
    ambiguous and refused, so ``200`` never silently means 200 s to one reader and 200 ms to another), ``"12ms"``, ``"12 ms"``, ``"0.012s"``, ``"1m30s"`` (Go style,
    as Kubernetes and Istio write them) and ``"1.5h"``. Negative durations are rejected; zero only when
    ``allow_zero``.
    """
    if isinstance(value, bool):
        raise UnitError(f"expected a duration such as 500ms or 2s, got {value!r}")
    if isinstance(value, int | float):
        seconds = _bare_duration(float(value), value, default_unit)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise UnitError("expected a duration such as 500ms or 2s, got an empty string")
        if re.fullmatch(_NUM, text):
            seconds = _bare_duration(float(text), value, default_unit)
        else:
            pos, seconds = 0, 0.0
            for match in _DURATION_PART.finditer(text):
                if match.start() != pos:
                    break
                unit = match.group(2).lower()
                if unit not in _DURATION_UNITS:
                    raise UnitError(
                        f"unknown duration unit {match.group(2)!r} in {value!r}; use ms, s, m or h"
                    )
                seconds += float(match.group(1)) * _DURATION_UNITS[unit]
                pos = match.end()
            if pos != len(text) or pos == 0:
                raise UnitError(f"expected a duration such as 500ms or 2s, got {value!r}")
    else:
        raise UnitError(f"expected a duration such as 500ms or 2s, got {type(value).__name__}")
    _finite(seconds, value)
    if seconds < 0:
        raise UnitError(f"a duration cannot be negative: {value!r}")
    if seconds == 0 and not allow_zero:
        raise UnitError(f"a duration must be greater than zero: {value!r}")
    return seconds


def _bare_duration(number: float, value: object, default_unit: str | None) -> float:
    """A number written without a unit: in ``default_unit``, or refused when there is none (0 is 0)."""
    if default_unit is None:
        if number == 0:
            return 0.0
        raise UnitError(
            f"{value!r} has no unit, and a bare number is ambiguous here: write {value}ms or {value}s"
        )
    return number * _DURATION_UNITS[default_unit]


def parse_percent(value: object) -> float:
    """Parse a percentage or a fraction into a fraction in [0, 1].

    ``"99.9%"`` and ``99.9`` (a number above 1 is read as percent) give 0.999; ``0.999`` stays 0.999.
    """
    if isinstance(value, bool):
        raise UnitError(f"expected a percentage such as 99.9%, got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
        fraction = number / 100.0 if number > 1 else number
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            body = text[:-1].strip()
            if not re.fullmatch(_NUM, body):
                raise UnitError(f"expected a percentage such as 99.9%, got {value!r}")
            fraction = float(body) / 100.0
        elif re.fullmatch(_NUM, text):
            number = float(text)
            fraction = number / 100.0 if number > 1 else number
        else:
            raise UnitError(f"expected a percentage such as 99.9%, got {value!r}")
    else:
        raise UnitError(f"expected a percentage such as 99.9%, got {type(value).__name__}")
    _finite(fraction, value)
    if not 0.0 <= fraction <= 1.0:
        raise UnitError(f"a percentage must lie between 0% and 100%: {value!r}")
    return fraction


_BYTE_SUFFIX = {
    "": 1,
    "k": 10**3,
    "m": 10**6,
    "g": 10**9,
    "t": 10**12,
    "p": 10**15,
    "e": 10**18,
    "ki": 2**10,
    "mi": 2**20,
    "gi": 2**30,
    "ti": 2**40,
    "pi": 2**50,
    "ei": 2**60,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "b": 1,
}


def parse_bytes(value: object) -> float:
    """Parse a Kubernetes or Compose memory quantity (``512Mi``, ``1G``, ``1.5Gi``, ``128974848``) to bytes.

    Kubernetes spells milli-bytes ``m``; Compose spells megabytes ``m``. A plain lower-case ``m`` is read
    the Compose way (megabytes) only by :func:`parse_compose_bytes`; here it is milli, as the API server
    reads it.
    """
    return _parse_bytes(value, m_is_milli=True)


def parse_compose_bytes(value: object) -> float:
    """Compose memory sizes: ``512m``, ``1g``, ``1gb`` (lower-case ``m`` means megabytes)."""
    return _parse_bytes(value, m_is_milli=False)


def _parse_bytes(value: object, *, m_is_milli: bool) -> float:
    if isinstance(value, bool):
        raise UnitError(f"expected a size such as 512Mi, got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        match = re.fullmatch(rf"\s*({_NUM})\s*([a-zA-Z]*)\s*", value)
        if not match:
            raise UnitError(f"expected a size such as 512Mi, got {value!r}")
        suffix = match.group(2)
        if suffix == "m" and m_is_milli:
            number = float(match.group(1)) / 1000.0
        else:
            key = suffix.lower()
            if key not in _BYTE_SUFFIX:
                raise UnitError(f"unknown size suffix {suffix!r} in {value!r}; use Ki, Mi, Gi, k, M or G")
            number = float(match.group(1)) * _BYTE_SUFFIX[key]
    else:
        raise UnitError(f"expected a size such as 512Mi, got {type(value).__name__}")
    _finite(number, value)
    if number < 0:
        raise UnitError(f"a size cannot be negative: {value!r}")
    return number


def parse_cpu(value: object) -> float:
    """Parse a CPU quantity into cores: ``250m`` -> 0.25, ``"1.5"`` -> 1.5, ``2`` -> 2.0."""
    if isinstance(value, bool):
        raise UnitError(f"expected a CPU quantity such as 250m or 0.5, got {value!r}")
    if isinstance(value, int | float):
        cores = float(value)
    elif isinstance(value, str):
        match = re.fullmatch(rf"\s*({_NUM})\s*(m|u|n)?\s*", value)
        if not match:
            raise UnitError(f"expected a CPU quantity such as 250m or 0.5, got {value!r}")
        scale = {"m": 1e-3, "u": 1e-6, "n": 1e-9, None: 1.0}[match.group(2)]
        cores = float(match.group(1)) * scale
    else:
        raise UnitError(f"expected a CPU quantity such as 250m or 0.5, got {type(value).__name__}")
    _finite(cores, value)
    if cores < 0:
        raise UnitError(f"a CPU quantity cannot be negative: {value!r}")
    return cores


def parse_rate(value: object) -> float:
    """Parse a rate in requests per second: ``300``, ``"300/s"``, ``"18000/min"``, ``"1.2k"``."""
    if isinstance(value, bool):
        raise UnitError(f"expected a rate such as 300 or 300/s, got {value!r}")
    if isinstance(value, int | float):
        rate = float(value)
    elif isinstance(value, str):
        match = re.fullmatch(
            rf"\s*({_NUM})\s*(k)?\s*(rps|/s|/sec|/second|/m|/min|/minute|/h|/hour|)\s*", value, re.IGNORECASE
        )
        if not match:
            raise UnitError(f"expected a rate such as 300 or 300/s, got {value!r}")
        rate = float(match.group(1)) * (1000.0 if match.group(2) else 1.0)
        per = match.group(3).lower()
        if per in ("/m", "/min", "/minute"):
            rate /= 60.0
        elif per in ("/h", "/hour"):
            rate /= 3600.0
    else:
        raise UnitError(f"expected a rate such as 300 or 300/s, got {type(value).__name__}")
    _finite(rate, value)
    if rate < 0:
        raise UnitError(f"a rate cannot be negative: {value!r}")
    return rate
