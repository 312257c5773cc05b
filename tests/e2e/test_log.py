"""POST …/runs/{run_id}/log: configs, series, tags, steps, values, validation,
atomicity and limits."""
from __future__ import annotations

import datetime as dt
import math
import subprocess
from decimal import Decimal

import pytest

from sextant_e2e import BIN, assert_error, dumps, fval, q, same_float


def attr_value_datetime(v) -> float:
    """A datetime config as returned: RFC 3339 text or Unix seconds."""
    if isinstance(v, str):
        return dt.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
    return float(v)


# ---------------------------------------------------------------- configs

def test_configs_of_every_type(client, proj):
    client.create_run(proj, "r")
    batch = {"configs": {
        "lr": 0.0003, "model/layers": 24, "model/name": "gpt", "amp": True,
        "started": {"type": "datetime", "value": "2026-11-22T10:00:00Z"},
        "datasets": {"type": "string_set", "value": ["b", "a", "b"]},
        "ratio": {"type": "float", "value": 1},
        "count": {"type": "int", "value": 7},
        "flag": {"type": "bool", "value": False},
        "label": {"type": "string", "value": "x y"},
        "big": 9007199254740993,
        "neg": -42,
        "unicode/ключ": "значение ✓",
    }}
    r = client.log(proj, "r", batch)
    assert r.json == {"points": 0, "configs": len(batch["configs"])}
    a = client.attributes(proj, "r")
    expect = {
        "lr": ("float", 0.0003), "model/layers": ("int", 24), "model/name": ("string", "gpt"),
        "amp": ("bool", True), "ratio": ("float", 1.0), "count": ("int", 7),
        "flag": ("bool", False), "label": ("string", "x y"), "big": ("int", 9007199254740993),
        "neg": ("int", -42), "unicode/ключ": ("string", "значение ✓"),
    }
    for path, (typ, val) in expect.items():
        assert path in a, (path, sorted(a))
        assert a[path]["type"] == typ, a[path]
        assert a[path]["value"] == val, a[path]
        if isinstance(val, (bool, str)):
            assert type(a[path]["value"]) is type(val), a[path]
    assert a["started"]["type"] == "datetime"
    assert attr_value_datetime(a["started"]["value"]) == \
        dt.datetime(2026, 11, 22, 10, tzinfo=dt.timezone.utc).timestamp()
    assert a["datasets"]["type"] == "string_set"
    assert sorted(a["datasets"]["value"]) == ["a", "b"]


def test_config_number_typing_follows_json_spelling(client, proj):
    client.create_run(proj, "r")
    raw = b'{"configs": {"i": 3, "f1": 3.0, "f2": 1e3, "f3": -0.5, "f4": 2E-2}}'
    r = client.post(f"/projects/{proj}/runs/r/log", raw=raw)
    assert r.status == 200, r
    a = client.attributes(proj, "r")
    assert a["i"]["type"] == "int" and a["i"]["value"] == 3
    for k, v in (("f1", 3.0), ("f2", 1000.0), ("f3", -0.5), ("f4", 0.02)):
        assert a[k]["type"] == "float", a[k]
        assert a[k]["value"] == v


def test_config_overwrite_same_type(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"configs": {"lr": 0.1, "name": "a"}})
    client.log(proj, "r", {"configs": {"lr": 0.2, "name": "b"}})
    a = client.attributes(proj, "r")
    assert a["lr"]["value"] == 0.2 and a["name"]["value"] == "b"


def test_explicit_float_config_non_finite(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"configs": {
        "n": {"type": "float", "value": "NaN"},
        "pi": {"type": "float", "value": "Infinity"},
        "ni": {"type": "float", "value": "-Infinity"},
        "z": -0.0,
        "s": "NaN",  # a plain string stays a string
    }})
    a = client.attributes(proj, "r")
    assert a["n"]["type"] == "float" and a["n"]["value"] == "NaN"
    assert a["pi"]["value"] == "Infinity"
    assert a["ni"]["value"] == "-Infinity"
    assert a["z"]["type"] == "float" and same_float(fval(a["z"]["value"]), -0.0), a["z"]
    assert a["s"]["type"] == "string" and a["s"]["value"] == "NaN"


@pytest.mark.parametrize("cfg", [
    {"type": "int", "value": 1.5},
    {"type": "int", "value": "7"},
    {"type": "bool", "value": 1},
    {"type": "float", "value": "abc"},
    {"type": "datetime", "value": "not a date"},
    {"type": "datetime", "value": True},
    {"type": "string_set", "value": "a"},
    {"type": "string_set", "value": [1, 2]},
    {"type": "string", "value": 5},
    {"type": "float_series", "value": 1},
    {"type": "nope", "value": 1},
    {"type": "float"},
    [1, 2],
    None,
])
def test_invalid_config_values_rejected(client, proj, cfg):
    client.create_run(proj, "r")
    r = client.log(proj, "r", {"configs": {"good": 1, "bad": cfg}}, expect=None)
    assert_error(r, 400, "invalid_argument")
    assert "good" not in client.attributes(proj, "r"), "rejected batch was partly stored"


def test_reserved_sys_paths(client, proj):
    client.create_run(proj, "r", name="orig")
    for path in ("sys/state", "sys/id", "sys/whatever", "sys/created_at"):
        r = client.log(proj, "r", {"configs": {path: "x"}}, expect=None)
        assert_error(r, 400, "invalid_argument")
        r = client.log(proj, "r", {"series": [{"path": path, "steps": [0], "values": [1]}]},
                       expect=None)
        assert_error(r, 400, "invalid_argument")
    client.log(proj, "r", {"configs": {"sys/name": "renamed", "sys/description": "d"}})
    assert client.get(f"/projects/{proj}/runs/r").json["name"] == "renamed"


def test_tags_add_and_remove(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"add_tags": ["baseline", "gpu", "x"]})
    client.log(proj, "r", {"add_tags": ["gpu", "new"], "remove_tags": ["x", "never-there"]})
    a = client.attributes(proj, "r")
    assert a["sys/tags"]["type"] == "string_set"
    assert sorted(a["sys/tags"]["value"]) == ["baseline", "gpu", "new"]
    for bad in ({"add_tags": "x"}, {"add_tags": [1]}, {"remove_tags": [None]}):
        assert_error(client.log(proj, "r", bad, expect=None), 400, "invalid_argument")


def test_log_to_unknown_run_or_project_404(client, proj):
    client.create_run(proj, "r")
    assert_error(client.log(proj, "ghost", {"configs": {"a": 1}}, expect=None), 404, "not_found")
    assert_error(client.log("e2e/never-created-proj", "r", {"configs": {"a": 1}}, expect=None),
                 404, "not_found")


# ---------------------------------------------------------------- series

def test_series_of_each_type(client, proj):
    client.create_run(proj, "r")
    batch = {"series": [
        {"path": "train/loss", "steps": [0, 1, 2], "values": [2.3, "NaN", 1.9],
         "timestamps": [1763812345.1, 1763812345.2, 1763812345.3]},
        {"path": "eval/sample", "type": "string", "steps": [0, 5], "values": ["hello", "wörld"]},
        {"path": "grad/l0", "type": "histogram", "steps": [0],
         "values": [{"edges": [0, 1, 2], "counts": [3, 4]}]},
        {"path": "explicit/float", "type": "float", "steps": [3], "values": [0.5]},
    ]}
    r = client.log(proj, "r", batch)
    assert r.json == {"points": 7, "configs": 0}

    s = client.read_all(proj, "r", "train/loss")
    assert s["type"] == "float_series"
    assert s["steps"] == [0, 1, 2]
    assert s["values"][0] == 2.3 and s["values"][1] == "NaN" and s["values"][2] == 1.9
    assert s["timestamps"] == pytest.approx([1763812345.1, 1763812345.2, 1763812345.3], abs=2e-6)

    s = client.read_all(proj, "r", "eval/sample")
    assert s["type"] == "string_series"
    assert s["steps"] == [0, 5] and s["values"] == ["hello", "wörld"]

    s = client.read_all(proj, "r", "grad/l0")
    assert s["type"] == "histogram_series"
    assert s["steps"] == [0]
    h = s["values"][0]
    assert [fval(x) for x in h["edges"]] == [0, 1, 2] and [fval(x) for x in h["counts"]] == [3, 4]

    a = client.attributes(proj, "r")
    assert a["train/loss"]["type"] == "float_series"
    assert a["train/loss"]["last_step"] == 2
    assert a["train/loss"]["last_value"] == 1.9
    assert a["train/loss"]["count"] == 3
    assert a["train/loss"]["last_timestamp"] == pytest.approx(1763812345.3, abs=2e-6)
    assert a["eval/sample"]["type"] == "string_series"
    assert a["eval/sample"]["last_value"] == "wörld"
    assert a["grad/l0"]["type"] == "histogram_series"
    assert a["explicit/float"]["type"] == "float_series"


MS_BATCH = {"series": [
    {"path": "t", "steps": [0, 1, 2, 3], "values": [1.0, 2.0, 3.0, 4.0],
     "timestamps": [1763812345.123456, 1763812345.999999, 1.0005, 0.000999]},
    {"path": "s", "type": "string", "steps": [0], "values": ["x"], "timestamps": [2.0019]},
]}


def test_timestamps_are_kept_to_the_millisecond(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", MS_BATCH)
    assert client.read_all(proj, "r", "t")["timestamps"] == [1763812345.123, 1763812345.999, 1.0, 0.0]
    assert client.read_all(proj, "r", "s")["timestamps"] == [2.001]
    assert client.attributes(proj, "r")["t"]["last_timestamp"] == 0.0


def test_a_server_asked_for_microseconds_keeps_them(make_server, tmp_path):
    srv = make_server(["--timestamp-resolution", "us"])
    srv.client.create_run("e2e/us", "r")
    srv.client.log("e2e/us", "r", MS_BATCH)
    ts = srv.client.read_all("e2e/us", "r", "t")["timestamps"]
    assert ts == pytest.approx([1763812345.123456, 1763812345.999999, 1.0005, 0.000999], abs=5e-7)
    assert srv.client.read_all("e2e/us", "r", "s")["timestamps"] == [2.0019]
    p = subprocess.run([BIN, "serve", "--data", str(tmp_path / "bad"), "--timestamp-resolution", "ns"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "--timestamp-resolution must be ms or us, got 'ns'" in p.stderr, p.stderr


def test_timestamps_default_to_receive_time(client, proj):
    import time
    client.create_run(proj, "r")
    t0 = time.time()
    client.log(proj, "r", {"series": [{"path": "x", "steps": [1], "values": [1.0]}]})
    t1 = time.time()
    s = client.read_all(proj, "r", "x")
    assert t0 - 1 <= s["timestamps"][0] <= t1 + 1


def test_last_write_wins_across_batches(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"series": [{"path": "m", "steps": [1, 2, 3], "values": [1.0, 2.0, 3.0]},
                                      {"path": "s", "type": "string", "steps": [1], "values": ["a"]}]})
    client.log(proj, "r", {"series": [{"path": "m", "steps": [2], "values": [20.0]},
                                      {"path": "s", "type": "string", "steps": [1], "values": ["b"]}]})
    s = client.read_all(proj, "r", "m")
    assert s["steps"] == [1, 2, 3] and s["values"] == [1.0, 20.0, 3.0]
    assert client.read_all(proj, "r", "s")["values"] == ["b"]
    a = client.attributes(proj, "r")
    assert a["m"]["count"] == 3
    assert a["m"]["last_value"] == 3.0


def test_last_write_wins_inside_a_batch(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"series": [{"path": "m", "steps": [1, 2, 1], "values": [1.0, 2.0, 11.0]}]})
    s = client.read_all(proj, "r", "m")
    assert s["steps"] == [1, 2] and s["values"] == [11.0, 2.0]


def test_retried_batch_does_not_duplicate(client, proj):
    client.create_run(proj, "r")
    batch = {"series": [{"path": "m", "steps": list(range(100)), "values": [i * 0.5 for i in range(100)]}],
             "configs": {"c": 1}, "add_tags": ["t"]}
    for _ in range(3):
        client.log(proj, "r", batch)
    s = client.read_all(proj, "r", "m")
    assert s["steps"] == list(range(100))
    assert s["values"] == [i * 0.5 for i in range(100)]
    a = client.attributes(proj, "r")
    assert a["m"]["count"] == 100
    assert a["sys/tags"]["value"] == ["t"]


def test_out_of_order_steps(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"series": [{"path": "m", "steps": [5, 1, 3], "values": [5.0, 1.0, 3.0]}]})
    client.log(proj, "r", {"series": [{"path": "m", "steps": [2, 4, 0], "values": [2.0, 4.0, 0.0]}]})
    client.log(proj, "r", {"series": [{"path": "m", "steps": [-1], "values": [-1.0]}]})
    s = client.read_all(proj, "r", "m")
    assert s["steps"] == [-1, 0, 1, 2, 3, 4, 5]
    assert s["values"] == [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    a = client.attributes(proj, "r")
    assert a["m"]["last_step"] == 5 and a["m"]["last_value"] == 5.0 and a["m"]["count"] == 7


def test_non_finite_values_and_negative_zero(client, proj):
    client.create_run(proj, "r")
    vals = ["NaN", "Infinity", "-Infinity", -0.0, 0.0, 5e-324, 1.7976931348623157e308,
            -2.2250738585072014e-308, 0.1, 1 / 3]
    client.log(proj, "r", {"series": [{"path": "m", "steps": list(range(len(vals))), "values": vals}]})
    s = client.read_all(proj, "r", "m")
    assert s["steps"] == list(range(len(vals)))
    got = [fval(v) for v in s["values"]]
    for i, (g, e) in enumerate(zip(got, [fval(v) for v in vals])):
        assert same_float(g, e), f"point {i}: sent {vals[i]!r}, got {s['values'][i]!r}"
    assert s["values"][:3] == ["NaN", "Infinity", "-Infinity"]


def test_fractional_and_huge_steps_exact(client, proj):
    client.create_run(proj, "r")
    steps = [0.000001, 1.5, 1e12, "2.000003", "123456789012.345678", -0.5, "-8999999999999.999999"]
    client.log(proj, "r", {"series": [{"path": "m", "steps": steps,
                                       "values": [float(i) for i in range(len(steps))]}]})
    r = client.series(proj, {"runs": ["r"], "path": "m"})
    got = r.exact()["series"][0]
    want = sorted((Decimal(str(s)), float(i)) for i, s in enumerate(steps))
    assert [Decimal(x) if not isinstance(x, Decimal) else x for x in got["steps"]] == \
        [w[0] for w in want], f"steps not printed exactly: {r.body[:400]!r}"
    assert [float(v) for v in got["values"]] == [w[1] for w in want]


@pytest.mark.parametrize("step", ["NaN", "Infinity", "-Infinity", 9e12, -9e12, 1e13,
                                  "9000000000000", "1.0000001", "abc", "1e3", None, True, [1]])
def test_invalid_steps_rejected(client, proj, step):
    client.create_run(proj, "r")
    r = client.log(proj, "r", {"series": [{"path": "ok", "steps": [0], "values": [1.0]},
                                          {"path": "m", "steps": [1, step], "values": [1.0, 2.0]}]},
                   expect=None)
    assert_error(r, 400, "invalid_argument")
    assert "ok" not in client.attributes(proj, "r")


def test_type_change_rejected_atomically(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"configs": {"lr": 0.1, "name": "a"},
                           "series": [{"path": "loss", "steps": [0], "values": [1.0]}]})
    bad_batches = [
        # series float -> string
        {"configs": {"new_cfg": 1}, "add_tags": ["t"], "state": "finished",
         "series": [{"path": "new_series", "steps": [0], "values": [1.0]},
                    {"path": "loss", "type": "string", "steps": [1], "values": ["x"]}]},
        # series float -> histogram
        {"series": [{"path": "new_series", "steps": [0], "values": [1.0]},
                    {"path": "loss", "type": "histogram", "steps": [1],
                     "values": [{"edges": [0, 1], "counts": [1]}]}]},
        # config -> series
        {"series": [{"path": "new_series", "steps": [0], "values": [1.0]},
                    {"path": "lr", "steps": [1], "values": [1.0]}]},
        # series -> config
        {"configs": {"new_cfg": 1, "loss": 0.5}},
        # config string -> float
        {"configs": {"new_cfg": 1, "name": 2.5}},
        # config float -> string_set
        {"configs": {"new_cfg": 1, "lr": {"type": "string_set", "value": ["a"]}}},
    ]
    for b in bad_batches:
        r = client.log(proj, "r", b, expect=None)
        assert_error(r, 409, "conflict")
    a = client.attributes(proj, "r")
    assert "new_series" not in a and "new_cfg" not in a, sorted(a)
    assert a["loss"]["type"] == "float_series" and a["loss"]["count"] == 1
    assert a["lr"]["value"] == 0.1 and a["name"]["value"] == "a"
    assert "t" not in (a.get("sys/tags", {}).get("value") or [])
    assert client.get(f"/projects/{proj}/runs/r").json["state"] == "running"
    s = client.read_all(proj, "r", "loss")
    assert s["steps"] == [0] and s["values"] == [1.0]


def test_same_path_two_types_in_one_batch_rejected(client, proj):
    client.create_run(proj, "r")
    r = client.log(proj, "r", {"configs": {"x": 1}, "series": [{"path": "x", "steps": [0], "values": [1.0]}]},
                   expect=None)
    assert r.status in (400, 409), r
    assert_error(r, r.status)
    assert "x" not in client.attributes(proj, "r")


# ---------------------------------------------------------------- invalid paths

BAD_PATHS = ["", "a" * 1025, "a//b", "/a", "a/", "/", "a\x01b", "a\nb", "tab\there", "del\x7f"]


@pytest.mark.parametrize("path", BAD_PATHS, ids=lambda p: repr(p)[:20])
def test_invalid_paths_rejected(client, proj, path):
    client.create_run(proj, "r")
    for batch in ({"configs": {"good": 1, path: 1}},
                  {"configs": {"good": 1}, "series": [{"path": path, "steps": [0], "values": [1.0]}]}):
        r = client.log(proj, "r", batch, expect=None)
        assert_error(r, 400, "invalid_argument")
    assert "good" not in client.attributes(proj, "r")


def test_path_of_1024_bytes_accepted(client, proj):
    client.create_run(proj, "r")
    p1024 = "é" * 511 + "ab"  # 2*511 + 2 = 1024 bytes
    assert len(p1024.encode()) == 1024
    client.log(proj, "r", {"configs": {p1024: 1}, "series": [{"path": "s/" + "x" * 1022, "steps": [0],
                                                              "values": [1.0]}]})
    a = client.attributes(proj, "r")
    assert p1024 in a and ("s/" + "x" * 1022) in a
    # 1025 bytes with a multi-byte character
    r = client.log(proj, "r", {"configs": {"é" * 512 + "a": 1}}, expect=None)
    assert_error(r, 400, "invalid_argument")


@pytest.mark.parametrize("where", ["config", "series", "value", "tag"])
def test_invalid_utf8_raw_bytes_rejected(client, proj, where):
    client.create_run(proj, "r")
    marker = "@@BAD@@"
    if where == "config":
        body = {"configs": {"good": 1, "a" + marker: 1}}
    elif where == "series":
        body = {"configs": {"good": 1}, "series": [{"path": "a" + marker, "steps": [0], "values": [1.0]}]}
    elif where == "value":
        body = {"configs": {"good": 1, "s": "v" + marker}}
    else:
        body = {"configs": {"good": 1}, "add_tags": ["t" + marker]}
    raw = dumps(body).replace(marker.encode(), b"\xff\xfe\xc3")
    r = client.post(f"/projects/{proj}/runs/r/log", raw=raw)
    assert_error(r, 400, "invalid_argument")
    assert "good" not in client.attributes(proj, "r")


# ---------------------------------------------------------------- malformed requests

@pytest.mark.parametrize("raw", [
    b"{", b"{\"configs\": {\"a\": 1}", b"not json", b"{\"configs\": {\"a\": NaN}}",
    b"{\"configs\": {\"a\": 1,}}", b"[", b"{\"configs\": {\"a\": \"\\ud800\"}}", b"{\"configs\":{\"a\":1}} trailing",
], ids=lambda b: repr(b)[:30])
def test_malformed_json_400_with_message(client, proj, raw):
    client.create_run(proj, "r")
    r = client.post(f"/projects/{proj}/runs/r/log", raw=raw)
    assert_error(r, 400, "invalid_argument")
    assert "a" not in client.attributes(proj, "r")


@pytest.mark.parametrize("batch", [
    [],
    "x",
    {"configs": [1, 2]},
    {"series": {"path": "m"}},
    {"series": [{"steps": [0], "values": [1.0]}]},
    {"series": [{"path": "m", "steps": [0]}]},
    {"series": [{"path": "m", "values": [1.0]}]},
    {"series": [{"path": "m", "steps": [0, 1], "values": [1.0]}]},
    {"series": [{"path": "m", "steps": [0], "values": [1.0], "timestamps": [1.0, 2.0]}]},
    {"series": [{"path": "m", "steps": [0], "values": [1.0], "timestamps": ["now"]}]},
    {"series": [{"path": "m", "steps": 0, "values": 1.0}]},
    {"series": [{"path": "m", "steps": [0], "values": ["hello"]}]},
    {"series": [{"path": "m", "steps": [0], "values": [None]}]},
    {"series": [{"path": "m", "steps": [0], "values": [{"x": 1}]}]},
    {"series": [{"path": "m", "type": "string", "steps": [0], "values": [1.0]}]},
    {"series": [{"path": "m", "type": "bogus", "steps": [0], "values": [1.0]}]},
    {"series": [{"path": "m", "type": "file", "steps": [0], "values": ["x"]}]},
    {"series": [{"path": 5, "steps": [0], "values": [1.0]}]},
    {"series": [{"path": "h", "type": "histogram", "steps": [0], "values": [{"edges": [0, 1, 2], "counts": [1]}]}]},
    {"series": [{"path": "h", "type": "histogram", "steps": [0], "values": [{"edges": [0, 2, 1], "counts": [1, 1]}]}]},
    {"series": [{"path": "h", "type": "histogram", "steps": [0], "values": [{"edges": [0, 0], "counts": [1]}]}]},
    {"series": [{"path": "h", "type": "histogram", "steps": [0], "values": [{"edges": [0, "Infinity"], "counts": [1]}]}]},
    {"series": [{"path": "h", "type": "histogram", "steps": [0], "values": [{"edges": [0, 1]}]}]},
    {"series": [{"path": "h", "type": "histogram", "steps": [0], "values": [[0, 1]]}]},
    {"state": 3},
    {"state": "bogus"},
], ids=lambda b: dumps(b).decode()[:60])
def test_wrong_types_400(client, proj, batch):
    client.create_run(proj, "r")
    if isinstance(batch, dict) and "configs" not in batch:
        batch = dict(batch, configs={"marker": 1})
    r = client.log(proj, "r", batch, expect=None)
    assert_error(r, 400, "invalid_argument")
    a = client.attributes(proj, "r")
    assert "marker" not in a and "m" not in a and "h" not in a, sorted(a)



# ---------------------------------------------------------------- binary columns

def b64_f64(values) -> str:
    import base64
    import struct
    return base64.b64encode(struct.pack(f"<{len(values)}d", *values)).decode()


def test_binary_float_columns_match_json(client, proj):
    client.create_run(proj, "r")
    vals = [math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 0.1, 1 / 3]
    ts = [1.7e9 + i * 0.25 for i in range(len(vals))]
    client.log(proj, "r", {"series": [
        {"path": "bin", "steps": list(range(len(vals))), "values_b64": b64_f64(vals),
         "timestamps_b64": b64_f64(ts)},
        {"path": "json", "steps": list(range(len(vals))),
         "values": ["NaN", "Infinity", "-Infinity"] + vals[3:], "timestamps": ts}]})
    a, b = client.read_all(proj, "r", "bin"), client.read_all(proj, "r", "json")
    assert a["steps"] == b["steps"] == list(range(len(vals)))
    assert a["values"] == b["values"]
    assert a["timestamps"] == b["timestamps"]
    for g, e in zip([fval(v) for v in a["values"]], vals):
        assert same_float(g, e)
    assert client.attributes(proj, "r")["bin"]["count"] == len(vals)


@pytest.mark.parametrize("series,why", [
    ({"values_b64": "AAAAAAAA8D8="}, "expected 8 per step"),            # 1 value for 2 steps
    ({"values_b64": "AAAAAAAA8D8*AAAAAAAA8D8="}, "not valid base64"),
    ({"values_b64": 5}, "expected a base64 string"),
    ({"values_b64": "", "values": [1.0, 2.0]}, "expected 8 per step"),
    ({"values": [1.0, 2.0], "values_b64": b64_f64([1.0, 2.0])}, "not both"),
    ({"values_b64": b64_f64([1.0, 2.0]), "type": "string"}, "only float series"),
    ({"values_b64": b64_f64([1.0, 2.0]), "timestamps_b64": b64_f64([1.0])}, "expected 8 per step"),
    # Ranges are the model's: it names the point, whatever column it came in.
    ({"values_b64": b64_f64([1.0, 2.0]), "timestamps_b64": b64_f64([1.0, -5.0])}, "series[1].timestamps[1]"),
    ({"values_b64": b64_f64([1.0, 2.0]), "timestamps_b64": b64_f64([1.0, math.nan])}, "timestamps_b64[1]"),
    ({"values": [1.0, 2.0], "timestamps": [1.0, 2.0], "timestamps_b64": b64_f64([1.0, 2.0])}, "not both"),
], ids=lambda x: str(x)[:50])
def test_binary_columns_rejected_precisely(client, proj, series, why):
    client.create_run(proj, "r")
    body = {"configs": {"marker": 1},
            "series": [{"path": "ok", "steps": [0], "values": [1.0]}, dict({"path": "m", "steps": [0, 1]}, **series)]}
    r = client.log(proj, "r", body, expect=None)
    assert_error(r, 400, "invalid_argument")
    assert why in r.json["error"]["message"], r.json
    assert "series[1]" in r.json["error"]["message"]
    a = client.attributes(proj, "r")
    assert "marker" not in a and "ok" not in a and "m" not in a


def test_empty_batch_ok(client, proj):
    client.create_run(proj, "r")
    r = client.log(proj, "r", {})
    assert r.json == {"points": 0, "configs": 0}


def test_unsupported_media_type_415(client, proj):
    client.create_run(proj, "r")
    r = client.post(f"/projects/{proj}/runs/r/log", raw=dumps({"configs": {"a": 1}}),
                    headers={"Content-Type": "text/xml"})
    assert_error(r, 415, "unsupported_media_type")
    assert "a" not in client.attributes(proj, "r")
    # application/json with a charset parameter is still JSON
    r = client.post(f"/projects/{proj}/runs/r/log", raw=dumps({"configs": {"b": 1}}),
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status == 200, r


# ---------------------------------------------------------------- limits

def test_string_value_limit(client, proj):
    client.create_run(proj, "r")
    ok = "x" * (1 << 20)
    client.log(proj, "r", {"configs": {"s": ok},
                           "series": [{"path": "ss", "type": "string", "steps": [0], "values": [ok]}]})
    assert client.attributes(proj, "r")["s"]["value"] == ok
    big = "y" * ((1 << 20) + 1)
    for b in ({"configs": {"marker": 1, "s2": big}},
              {"configs": {"marker": 1}, "series": [{"path": "ss", "type": "string", "steps": [1],
                                                     "values": [big]}]}):
        r = client.log(proj, "r", b, expect=None)
        # The doc lists the limit; the status code for "value over a limit" is read as 413.
        assert_error(r, 413, "payload_too_large")
    assert "marker" not in client.attributes(proj, "r")


def test_series_per_request_limit(client, proj):
    client.create_run(proj, "r")
    series = [{"path": f"s{i}", "steps": [0], "values": [1.0]} for i in range(10_000)]
    r = client.log(proj, "r", {"series": series})
    assert r.json["points"] == 10_000
    series.append({"path": "s_over", "steps": [0], "values": [1.0]})
    r = client.log(proj, "r", {"series": series}, expect=None)
    err = assert_error(r, 413, "payload_too_large")
    assert "10000" in err["message"].replace(",", "").replace("_", "").replace(" ", ""), err
    assert "s_over" not in client.attributes(proj, "r", pattern="^s_over$")


@pytest.mark.slow
def test_points_per_request_limit(client, proj):
    client.create_run(proj, "r")
    n = 1_000_000
    steps = list(range(n + 1))
    raw = (b'{"series":[{"path":"m","steps":' + dumps(steps) +
           b',"values":' + dumps([0] * (n + 1)) + b'}]}')
    r = client.post(f"/projects/{proj}/runs/r/log", raw=raw)
    err = assert_error(r, 413, "payload_too_large")
    assert "1000000" in err["message"].replace(",", "").replace("_", "").replace(" ", ""), err
    assert "m" not in client.attributes(proj, "r")


def test_body_size_limit_413(make_server):
    srv = make_server(["--max-body-mb", "1"], name="small")
    c = srv.client
    c.create_run("e2e/limit", "r")
    # Just under the limit: accepted.
    n = 60_000
    small = dumps({"series": [{"path": "m", "steps": list(range(n)), "values": [0.5] * n}]})
    assert len(small) < (1 << 20)
    r = c.post("/projects/e2e/limit/runs/r/log", raw=small)
    assert r.status == 200, r
    # Over it: 413 with the limit named.
    n = 120_000
    big = dumps({"series": [{"path": "big", "steps": list(range(n)), "values": [0.5] * n}]})
    assert len(big) > (1 << 20)
    r = c.post("/projects/e2e/limit/runs/r/log", raw=big)
    err = assert_error(r, 413, "payload_too_large")
    msg = err["message"]
    assert any(s in msg for s in ("1 MiB", "1 MB", "1MiB", "1MB", "1048576", "1,048,576")), msg
    assert "big" not in c.attributes("e2e/limit", "r")
    assert c.health().status == 200
    # A huge declared Content-Length is refused without reading it.
    from sextant_e2e import raw_exchange, raw_status
    resp = raw_exchange(srv.port, b"POST /api/v1/projects/e2e/limit/runs/r/log HTTP/1.1\r\n"
                        b"Host: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
                        b"Content-Length: 100000000000\r\n\r\n{", timeout=10, shutdown_write=False)
    assert raw_status(resp) == 413, resp[:300]
    # Uploads are governed by --max-file-gb, not the JSON body limit.
    data = b"z" * (3 << 20)
    r = c.put("/projects/e2e/limit/runs/r/files/big.bin", data)
    assert r.status == 200, r


def test_admin_compact_keeps_data_and_makes_counts_exact(client, proj):
    client.create_run(proj, "r")
    for k in range(5):  # overlapping batches: five level-0 chunks over the same steps
        client.log(proj, "r", {"series": [{"path": "m", "steps": list(range(k * 10, k * 10 + 100)),
                                           "values": [float(k)] * 100}]})
    want = {s: float(min(s // 10, 4)) for s in range(140)}
    before = client.read_all(proj, "r", "m")
    assert before["steps"] == sorted(want) and before["values"] == [want[s] for s in sorted(want)]
    r = client.post("/admin/compact")
    assert r.status == 200, r
    assert r.json == {"status": "ok"}
    after = client.read_all(proj, "r", "m")
    assert after == before
    a = client.attributes(proj, "r")["m"]
    assert a["count"] == 140 and a["last_step"] == 139 and a["last_value"] == 4.0
    b = client.series(proj, {"runs": ["r"], "path": "m", "step_range": [-0.5, 139.5], "buckets": 14,
                             "exact_buckets": True}).json
    assert b["series"][0]["buckets"]["count"] == [10] * 14
    # By default edges snap to stored 128-point blocks, but only where a block
    # is narrower than a bucket: 10-point buckets are cut exactly.
    b = client.series(proj, {"runs": ["r"], "path": "m", "step_range": [-0.5, 139.5], "buckets": 14}).json
    assert b["series"][0]["buckets"]["count"] == [10] * 14
