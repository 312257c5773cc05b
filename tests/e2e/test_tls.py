"""HTTPS: `sextant serve --tls-cert FILE --tls-key FILE` on a throwaway
self-signed certificate (made with the `openssl` command), checked with
http.client over ssl, verifying the server against that certificate."""
from __future__ import annotations

import http.client
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from sextant_e2e import BIN, HOST, Client, cli_store_args, raw_exchange, raw_status

# scripts/bootstrap.sh installs the openssl command; a missing one is a
# broken setup, not a reason to skip.
assert shutil.which("openssl"), "the openssl command is needed (scripts/bootstrap.sh installs it)"


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """(certificate, key): P-256, CN=localhost, SAN localhost and 127.0.0.1."""
    d = tmp_path_factory.mktemp("tls")
    cert_file, key_file = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key_file), "-out", str(cert_file), "-days", "2",
         "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert_file, key_file


class TlsClient(Client):
    """The e2e client over HTTPS (every helper of Client works unchanged)."""

    def __init__(self, server, context: ssl.SSLContext, **kw):
        super().__init__(server, **kw)
        self.context = context

    def as_token(self, token):
        c = TlsClient(self.server, self.context, timeout=self.timeout)
        c.token = token
        return c

    def connection(self, timeout: float | None = None) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(HOST, self.port, timeout=timeout or self.timeout,
                                           context=self.context)


def tls_args(cert_file, key_file) -> list[str]:
    return ["--tls-cert", str(cert_file), "--tls-key", str(key_file)]


@pytest.fixture
def https(make_server, cert):
    """A private server on HTTPS; its .client verifies it against `cert`."""
    srv = make_server(tls_args(*cert), name="tls", start=False)
    context = ssl.create_default_context(cafile=str(cert[0]))
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    srv.client = TlsClient(srv, context)
    srv.start()  # waits for /api/v1/health over HTTPS
    return srv


def test_health_over_https(https):
    c = https.client
    conn = c.connection()
    try:
        conn.connect()
        assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
        r = c.get("/health", conn=conn)
        assert r.status == 200, r
        assert r.json["status"] == "ok"
        # Keep-alive: more requests on the same TLS connection.
        for _ in range(5):
            assert c.get("/health", conn=conn).status == 200
    finally:
        conn.close()


def test_create_log_and_read_back_over_https(https):
    c = https.client
    project = "ws/p"
    r = c.post(f"/projects/{project}/runs", {"run_id": "r1"})
    assert r.status == 201, r
    assert r.json["run_id"] == "r1" and r.json["project"] == project

    c.log(project, "r1", {"configs": {"lr": 0.001},
                          "series": [{"path": "train/loss", "steps": [0, 1, 2],
                                      "values": [1.0, 0.5, 0.25]}]})

    run = c.get(f"/projects/{project}/runs/r1")
    assert run.status == 200, run
    assert run.json["run_id"] == "r1" and run.json["state"] == "running"
    series = c.read_all(project, "r1", "train/loss")
    assert series["steps"] == [0, 1, 2]
    assert series["values"] == [1.0, 0.5, 0.25]
    attrs = c.attributes(project, "r1")
    assert attrs["lr"]["value"] == 0.001


def read_until(s: ssl.SSLSocket, until: bytes, timeout: float = 10) -> bytes:
    got = b""
    deadline = time.monotonic() + timeout
    while until not in got and time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError):
            break
        if not chunk:
            break
        got += chunk
    return got


def test_event_stream_over_https_and_stop(https):
    c = https.client
    project = "ws/events"
    c.create_run(project, "r")
    raw = socket.create_connection((HOST, https.port), timeout=10)
    s = c.context.wrap_socket(raw, server_hostname=HOST)
    try:
        s.sendall(f"GET /api/v1/projects/{project}/events HTTP/1.1\r\n"
                  f"Host: {HOST}:{https.port}\r\n\r\n".encode())
        head = read_until(s, b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head[:300]
        assert b"text/event-stream" in head, head[:300]
        c.log(project, "r", {"configs": {"lr": 1}})
        got = read_until(s, b"data:")
        assert b"data:" in got, got[:300]
        # Stopping the server ends the open stream; it exits cleanly.
        assert https.stop() == 0, https.log_tail()
        read_until(s, b"never", timeout=5)
    finally:
        s.close()


def test_plain_http_to_the_https_port_is_refused(https):
    out = raw_exchange(https.port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n", timeout=10)
    assert raw_status(out) is None, out[:200]
    # The server is still there for HTTPS clients.
    assert https.alive()
    assert https.client.get("/health").status == 200


def test_a_client_that_does_not_trust_the_certificate_fails(https):
    context = ssl.create_default_context()  # the system's CAs only
    conn = http.client.HTTPSConnection(HOST, https.port, timeout=10, context=context)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            conn.request("GET", "/api/v1/health")
    finally:
        conn.close()
    assert https.client.get("/health").status == 200


def test_missing_certificate_stops_startup(make_server, cert, tmp_path):
    missing = tmp_path / "missing.pem"
    srv = make_server(tls_args(missing, cert[1]), name="nocert", start=False)
    with pytest.raises(RuntimeError) as e:
        srv.start(timeout=10)
    assert f"reading TLS certificate {missing}" in str(e.value), str(e.value)


def test_session_cookie_is_secure_over_https(make_server, cert):
    srv = make_server(tls_args(*cert), name="tls-auth", start=False)
    p = subprocess.run([BIN, "admin", "init", "--name", "root", "--password-stdin", "--data", str(srv.data_dir),
                        *cli_store_args(srv.data_dir)],
                       input="root-password-1\n", capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    context = ssl.create_default_context(cafile=str(cert[0]))
    srv.client = TlsClient(srv, context)
    srv.start()
    r = srv.client.post("/auth/login", {"name": "root", "password": "root-password-1"})
    assert r.status == 200, r
    cookie = r.header("Set-Cookie")
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
