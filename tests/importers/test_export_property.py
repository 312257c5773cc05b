"""Property: for any project (every attribute type, NaN/±Inf/-0.0 and
subnormal floats, fractional and negative steps, unicode, files and file
series, run states, chains of forks), export → import into an empty server
→ export gives the same bytes in every data file.

Timestamps are drawn up to 4e9 s (year 2096): the API carries them as
float64 Unix seconds, exact to the microsecond only below about 2^52 µs."""
from __future__ import annotations

import datetime as dt
import filecmp
import os
import hashlib
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sxt import Server

from conftest import TOKEN

MAX_TS_US = 4_000_000_000 * 1_000_000

segment = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"),
                                         exclude_characters="/"), min_size=1, max_size=8)
paths = st.lists(segment, min_size=1, max_size=3).map("/".join).filter(
    lambda p: not p.startswith("sys/") and len(p.encode()) <= 1024 and p.strip() == p)
micro_steps = st.integers(min_value=-10**12, max_value=10**15)  # |step| < 1e9, six digits
ts_us = st.integers(min_value=0, max_value=MAX_TS_US)
floats = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


def step_text(m: int) -> str:
    d = Decimal(m) / Decimal(1_000_000)
    s = format(d, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def seconds(us: int) -> str:
    return format(Decimal(us) / Decimal(1_000_000), "f")


def num(x: float):
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    return x


config_values = st.one_of(
    floats.map(lambda x: {"type": "float", "value": num(x)}),
    st.integers(min_value=-2**63, max_value=2**63 - 1).map(lambda i: {"type": "int", "value": i}),
    st.booleans(),
    texts,
    ts_us.map(lambda us: {"type": "datetime", "value": dt.datetime.fromtimestamp(us // 10**6, dt.timezone.utc)
                          .replace(microsecond=us % 10**6).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}),
    st.lists(texts, max_size=4).map(lambda xs: {"type": "string_set", "value": xs}),
)


@st.composite
def series(draw, kind):
    steps = draw(st.lists(micro_steps, min_size=1, max_size=30, unique=True))
    stamps = draw(st.lists(ts_us, min_size=len(steps), max_size=len(steps)))
    if kind == "float":
        vals = [num(draw(floats)) for _ in steps]
    elif kind == "string":
        vals = [draw(texts) for _ in steps]
    else:
        vals = []
        for _ in steps:
            n = draw(st.integers(1, 4))
            edges = sorted(set(draw(st.lists(st.floats(-1e6, 1e6), min_size=n + 1, max_size=n + 1))))
            if len(edges) < 2:
                edges = [0.0, 1.0]
            counts = draw(st.lists(st.floats(0, 1e9), min_size=len(edges) - 1, max_size=len(edges) - 1))
            vals.append({"edges": edges, "counts": counts})
    return {"kind": kind, "steps": steps, "values": vals, "ts": stamps}


@st.composite
def projects(draw):
    runs = []
    for i in range(draw(st.integers(1, 3))):
        parent = draw(st.sampled_from([None] + [r["id"] for r in runs]))
        fork_micro = draw(micro_steps) if parent else None
        attrs = draw(st.dictionaries(paths, st.one_of(
            config_values.map(lambda v: ("config", v)),
            st.sampled_from(["float", "string", "histogram"]).flatmap(series).map(lambda s: ("series", s)),
            st.binary(max_size=64).map(lambda b: ("file", b)),
            st.lists(st.tuples(micro_steps, st.binary(max_size=16), ts_us), min_size=1, max_size=3,
                     unique_by=lambda t: t[0]).map(lambda f: ("file_series", f)),
        ), max_size=6))
        runs.append({"id": f"r{i}:{draw(st.sampled_from(['a', 'b.c', 'x_y']))}",
                     "name": draw(texts), "experiment": draw(texts), "created": draw(ts_us),
                     "state": draw(st.sampled_from(["running", "finished", "failed"])),
                     "parent": parent, "fork": fork_micro, "attrs": attrs,
                     "tags": draw(st.lists(texts.filter(lambda t: t.strip() != ""), max_size=3))})
    return runs


def call(url, method, path, body=None, data=None, ctype="application/json"):
    import json
    raw = data if data is not None else (None if body is None else json.dumps(body, allow_nan=False).encode())
    req = urllib.request.Request(url + "/api/v1" + path, data=raw, method=method)
    req.add_header("Authorization", f"Bearer {TOKEN}")
    if raw is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{method} {path}: {e.code} {e.read()[:500]!r}") from None


def seed(url: str, project: str, runs) -> None:
    for r in runs:
        body = {"run_id": r["id"], "name": r["name"], "experiment_name": r["experiment"],
                "created_at": float(seconds(r["created"]))}
        if r["parent"]:
            body.update(fork_run_id=r["parent"], fork_step=step_text(r["fork"]))
        call(url, "POST", f"/projects/{project}/runs", body)
        base = f"/projects/{project}/runs/{urllib.parse.quote(r['id'])}"
        configs, series_ = {}, []
        for path, (kind, v) in r["attrs"].items():
            if kind == "config":
                configs[path] = v
            elif kind == "series":
                keep = [i for i, s in enumerate(v["steps"]) if r["fork"] is None or s > r["fork"]]
                if not keep:
                    continue
                s = {"path": path, "type": v["kind"], "steps": [step_text(v["steps"][i]) for i in keep],
                     "values": [v["values"][i] for i in keep],
                     "timestamps": [float(seconds(v["ts"][i])) for i in keep]}
                series_.append(s)
            elif kind == "file":
                call(url, "PUT", f"{base}/files/{urllib.parse.quote(path, safe='/')}?name=f%20%C3%BC.bin",
                     data=v, ctype="application/octet-stream")
            else:
                for m, blob, us in v:
                    call(url, "PUT", f"{base}/files/{urllib.parse.quote(path, safe='/')}?step={step_text(m)}"
                                     f"&timestamp={seconds(us)}&name=s{m}", data=blob,
                         ctype="application/octet-stream")
        batch = {"configs": configs, "series": series_, "add_tags": r["tags"]}
        if r["state"] != "running":
            batch["state"] = r["state"]
        call(url, "POST", f"{base}/log", batch)


def data_files(d: Path):
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file() and p.name != "manifest.json")


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("empty")
    srv = Server(base / "data", base / "log").start()
    yield srv
    srv.stop()


@settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "20")), deadline=None, suppress_health_check=list(HealthCheck))
@given(runs=projects())
def test_export_import_export_same_bytes(runs, tmp_path_factory, server, empty_server, sextant):
    project = f"prop/p{uuid.uuid4().hex[:10]}"
    seed(server.url, project, runs)
    d = tmp_path_factory.mktemp("prop")
    sextant("export", project, str(d / "a"))
    sextant("import", "sextant", str(d / "a"), "--project", project, "--restart",
            env={"SEXTANT_URL": empty_server.url})
    sextant("export", project, str(d / "b"), env={"SEXTANT_URL": empty_server.url})
    names = data_files(d / "a")
    assert names == data_files(d / "b")
    for n in names:
        assert filecmp.cmp(d / "a" / n, d / "b" / n, shallow=False), f"{n} differs for {runs!r}"
