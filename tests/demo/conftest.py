"""Fixtures for the reference system: real services on free 127.0.0.1 ports, in a child process."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from redline.demo.process import DemoProcess
from redline.demo.systems import Config


def get(url: str, path: str = "/") -> tuple[int, dict[str, list[str]], bytes]:
    """One GET on a fresh connection: status, headers (lists, lower-case names), body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        headers: dict[str, list[str]] = {}
        for k, v in resp.getheaders():
            headers.setdefault(k.lower(), []).append(v)
        return resp.status, headers, resp.read()
    finally:
        conn.close()


def stats(url: str) -> dict:
    status, _, body = get(url, "/stats")
    assert status == 200
    return json.loads(body)


@pytest.fixture(scope="module")
def back_bound() -> Iterator[DemoProcess]:
    with DemoProcess(Config.BACK_BOUND, max_seconds=120, seed=7) as demo:
        yield demo
