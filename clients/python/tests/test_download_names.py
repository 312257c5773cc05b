"""Client.download() into a folder names the file as the server's
Content-Disposition says: the RFC 8187 `filename*` (exact UTF-8) ahead of the
ASCII `filename` fallback, reduced to a safe base name. The file it makes
has the mode any new file gets under the umask."""
from __future__ import annotations

import os
import stat

import pytest

from sextant._client import _disposition_name

UNICODE_NAME = "ünï cødé 文件 🚀.txt"
UNICODE_ENCODED = "%C3%BCn%C3%AF%20c%C3%B8d%C3%A9%20%E6%96%87%E4%BB%B6%20%F0%9F%9A%80.txt"


@pytest.mark.parametrize("header, name", [
    (f"attachment; filename=\"_n_ c_d_ __ _.txt\"; filename*=UTF-8''{UNICODE_ENCODED}", UNICODE_NAME),
    # filename* wins wherever it is, and names and charsets are case-insensitive
    (f"attachment; FILENAME*=utf-8''{UNICODE_ENCODED}; filename=\"x.txt\"", UNICODE_NAME),
    ("inline; filename*=UTF-8'en'plot.png", "plot.png"),
    ("attachment; filename*=ISO-8859-1''%E9t%E9.txt", "été.txt"),
    # only filename, quoted or a token
    ('attachment; filename="config.json"', "config.json"),
    ("attachment; filename=config.json", "config.json"),
    ('attachment; filename="a\\"b"', 'a"b'),
    # a raw UTF-8 filename (no filename*), as http.client hands it over:
    # its bytes read as Latin-1
    (f"attachment; filename=\"{UNICODE_NAME.encode().decode('latin-1')}\"", UNICODE_NAME),
    ("attachment; filename=\"\xe9t\xe9.txt\"", "\u00e9t\u00e9.txt"),  # Latin-1 that is not UTF-8
    # a filename* that cannot be decoded falls back to filename
    ("attachment; filename*=UTF-8''%FF%FE; filename=\"fallback.txt\"", "fallback.txt"),
    ("attachment; filename*=KOI8-R''abc; filename=\"fallback.txt\"", "fallback.txt"),
    ("attachment; filename*=nonsense; filename=\"fallback.txt\"", "fallback.txt"),
    # a quoted fallback that looks like parameters is not one
    ("attachment; filename=\"x_; filename*=UTF-8''evil.html; y=_\"; "
     "filename*=UTF-8''x%22%3B%20filename%2A%3DUTF-8%27%27evil.html%3B%20y%3D%22",
     "x\"; filename*=UTF-8''evil.html; y=\""),
    # never a path, never a special name
    ("attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd", "passwd"),
    ("attachment; filename*=UTF-8''..%5C..%5Cwin.ini", "win.ini"),
    ("attachment; filename*=UTF-8''a%00b%0A.txt", "a_b_.txt"),
    ("attachment; filename*=UTF-8''..", None),
    ('attachment; filename="."', None),
    ("attachment; filename=\"\"", None),
    ("attachment", None),
    ("", None),
    (None, None),
])
def test_disposition_name(header, name):
    assert _disposition_name(header) == name


def test_download_keeps_a_unicode_file_name(run_factory, client, proj, tmp_path):
    run = run_factory()
    src = tmp_path / "src"
    src.mkdir()
    f = src / UNICODE_NAME
    f.write_bytes(b"unicode name\n")
    run.assign_files({"docs/readme": str(f)})
    assert run.close(timeout=30)
    out = tmp_path / "out"
    out.mkdir()
    p = client.download(proj, run.run_id, "docs/readme", out)
    assert p == str(out / UNICODE_NAME)
    assert open(p, "rb").read() == b"unicode name\n"
    assert [x.name for x in out.iterdir()] == [UNICODE_NAME]


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_download_respects_the_umask(run_factory, client, proj, tmp_path, umask):
    # It made every file 0600 (a temporary file renamed into place).
    run = run_factory()
    run.assign_files({"cfg": b"settings\n"})
    assert run.close(timeout=30)
    out = tmp_path / "out"
    out.mkdir()
    old = os.umask(umask)
    try:
        into_folder = client.download(proj, run.run_id, "cfg", out)
        named = client.download(proj, run.run_id, "cfg", out / "named.bin")
    finally:
        os.umask(old)
    for p in (into_folder, named):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o666 & ~umask, p
        assert open(p, "rb").read() == b"settings\n"
    # bytes logged without a name are named after the path plus their type
    assert sorted(x.name for x in out.iterdir()) == ["cfg.txt", "named.bin"]
