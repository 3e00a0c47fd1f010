"""Shared test helpers: where the bundled example and the shared samples live."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: deterministic by default ("ci": the same examples on every run and every machine, so a
# failure reproduces and a pass means the same thing twice); HYPOTHESIS_PROFILE=long runs a randomized
# search by hand (docs/forecast.md, "Tests"). Settings a test states itself (max_examples in tests/load,
# tests/review; tests/fuzz's own CI settings) take precedence over the profile's.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
os.environ["REDLINE_NO_HISTORY"] = "1"  # never the user's run history; tests/history and tests/mcp opt in

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SAMPLES = REPO.parent / "shared" / "samples"

# Online Boutique's services in kubernetes-manifests/ (read off its kustomization.yaml and manifests):
# the ten gRPC/HTTP services, without redis-cart (a cache) and loadgenerator (not listed).
OB_SERVICES = frozenset(
    {
        "adservice",
        "cartservice",
        "checkoutservice",
        "currencyservice",
        "emailservice",
        "frontend",
        "paymentservice",
        "productcatalogservice",
        "recommendationservice",
        "shippingservice",
    }
)


def samples_dir(*parts: str) -> Path:
    """A folder of ../shared/samples, or a clean skip when the samples are absent (a user's clone)."""
    path = SAMPLES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared samples not present ({path})")
    return path


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def ok_server() -> Iterator[int]:
    """A server on 127.0.0.1 answering 200 "ok" to every GET, for `redline load`; yields its port."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
