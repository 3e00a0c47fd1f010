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


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made at test time: (cert.pem, key.pem)."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    try:
        _self_signed_cryptography(cert, key)
    except ImportError:
        openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        names = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        subprocess.run(
            [*openssl, *names, "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )
    return cert, key


def _self_signed_cryptography(cert_path: Path, key_path: Path) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


class Server:
    def __init__(self, proc: subprocess.Popen[str], port: int, scheme: str = "http") -> None:
        self.proc = proc
        self.port = port
        self.url = f"{scheme}://127.0.0.1:{port}/"

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
        srv = Server(proc, int(line.split()[1]), "https" if "--certfile" in args else "http")
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
