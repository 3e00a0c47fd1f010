"""PromQL series selectors as redline.yaml states them: parsed, checked, filled in and extended.

A selector is ``metric{label="value", ...}``, ``metric`` or ``{__name__="metric", ...}``, with the four
matcher operators (``=``, ``!=``, ``=~``, ``!~``) and double- or single-quoted values. Values may hold
placeholders (``$namespace``) that :func:`fill` replaces per entry point; a placeholder that is not in
:data:`PLACEHOLDERS` is an error at read time, so a typo never reaches Prometheus.

Imports nothing of redline: the redline.yaml reader checks selectors with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MAX_SELECTOR",
    "PLACEHOLDERS",
    "Matcher",
    "Selector",
    "SelectorError",
    "matches",
    "parse",
    "quote",
]

#: Placeholders a selector may use, replaced per entry point (docs/generate.md, "Metrics").
PLACEHOLDERS = ("entrypoint", "component", "namespace", "service", "ingress", "project")
#: Longest selector read, in characters.
MAX_SELECTOR = 512

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_OP = re.compile(r"=~|!~|!=|=")
_PLACEHOLDER = re.compile(r"\$([a-zA-Z_][a-zA-Z0-9_]*)")


class SelectorError(ValueError):
    """A selector that is not one: says what was expected and where it went wrong."""


@dataclass(frozen=True)
class Matcher:
    """``label op "value"``; ``value`` is unquoted text (escapes resolved)."""

    label: str
    op: str
    value: str

    def render(self) -> str:
        return f"{self.label}{self.op}{quote(self.value)}"


@dataclass(frozen=True)
class Selector:
    """A parsed series selector: an optional metric name and its label matchers, in written order."""

    metric: str | None
    matchers: tuple[Matcher, ...]

    def render(self, extra: tuple[Matcher, ...] = ()) -> str:
        """The selector as PromQL, with ``extra`` matchers appended."""
        matchers = (*self.matchers, *extra)
        inner = ", ".join(m.render() for m in matchers)
        if self.metric is None:
            return "{" + inner + "}"
        return self.metric + ("{" + inner + "}" if matchers else "")

    def labels(self) -> set[str]:
        """Labels this selector matches on."""
        return {m.label for m in self.matchers}

    def placeholders(self) -> set[str]:
        """Placeholder names used in matcher values."""
        return {p for m in self.matchers for p in _PLACEHOLDER.findall(m.value)}

    def fill(self, values: dict[str, str]) -> Selector:
        """Placeholders replaced by ``values`` (a placeholder with no value raises :class:`KeyError`)."""

        def sub(m: re.Match[str]) -> str:
            return values[m.group(1)]

        return Selector(
            self.metric, tuple(Matcher(x.label, x.op, _PLACEHOLDER.sub(sub, x.value)) for x in self.matchers)
        )

    def series_labels(self) -> dict[str, str]:
        """The labels a series matching this selector has, when every matcher is an equality
        (``__name__`` included); raises :class:`SelectorError` otherwise (a regex has no one series)."""
        out: dict[str, str] = {}
        if self.metric is not None:
            out["__name__"] = self.metric
        for m in self.matchers:
            if m.op != "=":
                raise SelectorError(f"{m.render()} is not an equality: no single series matches it")
            out[m.label] = m.value
        return out


def quote(text: str) -> str:
    """``text`` as a double-quoted PromQL string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def parse(text: str) -> Selector:
    """Parse a series selector; raise :class:`SelectorError` with what was expected and found."""
    if len(text) > MAX_SELECTOR:
        raise SelectorError(f"too long: expected at most {MAX_SELECTOR} characters, got {len(text)}")
    s = text.strip()
    pos = 0
    metric: str | None = None
    m = _NAME.match(s, pos)
    if m:
        metric, pos = m.group(0), m.end()
    if pos == len(s):
        if metric is None:
            raise SelectorError('empty: expected a selector such as http_requests_total{job="web"}')
        return Selector(metric, ())
    if s[pos] != "{":
        raise SelectorError(
            f"expected '{{' after the metric name at character {pos + 1}, got {s[pos:][:20]!r}"
        )
    matchers, pos = _matchers(s, pos + 1)
    if pos != len(s):
        raise SelectorError(f"unexpected text after '}}': {s[pos:][:20]!r} (one selector, no functions)")
    named = [x for x in matchers if x.label == "__name__"]
    if metric is None and not named:
        raise SelectorError('no metric name: expected metric{...} or {__name__="metric", ...}')
    unknown = sorted({p for x in matchers for p in _PLACEHOLDER.findall(x.value)} - set(PLACEHOLDERS))
    if unknown:
        known = ", ".join(f"${p}" for p in PLACEHOLDERS)
        raise SelectorError(f"unknown placeholder ${unknown[0]}: expected one of {known}")
    return Selector(metric, tuple(matchers))


def _matchers(s: str, pos: int) -> tuple[list[Matcher], int]:
    out: list[Matcher] = []
    while True:
        pos = _skip(s, pos)
        if pos < len(s) and s[pos] == "}":
            return out, pos + 1
        label = _LABEL.match(s, pos)
        if not label:
            raise SelectorError(f"expected a label name at character {pos + 1}, got {s[pos:][:20]!r}")
        pos = _skip(s, label.end())
        op = _OP.match(s, pos)
        if not op:
            raise SelectorError(f"expected =, !=, =~ or !~ after {label.group(0)!r}, got {s[pos:][:20]!r}")
        pos = _skip(s, op.end())
        value, pos = _string(s, pos)
        out.append(Matcher(label.group(0), op.group(0), value))
        pos = _skip(s, pos)
        if pos < len(s) and s[pos] == ",":
            pos += 1
        elif pos >= len(s) or s[pos] != "}":
            raise SelectorError(f"expected ',' or '}}' at character {pos + 1}, got {s[pos:][:20]!r}")


def _skip(s: str, pos: int) -> int:
    while pos < len(s) and s[pos] in " \t\n":
        pos += 1
    return pos


def _string(s: str, pos: int) -> tuple[str, int]:
    if pos >= len(s) or s[pos] not in "\"'":
        raise SelectorError(f"expected a quoted value at character {pos + 1}, got {s[pos:][:20]!r}")
    q = s[pos]
    out: list[str] = []
    pos += 1
    while pos < len(s):
        ch = s[pos]
        if ch == "\\" and pos + 1 < len(s):
            nxt = s[pos + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            pos += 2
            continue
        if ch == q:
            return "".join(out), pos + 1
        out.append(ch)
        pos += 1
    raise SelectorError("unterminated quoted value")


def matches(selector: Selector, labels: dict[str, str]) -> bool:
    """Whether a series with ``labels`` (``__name__`` included) is selected by ``selector``."""
    if selector.metric is not None and labels.get("__name__") != selector.metric:
        return False
    for m in selector.matchers:
        value = labels.get(m.label, "")
        if m.op == "=" and value != m.value:
            return False
        if m.op == "!=" and value == m.value:
            return False
        if m.op in ("=~", "!~"):
            try:
                hit = re.fullmatch(m.value, value) is not None
            except re.error:
                return False
            if hit != (m.op == "=~"):
                return False
    return True
