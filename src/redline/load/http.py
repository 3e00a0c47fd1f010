"""Target URL parsing and pre-built HTTP/1.1 request bytes.

Every request is rendered to bytes once, before the run: the hot path only picks an index and
calls ``transport.write``. That is most of why a Python client can keep pace with wrk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from redline import __version__

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class TargetError(ValueError):
    """A bad URL or header; exit code 2."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path + query of the URL as typed ("/" when empty)

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def host_header(self) -> str:
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host_header}"


def parse_target(url: str) -> Target:
    """Validate a user-typed URL: http(s) only, a host, a valid port."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise TargetError(f"bad URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https"):
        shown = parts.scheme or "none"
        raise TargetError(f"unsupported URL scheme {shown!r} in {url!r}: use http:// or https://")
    if not parts.hostname:
        raise TargetError(f"bad URL {url!r}: no host")
    if port == 0:
        raise TargetError(f"bad URL {url!r}: port 0 is not a port one can connect to")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` from ``-H``."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in " \t\r\n") or "\n" in value or "\r" in value:
        raise TargetError(f"bad header {text!r}: expected 'Name: value'")
    return name, value.strip()


@dataclass(frozen=True)
class RequestTemplate:
    """One kind of request in the mix (a CLI request is a mix of one)."""

    name: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    weight: float = 1.0
    expect: frozenset[int] | None = None  # None: any status < 400 is fine


@dataclass(frozen=True)
class Prepared:
    """A fully rendered request; ``expect`` as above."""

    name: str
    raw: bytes
    head: bool
    expect: frozenset[int] | None = field(default=None)


def render(target: Target, tpl: RequestTemplate) -> Prepared:
    """HTTP/1.1 bytes with Host, keep-alive and Content-Length; user headers override defaults."""
    method = tpl.method.upper()
    if method not in METHODS:
        raise TargetError(f"unsupported HTTP method {tpl.method!r}")
    path = tpl.path if tpl.path.startswith("/") else "/" + tpl.path
    if any(c in path for c in " \r\n"):
        raise TargetError(f"bad request path {path!r}: spaces and line breaks must be URL-encoded")
    headers: dict[str, tuple[str, str]] = {
        "host": ("Host", target.host_header),
        "user-agent": ("User-Agent", f"redline/{__version__}"),
        "accept": ("Accept", "*/*"),
    }
    for name, value in tpl.headers:
        headers[name.lower()] = (name, value)
    if tpl.body or method in ("POST", "PUT", "PATCH"):
        headers["content-length"] = ("Content-Length", str(len(tpl.body)))
    lines = [f"{method} {path} HTTP/1.1"] + [f"{n}: {v}" for n, v in headers.values()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + tpl.body
    return Prepared(tpl.name, raw, method == "HEAD", tpl.expect)
