"""PUT/GET …/runs/{run_id}/files/{path}: uploads, downloads, SHA-256
verification, dedup, ranges, file series, path traversal, and the headers
that make downloads safe to open in a browser."""
from __future__ import annotations

import hashlib
import os
import random
import re
import struct
import urllib.parse
import zlib
from pathlib import Path

import pytest

from sextant_e2e import API, assert_error, q

MiB = 1 << 20


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def chunks(seed: int, n: int, size: int = MiB):
    rng = random.Random(seed)
    for _ in range(n):
        yield rng.randbytes(size)


def stream_put(client, path: str, seed: int, n_chunks: int, headers: dict | None = None):
    """PUT of n_chunks MiB generated on the fly; returns (status, json, sha)."""
    h = hashlib.sha256()
    for c in chunks(seed, n_chunks):
        h.update(c)
    digest = h.hexdigest()
    conn = client.connection(timeout=300)
    try:
        conn.putrequest("PUT", API + path)
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(n_chunks * MiB))
        for k, v in (headers or {}).items():
            conn.putheader(k, v.replace("{sha}", digest))
        conn.endheaders()
        for c in chunks(seed, n_chunks):
            conn.send(c)
        r = conn.getresponse()
        body = r.read()
        from sextant_e2e import Resp
        return Resp(r.status, r.headers, body), digest
    finally:
        conn.close()


def stream_get(client, path: str, headers: dict | None = None):
    conn = client.connection(timeout=300)
    try:
        conn.request("GET", API + path, headers=headers or {})
        r = conn.getresponse()
        h = hashlib.sha256()
        n = 0
        while True:
            c = r.read(MiB)
            if not c:
                break
            h.update(c)
            n += len(c)
        return r.status, r.headers, h.hexdigest(), n
    finally:
        conn.close()


def files_url(proj: str, run: str, path: str, query: str = "") -> str:
    return f"/projects/{proj}/runs/{run}/files/{path}" + (f"?{query}" if query else "")


def test_small_upload_download(client, proj):
    client.create_run(proj, "r")
    data = b'{"hello": "world"}\n'
    url = files_url(proj, "r", "model/config.json", "name=config.json")
    r = client.put(url, data, headers={"X-Sextant-SHA256": sha(data)})
    assert r.status == 200, r
    assert r.json == {"digest": sha(data), "size": len(data)}
    g = client.get(files_url(proj, "r", "model/config.json"))
    assert g.status == 200, g
    assert g.body == data
    assert g.header("ETag") == f'"{sha(data)}"'
    cd = g.header("Content-Disposition") or ""
    assert "config.json" in cd, cd
    a = client.attributes(proj, "r")
    assert a["model/config.json"]["type"] == "file"
    # upload without a checksum; replaces the file attribute's content
    data2 = b"second version"
    r = client.put(files_url(proj, "r", "model/config.json"), data2)
    assert r.status == 200 and r.json["digest"] == sha(data2), r
    assert client.get(files_url(proj, "r", "model/config.json")).body == data2


def test_empty_file(client, proj):
    client.create_run(proj, "r")
    r = client.put(files_url(proj, "r", "empty"), b"", headers={"X-Sextant-SHA256": sha(b"")})
    assert r.status == 200 and r.json == {"digest": sha(b""), "size": 0}, r
    g = client.get(files_url(proj, "r", "empty"))
    assert g.status == 200 and g.body == b""


def test_percent_encoded_file_path(client, proj):
    client.create_run(proj, "r")
    path = "dir with space/ü.bin"
    data = b"abc"
    r = client.put(files_url(proj, "r", q(path)), data)
    assert r.status == 200, r
    assert path in client.attributes(proj, "r")
    assert client.get(files_url(proj, "r", q(path))).body == data


@pytest.mark.slow
def test_50mb_streamed_upload_and_download(client, proj):
    client.create_run(proj, "r")
    url = files_url(proj, "r", "ckpt/model.bin", "name=model.bin")
    r, digest = stream_put(client, url, seed=50, n_chunks=50, headers={"X-Sextant-SHA256": "{sha}"})
    assert r.status == 200, r
    assert r.json == {"digest": digest, "size": 50 * MiB}
    status, headers, got_digest, n = stream_get(client, files_url(proj, "r", "ckpt/model.bin"))
    assert status == 200
    assert n == 50 * MiB and got_digest == digest
    assert headers.get("ETag") == f'"{digest}"'
    # a range deep inside the big file
    blob = b"".join(chunks(50, 50))
    a, b = 30 * MiB - 7, 30 * MiB + 99
    g = client.get(files_url(proj, "r", "ckpt/model.bin"), headers={"Range": f"bytes={a}-{b}"})
    assert g.status == 206, g
    assert g.body == blob[a:b + 1]
    assert g.header("Content-Range") == f"bytes {a}-{b}/{50 * MiB}"


def test_sha256_mismatch_stores_nothing(client, proj):
    client.create_run(proj, "r")
    data = b"payload" * 1000
    r = client.put(files_url(proj, "r", "f"), data, headers={"X-Sextant-SHA256": sha(b"other")})
    assert_error(r, 400, "invalid_argument")
    assert_error(client.get(files_url(proj, "r", "f")), 404, "not_found")
    assert "f" not in client.attributes(proj, "r")
    # A failed replacement keeps the old content.
    client.put(files_url(proj, "r", "g"), b"v1")
    r = client.put(files_url(proj, "r", "g"), b"v2", headers={"X-Sextant-SHA256": sha(b"v3")})
    assert_error(r, 400, "invalid_argument")
    assert client.get(files_url(proj, "r", "g")).body == b"v1"
    # Not a hex digest at all.
    r = client.put(files_url(proj, "r", "h"), b"x", headers={"X-Sextant-SHA256": "xyz"})
    assert_error(r, 400, "invalid_argument")
    assert_error(client.get(files_url(proj, "r", "h")), 404, "not_found")
    # Upper-case hex is still hex.
    r = client.put(files_url(proj, "r", "u"), b"x", headers={"X-Sextant-SHA256": sha(b"x").upper()})
    assert r.status == 200, r


@pytest.mark.slow
def test_large_sha_mismatch_streamed(client, proj):
    client.create_run(proj, "r")
    r, _ = stream_put(client, files_url(proj, "r", "bad.bin"), seed=9, n_chunks=8,
                      headers={"X-Sextant-SHA256": "0" * 64})
    assert_error(r, 400, "invalid_argument")
    assert_error(client.get(files_url(proj, "r", "bad.bin")), 404, "not_found")


def dir_size(p: Path) -> int:
    total = 0
    for root, _, files in os.walk(p):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


@pytest.mark.slow
def test_dedup_same_content_stored_once(server, client, proj):
    client.create_run(proj, "a")
    client.create_run(proj, "b")
    data = random.Random(11).randbytes(8 * MiB)
    r = client.put(files_url(proj, "a", "w.bin"), data)
    assert r.status == 200, r
    before = dir_size(server.data_dir)
    for run, path in (("a", "copy1.bin"), ("b", "w.bin"), ("b", "x/y.bin")):
        r = client.put(files_url(proj, run, path), data)
        assert r.status == 200 and r.json["digest"] == sha(data), r
    grown = dir_size(server.data_dir) - before
    assert grown < 4 * MiB, f"data folder grew by {grown} bytes for 3 copies of an 8 MiB file"
    for run, path in (("a", "w.bin"), ("a", "copy1.bin"), ("b", "w.bin"), ("b", "x/y.bin")):
        g = client.get(files_url(proj, run, path))
        assert g.status == 200 and g.body == data


def test_range_requests(client, proj):
    client.create_run(proj, "r")
    data = bytes(range(256)) * 4  # 1024 bytes
    client.put(files_url(proj, "r", "f.bin"), data)
    url = files_url(proj, "r", "f.bin")
    for rng, (a, b) in (("bytes=0-9", (0, 9)), ("bytes=100-100", (100, 100)),
                        ("bytes=1000-", (1000, 1023)), ("bytes=-24", (1000, 1023)),
                        ("bytes=1000-5000", (1000, 1023)), ("bytes=0-1023", (0, 1023))):
        g = client.get(url, headers={"Range": rng})
        assert g.status == 206, (rng, g)
        assert g.body == data[a:b + 1], rng
        assert g.header("Content-Range") == f"bytes {a}-{b}/1024", (rng, g.header("Content-Range"))
        assert g.header("ETag") == f'"{sha(data)}"'
    g = client.get(url)
    assert g.status == 200 and g.body == data


def test_file_series_with_steps(client, proj):
    client.create_run(proj, "r")
    blobs = {1: b"image at step 1", 2: b"image at step 2", "2.5": b"half step"}
    for step, data in blobs.items():
        r = client.put(files_url(proj, "r", "samples/img", f"step={step}&name=img_{step}.png"), data,
                       headers={"X-Sextant-SHA256": sha(data)})
        assert r.status == 200 and r.json == {"digest": sha(data), "size": len(data)}, r
    for step, data in blobs.items():
        g = client.get(files_url(proj, "r", "samples/img", f"step={step}"))
        assert g.status == 200, g
        assert g.body == data
        assert g.header("ETag") == f'"{sha(data)}"'
        assert f"img_{step}.png" in (g.header("Content-Disposition") or "")
    assert_error(client.get(files_url(proj, "r", "samples/img", "step=3")), 404, "not_found")
    a = client.attributes(proj, "r")
    assert a["samples/img"]["type"] == "file_series"
    # overwrite a step: last write wins
    client.put(files_url(proj, "r", "samples/img", "step=1"), b"new")
    assert client.get(files_url(proj, "r", "samples/img", "step=1")).body == b"new"
    # bad steps
    for bad in ("NaN", "abc", "1.0000001", "1e13"):
        assert_error(client.put(files_url(proj, "r", "samples/img", f"step={bad}"), b"x"),
                     400, "invalid_argument")


def test_file_series_read_as_points(client, proj):
    """The series API lists a file series' points (steps, names, digests,
    when each was attached), paged like any raw read; `timestamp=` on the
    upload keeps a given time (to the millisecond) and a bad one is refused."""
    client.create_run(proj, "r")
    for i in range(5):
        data = f"frame {i}".encode()
        r = client.put(files_url(proj, "r", "frames", f"step={i / 2}&name=f{i}.png&timestamp={1763812345 + i}.5004"),
                       data)
        assert r.status == 200, r
    body = {"runs": ["r"], "path": "frames", "limit": 2}
    s = client.post(f"/projects/{proj}/series", body).json["series"][0]
    assert s["type"] == "file_series"
    assert s["steps"] == [0, 0.5] and s["next_after_step"] == 0.5
    assert s["values"] == [{"digest": sha(b"frame 0"), "size": 7, "name": "f0.png"},
                           {"digest": sha(b"frame 1"), "size": 7, "name": "f1.png"}]
    assert s["timestamps"] == [1763812345.5, 1763812346.5]  # kept to the ms, like every point
    s = client.post(f"/projects/{proj}/series", {**body, "after_step": 0.5, "limit": 10}).json["series"][0]
    assert s["steps"] == [1, 1.5, 2] and s["next_after_step"] is None
    # buckets make no sense for files: the raw points come back
    s = client.post(f"/projects/{proj}/series", {**body, "buckets": 10}).json["series"][0]
    assert s["steps"] == [0, 0.5] and "buckets" not in s
    for bad in ("-1", "abc", "1e20", "nan", ""):
        assert_error(client.put(files_url(proj, "r", "frames", f"step=9&timestamp={bad}"), b"x"),
                     400, "invalid_argument")
    assert client.get(files_url(proj, "r", "frames", "step=9")).status == 404


def test_file_type_conflicts(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"configs": {"cfg": 1}, "series": [{"path": "m", "steps": [0], "values": [1.0]}]})
    client.put(files_url(proj, "r", "plain"), b"x")
    client.put(files_url(proj, "r", "series", "step=0"), b"x")
    for path, query in (("m", ""), ("cfg", ""), ("plain", "step=1"), ("series", "")):
        r = client.put(files_url(proj, "r", path, query), b"y")
        assert_error(r, 409, "conflict")
    r = client.log(proj, "r", {"series": [{"path": "plain", "steps": [0], "values": [1.0]}]}, expect=None)
    assert_error(r, 409, "conflict")
    assert client.get(files_url(proj, "r", "plain")).body == b"x"


def test_file_errors(client, proj):
    client.create_run(proj, "r")
    assert_error(client.put(files_url(proj, "ghost", "f"), b"x"), 404, "not_found")
    assert_error(client.get(files_url(proj, "ghost", "f")), 404, "not_found")
    assert_error(client.get(files_url(proj, "r", "missing")), 404, "not_found")
    assert_error(client.put(files_url("e2e/no-such-proj-files", "r", "f"), b"x"), 404, "not_found")
    for bad in ("a//b", "a/", "sys/files", q("a\x01b"), "x" * 1025):
        assert_error(client.put(files_url(proj, "r", bad), b"x"), 400, "invalid_argument")


def _outside_snapshot(base: Path, data_dir: Path) -> set:
    out = set()
    for root, dirs, files in os.walk(base):
        if Path(root).resolve() == data_dir.resolve():
            dirs[:] = []
            continue
        for f in files:
            out.add(os.path.join(root, f))
    return out


def test_path_traversal_never_escapes(make_server):
    srv = make_server(name="trav")
    c = srv.client
    proj = "e2e/trav"
    c.create_run(proj, "a")
    c.create_run(proj, "b")
    c.put(files_url(proj, "b", "keep"), b"b's file")
    base = srv.data_dir.parent
    before = _outside_snapshot(base, srv.data_dir)
    marker = f"sextant_e2e_escape_{os.getpid()}"
    attempts = [
        f"../../b/files/keep",
        f"../../../../../../../../tmp/{marker}",
        f"..%2f..%2fb%2ffiles%2fkeep",
        f"%2e%2e/%2e%2e/b/files/keep",
        f"%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2ftmp%2f{marker}",
        f"x/../../../../{marker}",
        f"%2F{marker}",
        f"..",
        f"./.",
        f"..%5c..%5c{marker}",
    ]
    payload = b"ESCAPED!"
    results = []
    for path in attempts:
        url = f"/projects/{proj}/runs/a/files/{path}?name=" + q(f"../../../../../tmp/{marker}", safe="")
        r = c.put(url, payload)
        results.append((path, r.status))
        assert r.status in (200, 400, 404), (path, r)
        if r.status != 200:
            assert_error(r, r.status)
        else:
            g = c.get(f"/projects/{proj}/runs/a/files/{path}")
            assert g.status == 200 and g.body == payload, (path, g)
    # Nothing written outside the data folder, nothing in /tmp, run b intact.
    assert not Path("/tmp", marker).exists()
    assert not (base / marker).exists()
    after = _outside_snapshot(base, srv.data_dir)
    assert after - before <= {str(srv.log_path)}, after - before
    g = c.get(files_url(proj, "b", "keep"))
    assert g.status == 200 and g.body == b"b's file", (results, g)
    assert "keep" in c.attributes(proj, "b")
    assert set(c.attributes(proj, "b")) - {"keep"} <= {p for p in c.attributes(proj, "b") if p.startswith("sys/")}
    # Whatever was stored on run a is an attribute of run a.
    for p in c.attributes(proj, "a"):
        assert not p.startswith("/"), p
    assert c.health().status == 200


# --------------------------------------------------------------------------
# Downloads opened in a browser: the type comes from the first bytes, only
# PNG/JPEG/GIF/WebP are inline, everything else is an octet-stream
# attachment; always nosniff and a sandboxing CSP; the name as RFC 6266 /
# RFC 8187 say.

def tiny_png() -> bytes:
    """A valid 1x1 grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00\x7f")) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script></svg>')
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
UNICODE_NAME = "ünï cødé 文件 🚀.txt"

_DISPOSITION = re.compile(r'^(inline|attachment); filename="([ !#-\[\]-~]*)"; '
                          r"filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]*)$")


def disposition(header: str | None) -> tuple[str, str, str]:
    """(type, ASCII fallback, decoded filename*) of a Content-Disposition the
    server wrote; fails the test when it is not in the documented form."""
    m = _DISPOSITION.match(header or "")
    assert m, f"Content-Disposition not in the documented form: {header!r}"
    return m.group(1), m.group(2), urllib.parse.unquote(m.group(3), errors="strict")


def assert_browser_safe(r, content_type: str, kind: str, name: str) -> None:
    assert r.header("Content-Type") == content_type, (name, r.header("Content-Type"))
    assert r.header("X-Content-Type-Options") == "nosniff", name
    assert r.header("Content-Security-Policy") == "sandbox", name
    typ, fallback, decoded = disposition(r.header("Content-Disposition"))
    assert typ == kind, (name, r.header("Content-Disposition"))
    assert decoded == name, (decoded, name)
    assert all(32 <= ord(c) < 127 and c not in '"\\' for c in fallback), fallback


@pytest.mark.parametrize("path, name, data, content_type, kind", [
    ("img/png", "plot.png", tiny_png(), "image/png", "inline"),
    ("img/jpeg", "photo.jpg", JPEG, "image/jpeg", "inline"),
    ("img/gif", "anim.gif", GIF, "image/gif", "inline"),
    ("img/webp", "pic.webp", WEBP, "image/webp", "inline"),
    ("xss/svg", "chart.svg", SVG, "application/octet-stream", "attachment"),
    ("xss/html", "report.html", HTML, "application/octet-stream", "attachment"),
    # The name never decides: HTML named .png, and a PNG named .html.
    ("xss/fake_png", "innocent.png", HTML, "application/octet-stream", "attachment"),
    ("img/png_named_html", "page.html", tiny_png(), "image/png", "inline"),
    ("text/unicode", UNICODE_NAME, "unicode name\n".encode(), "application/octet-stream", "attachment"),
    ("text/empty", "empty.txt", b"", "application/octet-stream", "attachment"),
])
def test_downloads_are_safe_in_a_browser(client, proj, path, name, data, content_type, kind):
    client.create_run(proj, "r")
    # What the uploader says about the type is ignored.
    r = client.put(files_url(proj, "r", path, "name=" + q(name, safe="")), data,
                   headers={"Content-Type": "text/html"})
    assert r.status == 200, r
    g = client.get(files_url(proj, "r", path))
    assert g.status == 200, g
    assert g.body == data
    assert_browser_safe(g, content_type, kind, name)
    # HEAD: the same headers, no body.
    h = client.request("HEAD", files_url(proj, "r", path))
    assert h.status == 200 and h.body == b"", h
    assert_browser_safe(h, content_type, kind, name)
    if data:
        # A range answer is labelled like the whole file.
        p = client.get(files_url(proj, "r", path), headers={"Range": "bytes=1-"})
        assert p.status == 206 and p.body == data[1:], p
        assert_browser_safe(p, content_type, kind, name)


def test_unicode_name_round_trips_exactly(client, proj):
    client.create_run(proj, "r")
    url = files_url(proj, "r", q("files/" + UNICODE_NAME), "name=" + q(UNICODE_NAME, safe=""))
    assert client.put(url, b"x").status == 200
    g = client.get(files_url(proj, "r", q("files/" + UNICODE_NAME)))
    assert g.status == 200, g
    cd = g.header("Content-Disposition")
    assert cd == ("attachment; filename=\"_n_ c_d_ __ _.txt\"; filename*=UTF-8''"
                  "%C3%BCn%C3%AF%20c%C3%B8d%C3%A9%20%E6%96%87%E4%BB%B6%20%F0%9F%9A%80.txt"), cd
    assert disposition(cd)[2] == UNICODE_NAME
    # Without name= the name is the last path segment.
    client.put(files_url(proj, "r", q("other/" + UNICODE_NAME)), b"y")
    g = client.get(files_url(proj, "r", q("other/" + UNICODE_NAME)))
    assert disposition(g.header("Content-Disposition"))[2] == UNICODE_NAME


def test_hostile_names_stay_inside_the_header(client, proj):
    client.create_run(proj, "r")
    for i, name in enumerate(['a"; filename*=UTF-8\'\'evil.html; x="', "back\\slash.txt",
                              "semi;colon=eq,comma.txt", "tab\there.txt", "%41%2F.txt"]):
        path = f"hostile/{i}"
        r = client.put(files_url(proj, "r", path, "name=" + q(name, safe="")), HTML)
        assert r.status == 200, r
        g = client.get(files_url(proj, "r", path))
        assert g.status == 200, g
        assert_browser_safe(g, "application/octet-stream", "attachment", name)
