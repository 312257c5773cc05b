"""`sextant serve --signing-key FILE`: the operator's key signs Neptune's
access tokens (checked here with HMAC-SHA256 over the JWT, independently of
the server), nothing is kept in the data folder or the store instead, and a
key file that is missing, the wrong size or readable by others stops the
server before it opens any data, with a message that says how to fix it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import urllib.request

from auth_util import PASSWORD, last_line, sextant
from test_auth import start_and_wait
from sextant_e2e import Server


def key_file(path, data: bytes, mode: int = 0o600):
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


def exchange(server: Server, neptune_token: str) -> str:
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}/api/backend/v1/authorization/oauth-token",
                                 headers={"X-Neptune-Api-Token": neptune_token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["accessToken"]


def signed_with(jwt: str, key: bytes) -> bool:
    head, payload, sig = jwt.split(".")
    mac = hmac.new(key, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == sig


def test_operator_key_signs_access_tokens(tmp_path):
    data = tmp_path / "data"
    key = os.urandom(32)
    k = key_file(tmp_path / "signing.key", key)
    srv = Server(data, tmp_path / "server.log", ["--signing-key", str(k)]).start()
    try:
        sextant(data, "admin", "init", "--name", "owner", "--password-stdin", stdin=PASSWORD + "\n")
        token = last_line(sextant(data, "token", "create", "--neptune", "--project", "ws/p",
                                  "--url", f"http://127.0.0.1:{srv.port}"))
        jwt = exchange(srv, token)
        assert signed_with(jwt, key)
        assert not (data / "access-token.key").exists()
    finally:
        srv.stop()
    # Without the file the server signs with its own key: the same exchange
    # gives a token the operator's key did not sign. (The same server object:
    # with PostgreSQL it keeps its schema, and so the accounts.)
    srv.extra_args = []
    srv.start()
    try:
        assert not signed_with(exchange(srv, token), key)
    finally:
        srv.stop()


def test_bad_key_files_stop_the_server_before_it_starts(tmp_path):
    cases = [
        (key_file(tmp_path / "short.key", os.urandom(31)), "must hold exactly 32 bytes"),
        (key_file(tmp_path / "newline.key", os.urandom(32) + b"\n"), "openssl rand -out"),
        (key_file(tmp_path / "open.key", os.urandom(32), 0o644), "can be read by others (mode 644); chmod 600 it"),
        (tmp_path / "missing.key", "No such file"),
        (tmp_path, "not a regular file"),
    ]
    for i, (path, says) in enumerate(cases):
        data = tmp_path / f"d{i}"
        rc, out = start_and_wait(["--signing-key", str(path)], data)
        assert rc == 2, (path, out)
        assert says in out and str(path) in out, out
        assert not data.exists(), "the data folder was opened before the key was checked"
