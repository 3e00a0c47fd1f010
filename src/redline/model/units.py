"""Every unit redline reads is parsed here, and only here.

Infra files and redline.yaml write the same quantity many ways: ``500ms``, ``0.5s``, ``"2s"``, ``99.9%``,
``512Mi``, ``250m``. Parsing them in one place means one set of rules and one error message shape, and
means no engine ever sees a string where it expects a number.

Every parser raises :class:`UnitError` (a ``ValueError``) whose text always has one shape,
``<problem>: expected <what>, got <value>`` with an optional ``; <hint>``; the reader that called it adds
the file and line. Every parser runs in time linear in its input (text longer than :data:`MAX_TEXT`
characters is refused before any matching, and every pattern is anchored), and refuses NaN and infinity.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

__all__ = [
    "MAX_TEXT",
    "UnitError",
    "parse_bytes",
    "parse_compose_bytes",
    "parse_cpu",
    "parse_duration",
    "parse_factor",
    "parse_percent",
    "parse_rate",
    "show",
]

#: The longest text any parser reads: ``1h2m3s4ms`` or ``99.999%`` fit many times over, and a longer
#: value is refused at once, whatever it holds.
MAX_TEXT = 64
#: How much of a refused value an error message shows (a value may be a secret pasted in the wrong place).
_SHOWN = 32


class UnitError(ValueError):
    """A value that does not parse as the unit it should have.

    ``str()`` is ``<problem>: expected <expected>, got <found>`` followed by ``; <hint>`` when there is
    one; the parts are kept as attributes for readers that phrase their own message.
    """

    def __init__(self, problem: str, value: object, expected: str, hint: str | None = None) -> None:
        self.problem = problem
        self.expected = expected
        self.found = show(value)
        self.hint = hint
        text = f"{problem}: expected {expected}, got {self.found}"
        super().__init__(f"{text}; {hint}" if hint else text)


def show(value: object) -> str:
    """A value as an error message shows it: strings quoted and cut at 32 characters, containers named."""
    if isinstance(value, str):
        return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int | float):
        text = repr(value)
        return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


_NUM = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def _text(value: str, expected: str) -> str:
    """``value`` stripped, refused when empty or longer than :data:`MAX_TEXT`."""
    text = value.strip()
    if not text:
        raise UnitError("empty", value, expected)
    if len(text) > MAX_TEXT:
        raise UnitError(f"longer than {MAX_TEXT} characters", value, expected)
    return text


def _number(value: object, expected: str) -> float | None:
    """A YAML number, or a string that is only a number, as a finite float; ``None`` for other strings.

    Booleans and other types are refused (``true`` is not 1 here).
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UnitError("not a number", value, expected)
    if isinstance(value, str):
        text = _text(value, expected)
        if not _NUM.fullmatch(text):
            return None
        value = text
    try:
        number = float(value)
    except OverflowError:
        raise UnitError("too large", value, expected) from None
    return _finite(number, value, expected)


def _finite(number: float, value: object, expected: str) -> float:
    if not math.isfinite(number):
        raise UnitError("not a finite number", value, expected)
    return number


def _not_negative(number: float, value: object, what: str, expected: str) -> float:
    if number < 0:
        raise UnitError(f"{what} cannot be negative", value, expected)
    return number


_DURATION = "a duration such as 500ms or 2s"
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
_DURATION_PART = re.compile(rf"\s*({_NUM.pattern})\s*([a-zµ]+)\s*", re.IGNORECASE)


def parse_duration(value: object, *, default_unit: str | None = "s", allow_zero: bool = True) -> float:
    """Parse a duration into seconds.

    Accepts ``"12ms"``, ``"12 ms"``, ``"0.012s"``, ``"1m30s"`` (Go style, as Kubernetes and Istio write
    them), ``"1.5h"`` and numbers. A bare number is in ``default_unit``; with ``default_unit=None`` a bare
    number other than 0 is ambiguous and refused ("write 200ms or 200s"), so ``200`` never silently means
    200 s to one reader and 200 ms to another. Negative durations are refused; zero only when
    ``allow_zero``.
    """
    number = _number(value, _DURATION)
    if number is not None:
        seconds = _bare_duration(number, value, default_unit)
    else:
        assert isinstance(value, str)  # _number returns None only for a non-numeric string
        seconds = _duration_text(value)
    _finite(seconds, value, _DURATION)
    _not_negative(seconds, value, "a duration", _DURATION)
    if seconds == 0 and not allow_zero:
        raise UnitError("a duration must be greater than zero", value, _DURATION)
    return seconds


def _duration_text(value: str) -> float:
    """``"1m30s"``: number-unit parts, each anchored where the last ended (linear, no search)."""
    text = _text(value, _DURATION)
    pos, seconds = 0, 0.0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None:
            raise UnitError("not a duration", value, _DURATION)
        unit = match.group(2).lower()
        if unit not in _DURATION_UNITS:
            raise UnitError(
                f"unknown duration unit {match.group(2)!r}", value, _DURATION, "use ms, s, m or h"
            )
        seconds += float(match.group(1)) * _DURATION_UNITS[unit]
        pos = match.end()
    return seconds


def _bare_duration(number: float, value: object, default_unit: str | None) -> float:
    """A number written without a unit: in ``default_unit``, or refused when there is none (0 is 0)."""
    if default_unit is None:
        if number == 0:
            return 0.0
        plain = str(value).strip()
        raise UnitError("a bare number is ambiguous here", value, _DURATION, f"write {plain}ms or {plain}s")
    return number * _DURATION_UNITS[default_unit]


_PERCENT = "a percentage such as 99.9% or a fraction such as 0.999"


def parse_percent(value: object) -> float:
    """Parse a percentage or a fraction into a fraction in [0, 1].

    ``"99.9%"`` and ``0.999`` both give 0.999. A bare number above 1 is refused: ``1.5`` could be 1.5 % or
    a mistake for 0.15, so the message asks for ``1.5%`` or ``0.015``.
    """
    if isinstance(value, str) and value.strip().endswith("%"):
        body = _number(value.strip()[:-1], _PERCENT)
        if body is None:
            raise UnitError("not a percentage", value, _PERCENT)
        fraction = float(Decimal(value.strip()[:-1].strip()) / 100)  # "99.9%" is 0.999, not 0.99900...01
    else:
        number = _number(value, _PERCENT)
        if number is None:
            raise UnitError("not a percentage", value, _PERCENT)
        if number > 1:
            plain = str(value).strip()
            hint = f"write {plain}% or {number / 100:.10g}"
            raise UnitError("a bare number above 1 is ambiguous", value, _PERCENT, hint)
        fraction = number
    if not 0.0 <= fraction <= 1.0:
        raise UnitError("a percentage must lie between 0% and 100%", value, _PERCENT)
    return fraction


_FACTOR = "a growth factor such as 10 or 10x"


def parse_factor(value: object) -> float:
    """Parse a multiplier: ``10``, ``"10x"``, ``"2.5X"``. Must be finite and greater than zero."""
    text = _text(value, _FACTOR) if isinstance(value, str) else None
    if text is not None and text[-1:] in ("x", "X"):
        value_ = _number(text[:-1], _FACTOR)
    else:
        value_ = _number(value, _FACTOR)
    if value_ is None:
        raise UnitError("not a factor", value, _FACTOR)
    if value_ <= 0:
        raise UnitError("a factor must be greater than zero", value, _FACTOR)
    return value_


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
_SIZE = "a size such as 512Mi"
_SIZE_TEXT = re.compile(rf"({_NUM.pattern})\s*([a-zA-Z]*)")


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
    number = _number(value, _SIZE)
    if number is None:
        assert isinstance(value, str)
        match = _SIZE_TEXT.fullmatch(_text(value, _SIZE))
        if not match:
            raise UnitError("not a size", value, _SIZE)
        suffix = match.group(2)
        if suffix == "m" and m_is_milli:
            number = float(match.group(1)) / 1000.0
        else:
            key = suffix.lower()
            if key not in _BYTE_SUFFIX:
                raise UnitError(f"unknown size suffix {suffix!r}", value, _SIZE, "use Ki, Mi, Gi, k, M or G")
            number = float(match.group(1)) * _BYTE_SUFFIX[key]
    _finite(number, value, _SIZE)
    return _not_negative(number, value, "a size", _SIZE)


_CPU = "a CPU quantity such as 250m or 0.5"
_CPU_TEXT = re.compile(rf"({_NUM.pattern})\s*([mun])")
_CPU_SCALE = {"m": 1e-3, "u": 1e-6, "n": 1e-9}


def parse_cpu(value: object) -> float:
    """Parse a CPU quantity into cores: ``250m`` -> 0.25, ``"1.5"`` -> 1.5, ``2`` -> 2.0."""
    cores = _number(value, _CPU)
    if cores is None:
        assert isinstance(value, str)
        match = _CPU_TEXT.fullmatch(_text(value, _CPU))
        if not match:
            raise UnitError("not a CPU quantity", value, _CPU)
        cores = float(match.group(1)) * _CPU_SCALE[match.group(2)]
    _finite(cores, value, _CPU)
    return _not_negative(cores, value, "a CPU quantity", _CPU)


_RATE = "a rate such as 300 or 300/s"
_RATE_TEXT = re.compile(
    rf"({_NUM.pattern})\s*(k)?\s*(rps|/s|/sec|/second|/m|/min|/minute|/h|/hour|)", re.IGNORECASE
)
_RATE_PER = {"/m": 60.0, "/min": 60.0, "/minute": 60.0, "/h": 3600.0, "/hour": 3600.0}


def parse_rate(value: object) -> float:
    """Parse a rate in requests per second: ``300``, ``"300/s"``, ``"18000/min"``, ``"1.2k"``."""
    rate = _number(value, _RATE)
    if rate is None:
        assert isinstance(value, str)
        match = _RATE_TEXT.fullmatch(_text(value, _RATE))
        if not match:
            raise UnitError("not a rate", value, _RATE)
        rate = float(match.group(1)) * (1000.0 if match.group(2) else 1.0)
        rate /= _RATE_PER.get(match.group(3).lower(), 1.0)
    _finite(rate, value, _RATE)
    return _not_negative(rate, value, "a rate", _RATE)
