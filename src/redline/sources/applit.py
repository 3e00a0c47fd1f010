"""URL and ``host:port`` string literals in a service's source code.

A senior engineer greps a service's code for ``"http://orders:8080/api"``; so does redline, at a lower
confidence than configuration, and only literals that name a component of the scan become edges (the
caller in :mod:`appconfig` decides that). Only quoted text counts: a URL in a comment is not a call.
Every pattern is bounded, so the search is linear in the file on any input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

CODE_SUFFIXES = (".java", ".kt", ".go", ".py", ".js", ".mjs", ".cjs", ".ts", ".cs", ".rb")
MAX_CODE_FILES = 2_000  # source files searched per service folder
MAX_CODE_BYTES = 256 * 1024  # one source file (bigger ones are generated or bundled)
MAX_LINE = 4_096  # characters of one line looked at (minified code is not application logic)
MAX_LITERALS = 500  # literals kept per file
MAX_DISTINCT_LITERALS = 5_000  # distinct literals kept per service folder
MAX_EVIDENCE_PER_HOST = 3  # distinct literals kept as evidence per host named, per component
CONFIDENCE = 0.5  # below every configuration form: a literal may be dead code or a default

# A quote, then a URL (scheme://authority...) or a bare host:port closed by a quote or a path.
_URL = re.compile(r"""["'`]([A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s"'`<>\\]{1,512})""")
_HOSTPORT = re.compile(r"""["'`]([A-Za-z0-9][A-Za-z0-9.-]{0,252}:\d{2,5})(?=["'`/])""")
# Test sources talk to mocks and fixtures, not to the system's peers.
_TEST_NAME = re.compile(
    r"(?:^test_.*\.py|_test\.(?:go|py)|(?:Test|Tests|IT|Spec)\.(?:java|kt|cs)|\.(?:test|spec)\.[cm]?[jt]s)$"
)


def is_code(name: str) -> bool:
    """Whether a file name is application source worth searching (tests are not)."""
    return name.endswith(CODE_SUFFIXES) and not _TEST_NAME.search(name) and not name.endswith(".min.js")


def literals(text: str) -> Iterator[tuple[int, str]]:
    """(line, literal) of every quoted URL or ``host:port`` in ``text``, at most :data:`MAX_LITERALS`."""
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if "://" not in line and ":" not in line:
            continue
        line = line[:MAX_LINE]
        for pattern in (_URL, _HOSTPORT):
            for m in pattern.finditer(line):
                yield number, m.group(1)
                count += 1
                if count >= MAX_LITERALS:
                    return
