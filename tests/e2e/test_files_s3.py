"""Files in an S3-compatible store (`serve --files s3://…`), checked against
the store itself: objects are content-addressed under the server's prefix,
stored once, removed by a purge, readable after a restart, and a server
pointed at a missing bucket or with wrong credentials refuses to start with a
clear message. Runs when SEXTANT_TEST_FILES names an S3 location (the test
command's S3 step starts MinIO for it); skipped otherwise."""
from __future__ import annotations

import hashlib
import os
import subprocess
import urllib.parse

import pytest

from sextant_e2e import BIN, FILES, free_port

from test_files import MiB, files_url, sha, stream_get, stream_put

pytestmark = pytest.mark.skipif(not FILES.startswith("s3://"),
                                reason="SEXTANT_TEST_FILES does not name an S3 store")


def s3_object_status(server, key: str) -> int:
    """HEAD of `key` under the server's prefix, signed by curl itself."""
    location = server.files_args[1]
    parsed = urllib.parse.urlparse(location)
    endpoint = urllib.parse.parse_qs(parsed.query)["endpoint"][0]
    url = f"{endpoint}/{parsed.netloc}{parsed.path}/{key}"
    creds = f"{os.environ['AWS_ACCESS_KEY_ID']}:{os.environ['AWS_SECRET_ACCESS_KEY']}"
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-I", "--aws-sigv4", "aws:amz:us-east-1:s3",
         "--user", creds, "-H", f"x-amz-content-sha256: {hashlib.sha256(b'').hexdigest()}", url],
        capture_output=True, text=True, check=True)
    return int(out.stdout)


def blob_key(digest: str) -> str:
    return f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"


def test_files_live_in_the_bucket_once(make_server, proj):
    srv = make_server()
    c = srv.client
    c.create_run(proj, "a")
    c.create_run(proj, "b")
    data = os.urandom(300_000)
    for run in ("a", "b"):
        r = c.put(files_url(proj, run, "ckpt.bin"), data, headers={"X-Sextant-SHA256": sha(data)})
        assert r.status == 200, r
    assert s3_object_status(srv, blob_key(sha(data))) == 200
    # Nothing of it in the data folder.
    local = srv.data_dir / "files"
    assert not local.exists() or not any(p.is_file() for p in local.rglob("*"))
    assert c.get(files_url(proj, "b", "ckpt.bin")).body == data
    # A restart reads the same bucket.
    srv.restart()
    assert srv.client.get(files_url(proj, "a", "ckpt.bin")).body == data


def test_streamed_multipart_upload_ranges_and_checksum(make_server, proj):
    srv = make_server()
    c = srv.client
    c.create_run(proj, "r")
    r, digest = stream_put(c, files_url(proj, "r", "big.bin"), seed=5, n_chunks=20,
                           headers={"X-Sextant-SHA256": "{sha}"})
    assert r.status == 200 and r.json == {"digest": digest, "size": 20 * MiB}, r
    status, _, got, n = stream_get(c, files_url(proj, "r", "big.bin"))
    assert (status, got, n) == (200, digest, 20 * MiB)
    rng = c.get(files_url(proj, "r", "big.bin"), headers={"Range": f"bytes={9 * MiB - 5}-{9 * MiB + 4}"})
    assert rng.status == 206 and len(rng.body) == 10, rng
    # A wrong checksum stores nothing, in the bucket either.
    r, digest = stream_put(c, files_url(proj, "r", "bad.bin"), seed=6, n_chunks=7,
                           headers={"X-Sextant-SHA256": "0" * 64})
    assert r.status == 400 and "checksum" in r.body.decode(), r
    assert s3_object_status(srv, blob_key(digest)) == 404


def test_purge_removes_the_object(make_server, proj):
    srv = make_server()
    c = srv.client
    c.create_run(proj, "junk")
    data = b"only this run has these bytes " + os.urandom(16)
    assert c.put(files_url(proj, "junk", "f.txt"), data).status == 200
    assert s3_object_status(srv, blob_key(sha(data))) == 200
    assert c.request("DELETE", f"/projects/{proj}/runs/junk").status == 200
    r = c.request("DELETE", f"/projects/{proj}/runs/junk?purge=true")
    assert r.status == 200, r
    assert s3_object_status(srv, blob_key(sha(data))) == 404


@pytest.mark.parametrize("change,expect", [
    (lambda loc: loc.replace("s3://sextant-test", "s3://no-such-bucket-here"), "does not exist"),
    (None, "403"),
])
def test_bad_bucket_or_credentials_refuse_to_start(tmp_path, change, expect):
    location = FILES
    env = dict(os.environ)
    if change:
        location = change(location)
    else:
        env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret"
    p = subprocess.run([BIN, "serve", "--data", str(tmp_path / "d"), "--port", str(free_port()),
                        "--files", location], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "file store" in p.stderr and expect in p.stderr, p.stderr
