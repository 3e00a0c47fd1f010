"""Fixtures for `redline load` tests: real servers on 127.0.0.1 only (nginx and tests/load/servers.py).

nginx runs from a throwaway prefix with ``daemon off`` so the fixture owns its lifetime. When the
nginx binary is missing the fixture fails under CI=true (CI installs it) and skips otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
SERVERS = HERE / "servers.py"
NGINX_BODY = b"x" * 612  # about nginx's default index.html


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def _nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


@pytest.fixture(scope="session")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a loopback nginx serving /index.html (612 bytes) and /small.txt."""
    binary = _nginx_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed (apt-get install -y nginx)")
        pytest.skip("nginx is not installed")
    prefix = tmp_path_factory.mktemp("nginx")
    www = prefix / "www"
    www.mkdir()
    (www / "index.html").write_bytes(NGINX_BODY)
    (www / "small.txt").write_bytes(b"ok\n")
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
        (prefix / d).mkdir()
    os.chmod(prefix, 0o755)
    port = free_port()
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(f"""{user}daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
  keepalive_requests 10000000; keepalive_timeout 120s;
  server {{ listen 127.0.0.1:{port}; root {www}; location / {{ }} }}
}}
""")
    proc = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "logs/error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_port(port)
    except RuntimeError:
        proc.kill()
        _, err = proc.communicate(timeout=5)
        pytest.fail(f"nginx did not start: {err.decode(errors='replace')}")
    yield f"http://127.0.0.1:{port}"
    proc.send_signal(signal.SIGQUIT)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


class Server:
    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}/"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)


@pytest.fixture
def server() -> Iterator[Callable[..., Server]]:
    """Factory: ``server("stall")`` starts tests/load/servers.py in a subprocess."""
    started: list[Server] = []

    def start(mode: str, *args: str) -> Server:
        proc = subprocess.Popen(
            [sys.executable, str(SERVERS), mode, "--max-seconds", "120", *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("PORT "), line
        srv = Server(proc, int(line.split()[1]))
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.kill()


def cli_cmd(*args: str) -> list[str]:
    """The `redline load` command line (standalone app: independent of other commands' modules)."""
    return [sys.executable, "-m", "redline.cli.load", "load", *args]


def run_cli(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_cmd(*args), capture_output=True, text=True, timeout=timeout, env={**os.environ, "COLUMNS": "200"}
    )


def run_json(*args: str, timeout: float = 60.0) -> tuple[int, dict[str, Any], str]:
    proc = run_cli(*args, "--format", "json", "--quiet", timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON on stdout (exit {proc.returncode}): {proc.stdout[:500]} {proc.stderr[-2000:]}")
    return proc.returncode, data, proc.stderr
