"""The server's streamed export (`GET …/export`, NDJSON) → `sextant import
sextant FILE` into an empty server → `sextant export` (Parquet) of both
gives the same bytes: every type, NaN/±Inf, fractional steps, files and file
series, states, flags and forks. Also: an export without file contents, a
stream cut short (refused, nothing imported) and a re-import (nothing
twice)."""
from __future__ import annotations

import urllib.request
from pathlib import Path

from sxt import Server

from conftest import TOKEN
from test_export_roundtrip import assert_same_data, import_into_empty_server, seed


def download(url: str, project: str, dest: Path, query: str = "") -> Path:
    req = urllib.request.Request(f"{url}/api/v1/projects/{project}/export{query}")
    req.add_header("Authorization", f"Bearer {TOKEN}")
    with urllib.request.urlopen(req, timeout=120) as r:
        assert r.headers["Content-Type"] == "application/x-ndjson"
        dest.write_bytes(r.read())
    return dest


def test_stream_import_then_export_is_identical(tmp_path, server, sextant, native, project):
    seed(native, server.url, project)
    stream = download(server.url, project, tmp_path / "p.ndjson")
    first = tmp_path / "first"
    sextant("export", project, str(first))

    second = import_into_empty_server(tmp_path, sextant, stream, project)
    assert_same_data(first, second)


def test_stream_without_files_says_what_it_left(tmp_path, server, sextant, native, project):
    seed(native, server.url, project)
    stream = download(server.url, project, tmp_path / "p.ndjson", "?files=false")
    other = Server(tmp_path / "other-data", tmp_path / "other.log").start()
    try:
        p = sextant("import", "sextant", str(stream), "--project", project,
                    env={"SEXTANT_URL": other.url})
        assert "4 runs imported" in p.stderr, p.stderr
        assert "model/ckpt" in p.stderr and "files=false" in p.stderr, p.stderr
        assert "samples at step 2.5" in p.stderr, p.stderr
    finally:
        other.stop()


def test_cut_stream_is_refused_and_imports_nothing(tmp_path, server, sextant, native, project):
    seed(native, server.url, project)
    whole = download(server.url, project, tmp_path / "p.ndjson").read_bytes()
    for cut in (len(whole) // 2, len(whole) - 1, whole.rindex(b'{"end"')):
        part = tmp_path / f"cut{cut}.ndjson"
        part.write_bytes(whole[:cut])
        other = Server(tmp_path / f"o{cut}", tmp_path / f"o{cut}.log").start()
        try:
            p = sextant("import", "sextant", str(part), "--project", project,
                        env={"SEXTANT_URL": other.url}, check=False)
            assert p.returncode != 0 and "incomplete" in p.stderr, p.stderr
            req = urllib.request.Request(f"{other.url}/api/v1/projects")
            req.add_header("Authorization", f"Bearer {TOKEN}")
            with urllib.request.urlopen(req, timeout=30) as r:
                assert b'"projects":[]' in r.read()
        finally:
            other.stop()


def test_not_a_stream_gets_a_clear_error(tmp_path, sextant, project):
    bad = tmp_path / "bad.ndjson"
    for body, says in ((b"", "empty"), (b"hello\n", "not JSON"),
                       (b'{"export": {"format": "other", "version": 1}}\n{"end": {}}\n', "format"),
                       (b'{"export": {"format": "sextant-export-stream", "version": 99}}\n{"end": {}}\n',
                        "newer")):
        bad.write_bytes(body)
        p = sextant("import", "sextant", str(bad), "--project", project, check=False)
        assert p.returncode != 0 and says in p.stderr, (body, p.stderr)
