"""GET /api/v1/projects/{ws}/{proj}/export: the whole project as one NDJSON
stream (docs/format/export.md), produced while it is sent: every attribute
type, NaN/±Inf, fractional steps, files and file series with their
contents, forks holding their own points, paging of long series, and the
transport (chunked for HTTP/1.1 with the connection kept, up to the close
for HTTP/1.0)."""
from __future__ import annotations

import base64
import hashlib
import json

from sextant_e2e import assert_error, q, raw_exchange, raw_status


def lines_of(body: bytes) -> list[dict]:
    assert body.endswith(b"\n"), body[-200:]
    out = [json.loads(line) for line in body.split(b"\n")[:-1]]
    for o in out:
        assert isinstance(o, dict) and len(o) == 1, o
    return out


def export(client, proj: str, query: str = "") -> tuple:
    r = client.get(f"/projects/{proj}/export{query}")
    assert r.status == 200, r
    assert r.header("Content-Type") == "application/x-ndjson"
    assert r.header("Transfer-Encoding") == "chunked"
    assert r.header("Content-Length") is None
    return r, lines_of(r.body)


def seed(client, proj: str) -> None:
    client.create_run(proj, "base", name="baseline", experiment_name="exp")
    client.log(proj, "base", {
        "configs": {"lr": 0.0003, "layers": 24, "amp": True, "note": "ünï \"q\"\nx",
                    "nan": {"type": "float", "value": "NaN"},
                    "when": {"type": "datetime", "value": "2026-11-22T10:00:00.123456Z"},
                    "sets": {"type": "string_set", "value": ["b", "a"]}},
        "series": [
            {"path": "loss", "steps": [0, "0.5", "1.000001", 2, 3],
             "values": [2.5, "NaN", "Infinity", "-Infinity", 1e-300],
             "timestamps": [1763812345.000001, 1763812346.5, 1763812347, 1763812348, 1763812349]},
            {"path": "text", "type": "string", "steps": [1, 2], "values": ["hello", "wörld\nline"]},
            {"path": "hist", "type": "histogram", "steps": [0],
             "values": [{"edges": [-1, 0, 1.5], "counts": [3, 4]}]}],
        "add_tags": ["t1"], "state": "finished"})
    for path, data, query in (("ckpt", b"\x00weights" * 200_000, "name=ckpt.bin"),
                              ("imgs", b"\x89PNG-1", "step=1&name=a.png"),
                              ("imgs", b"\x89PNG-2", "step=2.5&name=b.png"),
                              ("copy", b"\x89PNG-1", "name=same.png")):
        r = client.put(f"/projects/{proj}/runs/base/files/{path}?{query}", data)
        assert r.status == 200, r
    # A fork whose id sorts before its parent's.
    client.create_run(proj, "a-fork", fork_run_id="base", fork_step="1.000001")
    client.log(proj, "a-fork", {"series": [{"path": "loss", "steps": [2, 3], "values": [0.5, 0.25]}],
                                "state": "failed"})


def by_kind(lines: list[dict], kind: str) -> list[dict]:
    return [o[kind] for o in lines if kind in o]


def test_export_streams_every_type_with_files_and_forks(client, proj):
    seed(client, proj)
    _, lines = export(client, proj)
    head, end = lines[0]["export"], lines[-1]["end"]
    assert head["format"] == "sextant-export-stream" and head["version"] == 1
    assert head["project"] == proj and head["runs"] == 2 and head["files"] is True
    runs = by_kind(lines, "run")
    assert [r["run_id"] for r in runs] == ["base", "a-fork"]  # parents first
    assert runs[0]["name"] == "baseline" and runs[0]["experiment_name"] == "exp"
    assert runs[0]["state"] == "finished" and runs[0]["fork_run_id"] is None
    assert runs[1]["fork_run_id"] == "base" and runs[1]["fork_step"] == "1.000001"
    assert runs[1]["state"] == "failed"
    assert isinstance(runs[0]["created_at_us"], int)

    configs = {c["attribute_path"]: c for c in by_kind(lines, "config") if c["run_id"] == "base"}
    assert configs["lr"]["float_value"] == 0.0003 and configs["lr"]["attribute_type"] == "float"
    assert configs["layers"]["int_value"] == 24 and configs["amp"]["bool_value"] is True
    assert configs["note"]["string_value"] == "ünï \"q\"\nx"
    assert configs["nan"]["float_value"] == "NaN"
    assert configs["when"]["datetime_value_us"] == 1795341600123456
    assert configs["sets"]["string_set_value"] == ["a", "b"]
    assert configs["sys/tags"]["string_set_value"] == ["t1"]

    series = {(s["run_id"], s["attribute_path"]): s for s in by_kind(lines, "series")}
    loss = series[("base", "loss")]
    assert loss["step_micros"] == [0, 500_000, 1_000_001, 2_000_000, 3_000_000]
    assert loss["float_value"] == [2.5, "NaN", "Infinity", "-Infinity", 1e-300]
    assert loss["timestamp_us"][:2] == [1763812345000000, 1763812346500000]  # kept to the ms
    assert series[("base", "text")]["string_value"] == ["hello", "wörld\nline"]
    assert series[("base", "hist")]["histogram_value"] == [{"edges": [-1, 0, 1.5], "counts": [3, 4]}]
    # The fork holds its own points only.
    assert series[("a-fork", "loss")]["step_micros"] == [2_000_000, 3_000_000]
    assert series[("a-fork", "loss")]["float_value"] == [0.5, 0.25]

    # Every file's contents come before its first reference, once per content.
    blobs: dict[str, bytearray] = {}
    for i, o in enumerate(lines):
        if "blob" in o:
            b = o["blob"]
            got = blobs.setdefault(b["sha256"], bytearray())
            assert b["offset"] == len(got)
            got += base64.b64decode(b["data"])
            assert len(base64.b64decode(b["data"])) <= 768 << 10
        refs = []
        if "file" in o:
            refs = [o["file"]["file_value"]]
        elif "series" in o and "file_value" in o["series"]:
            refs = o["series"]["file_value"]
        for f in refs:
            digest = f["path"].removeprefix("files/")
            assert digest in blobs and len(blobs[digest]) == f["size"], (i, f)
    assert len(blobs) == 3  # "copy" shares the content of imgs@1
    for digest, data in blobs.items():
        assert hashlib.sha256(data).hexdigest() == digest
    files = {f["attribute_path"]: f["file_value"] for f in by_kind(lines, "file")}
    assert files["ckpt"]["name"] == "ckpt.bin" and files["ckpt"]["size"] == 1_600_000
    imgs = series[("base", "imgs")]
    assert imgs["attribute_type"] == "file_series" and imgs["step_micros"] == [1_000_000, 2_500_000]
    assert [f["name"] for f in imgs["file_value"]] == ["a.png", "b.png"]

    assert end == {"runs": 2, "configs": len(by_kind(lines, "config")), "points": 5 + 2 + 1 + 2 + 2,
                   "files": 4, "blobs": 3, "blob_bytes": 1_600_000 + 6 + 6}


def test_long_series_come_in_pages_and_without_files(client, proj):
    n = 150_000
    client.create_run(proj, "long")
    for lo in range(0, n, 50_000):
        client.log(proj, "long", {"series": [{"path": "m", "steps": list(range(lo, lo + 50_000)),
                                              "values": [i * 0.25 for i in range(lo, lo + 50_000)]}]})
    r = client.put(f"/projects/{proj}/runs/long/files/f?name=x", b"contents")
    assert r.status == 200, r
    _, lines = export(client, proj, "?files=false")
    assert lines[0]["export"]["files"] is False
    assert not by_kind(lines, "blob")
    pages = [s for s in by_kind(lines, "series") if s["attribute_path"] == "m"]
    assert [len(p["step_micros"]) for p in pages] == [65_536, 65_536, n - 2 * 65_536]
    steps = [s for p in pages for s in p["step_micros"]]
    assert steps == [i * 1_000_000 for i in range(n)]
    assert [v for p in pages for v in p["float_value"]] == [i * 0.25 for i in range(n)]
    assert by_kind(lines, "file")[0]["file_value"]["size"] == 8
    assert lines[-1]["end"]["points"] == n and lines[-1]["end"]["blobs"] == 0


def test_export_errors_come_before_the_stream(client, proj):
    assert_error(client.get("/projects/e2e/no-such-project/export"), 404)
    client.create_run(proj, "r")
    assert_error(client.get(f"/projects/{proj}/export?files=maybe"), 400, "invalid_argument")
    # A run without attributes is its run line between the head and the end.
    _, lines = export(client, proj)
    assert [next(iter(o)) for o in lines] == ["export", "run", "end"]
    assert lines[-1]["end"] == {"runs": 1, "configs": 0, "points": 0, "files": 0, "blobs": 0,
                                "blob_bytes": 0}


def test_connection_stays_open_after_a_chunked_export(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"configs": {"a": 1}})
    conn = client.connection()
    try:
        first = client.request("GET", f"/projects/{proj}/export", conn=conn)
        assert first.status == 200 and lines_of(first.body)[-1]["end"]["runs"] == 1
        again = client.request("GET", f"/projects/{q(proj)}/runs/r", conn=conn)
        assert again.status == 200 and again.json["run_id"] == "r"
    finally:
        conn.close()


def test_http10_client_gets_the_stream_up_to_the_close(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"configs": {"a": 1}})
    auth = f"Authorization: Bearer {client.token}\r\n".encode() if client.token else b""
    resp = raw_exchange(client.port, f"GET /api/v1/projects/{proj}/export HTTP/1.0\r\n".encode() +
                        f"Host: 127.0.0.1:{client.port}\r\n".encode() + auth + b"\r\n", timeout=10)
    assert raw_status(resp) == 200, resp[:300]
    head, _, body = resp.partition(b"\r\n\r\n")
    assert b"chunked" not in head.lower()
    lines = lines_of(body)
    assert lines[0]["export"]["runs"] == 1 and "end" in lines[-1]
