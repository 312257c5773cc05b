"""The runs table (POST …/runs/query and GET …/runs) and attribute listing.

Filter syntax as in docs/query.md / src/query: comparisons, and/or/not,
`~` regex, `contains` / `in`, `exists(path)`; paths are attribute paths."""
from __future__ import annotations

import re
import urllib.parse

import pytest

from sextant_e2e import assert_error, q

PROJ = "e2e/runs_table"
N = 12


def spec(i: int) -> dict:
    d = {
        "run_id": f"r{i:02d}",
        "name": f"sweep-{i}" if i % 3 else f"other-{i}",
        "experiment": "expA" if i < 6 else "expB",
        "lr": (i + 1) * 1e-4 if i != 11 else None,
        "batch": 32 * (i % 4 + 1),
        "opt": "adam" if i % 2 == 0 else "sgd",
        "loss": (3.0 - i * 0.2 + (0.05 if i % 2 else 0.0)) if i < 10 else None,
        "tags": (["baseline"] if i % 4 == 0 else []) + (["gpu"] if i < 6 else []),
        "state": {3: "finished", 5: "failed"}.get(i, "running"),
        "metric": i,
        "day": i % 5 + 1,
    }
    return d


SPECS = [spec(i) for i in range(N)]


@pytest.fixture(scope="module")
def table(server):
    c = server.client
    for s in SPECS:
        c.create_run(PROJ, s["run_id"], name=s["name"], experiment_name=s["experiment"])
        batch = {"configs": {"batch": s["batch"], "opt": s["opt"], "my metric (%)": s["metric"],
                             "started": {"type": "datetime", "value": f"2026-01-{s['day']:02d}T00:00:00Z"}},
                 "add_tags": s["tags"]}
        if s["lr"] is not None:
            batch["configs"]["lr"] = s["lr"]
        if s["loss"] is not None:
            # Out of step order: the last value is the value at the greatest step.
            batch["series"] = [{"path": "train/loss", "steps": [2, 0, 1], "values": [s["loss"], 9.0, 8.0]}]
        if s["state"] != "running":
            batch["state"] = s["state"]
        c.log(PROJ, s["run_id"], batch)
    return c


def query(c, body: dict | None = None) -> dict:
    r = c.post(f"/projects/{PROJ}/runs/query", body if body is not None else {})
    assert r.status == 200, (body, r)
    j = r.json
    assert isinstance(j["total"], int)
    return j


def ids(j: dict) -> list[str]:
    return [r["run_id"] for r in j["runs"]]


def expect_ids(pred) -> set[str]:
    return {s["run_id"] for s in SPECS if pred(s)}


FILTERS = [
    ("lr < 5e-4", lambda s: s["lr"] is not None and s["lr"] < 5e-4),
    ('lr < 5e-4 and sys/tags contains "baseline"',
     lambda s: s["lr"] is not None and s["lr"] < 5e-4 and "baseline" in s["tags"]),
    ('opt = "adam" or batch >= 96', lambda s: s["opt"] == "adam" or s["batch"] >= 96),
    ('not opt = "adam"', lambda s: s["opt"] != "adam"),
    ('not (opt = "adam" or batch = 32)', lambda s: not (s["opt"] == "adam" or s["batch"] == 32)),
    ('batch = 64 and (lr > 3e-4 or sys/tags contains "gpu")',
     lambda s: s["batch"] == 64 and ((s["lr"] or 0) > 3e-4 or "gpu" in s["tags"])),
    ('sys/name ~ "^sweep-1"', lambda s: s["name"].startswith("sweep-1")),
    ('sys/name !~ "sweep"', lambda s: "sweep" not in s["name"]),
    ('sys/name ~ "(?i)OTHER-\\\\d$"', lambda s: re.search(r"(?i)OTHER-\d$", s["name"]) is not None),
    ('"gpu" in sys/tags', lambda s: "gpu" in s["tags"]),
    ('sys/tags contains "baseline" and sys/tags contains "gpu"',
     lambda s: "baseline" in s["tags"] and "gpu" in s["tags"]),
    ("exists(train/loss)", lambda s: s["loss"] is not None),
    ("not exists(lr)", lambda s: s["lr"] is None),
    ("train/loss < 2.5", lambda s: s["loss"] is not None and s["loss"] < 2.5),
    ("train/loss >= 9", lambda s: False),  # earlier-step values are not the last value
    ('sys/state = "finished"', lambda s: s["state"] == "finished"),
    ('sys/state != "running"', lambda s: s["state"] != "running"),
    ('sys/id = "r07"', lambda s: s["run_id"] == "r07"),
    ('sys/experiment = "expB" and opt = "sgd"', lambda s: s["experiment"] == "expB" and s["opt"] == "sgd"),
    ("batch = 64.0", lambda s: s["batch"] == 64),
    ('sys/state = "failed" || (batch > 64 && !(opt = "sgd"))',
     lambda s: s["state"] == "failed" or (s["batch"] > 64 and s["opt"] != "sgd")),
    ('OPT = "adam" AND NOT batch = 32', lambda s: False),  # paths are case-sensitive: OPT does not exist
    ('opt = "adam" AND NOT batch = 32', lambda s: s["opt"] == "adam" and s["batch"] != 32),
    ("`my metric (%)` >= 10", lambda s: s["metric"] >= 10),
    ('started >= datetime("2026-01-03")', lambda s: s["day"] >= 3),
    ('started = datetime("2026-01-02T02:00:00+02:00")', lambda s: s["day"] == 2),
    ('started = "2026-01-01T00:00:00Z"', lambda s: False),  # a string never equals a datetime
    ('opt contains "da"', lambda s: "da" in s["opt"]),
    ("batch != 32", lambda s: s["batch"] != 32),
    ("lr != 1e-4", lambda s: s["lr"] is not None and s["lr"] != 1e-4),
    ("", lambda s: True),
]


@pytest.mark.parametrize("flt,pred", FILTERS, ids=[f for f, _ in FILTERS])
def test_filters(table, flt, pred):
    j = query(table, {"filter": flt, "limit": 100})
    want = expect_ids(pred)
    assert set(ids(j)) == want, flt
    assert j["total"] == len(want)
    assert len(ids(j)) == len(set(ids(j)))


def test_filter_on_created_at(table):
    j = query(table, {"filter": "sys/created_at > datetime(\"2000-01-01\")", "limit": 100})
    assert j["total"] == N


@pytest.mark.parametrize("bad", ["lr <", "(lr < 1", "lr < 1 and", 'sys/name ~ "("', "lr <> 1",
                                 '"unterminated', "exists lr", "lr = null"])
def test_invalid_filter_400(table, bad):
    r = table.post(f"/projects/{PROJ}/runs/query", {"filter": bad})
    err = assert_error(r, 400, "invalid_argument")
    assert "column" in err["message"] or len(err["message"]) > 5, err


def test_run_objects_in_table(table):
    j = query(table, {"filter": 'sys/id = "r05"'})
    run = j["runs"][0]
    for k in ("project", "run_id", "name", "experiment_name", "state", "created_at", "updated_at",
              "fork_run_id", "fork_step", "attributes"):
        assert k in run, k
    assert run["project"] == PROJ and run["name"] == "sweep-5" and run["experiment_name"] == "expA"
    assert run["state"] == "failed"
    a = run["attributes"]
    s = SPECS[5]
    assert a["lr"] == s["lr"] and a["batch"] == s["batch"] and a["opt"] == s["opt"]
    assert a["train/loss"] == s["loss"]  # a float series gives its last value


def sort_key_order(field: str, desc: bool) -> list[str]:
    have = [s for s in SPECS if s[field] is not None]
    have.sort(key=lambda s: s[field], reverse=desc)
    return [s["run_id"] for s in have]


@pytest.mark.parametrize("path,field", [("lr", "lr"), ("train/loss", "loss")])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_missing_last(table, path, field, order):
    j = query(table, {"sort": [{"path": path, "order": order}], "limit": 100})
    got = ids(j)
    want = sort_key_order(field, order == "desc")
    assert got[:len(want)] == want
    missing = {s["run_id"] for s in SPECS if s[field] is None}
    assert set(got[len(want):]) == missing, "runs without the sort attribute must sort last"


def test_sort_default_order_is_asc_and_multi_key(table):
    j = query(table, {"sort": [{"path": "lr"}], "limit": 100})
    assert ids(j)[:len(sort_key_order("lr", False))] == sort_key_order("lr", False)
    j = query(table, {"sort": [{"path": "batch", "order": "desc"}, {"path": "lr", "order": "asc"}],
                      "limit": 100})
    want = sorted(SPECS, key=lambda s: (-s["batch"], s["lr"] is None, s["lr"] or 0))
    assert ids(j) == [s["run_id"] for s in want]
    j = query(table, {"sort": [{"path": "sys/name", "order": "asc"}], "limit": 100})
    assert ids(j) == [s["run_id"] for s in sorted(SPECS, key=lambda s: s["name"].encode())]
    j = query(table, {"sort": [{"path": "sys/id", "order": "desc"}], "limit": 100})
    assert ids(j) == [s["run_id"] for s in reversed(SPECS)]


def test_pagination(table):
    base = {"sort": [{"path": "sys/id", "order": "asc"}]}
    pages = []
    for off in (0, 5, 10, 15):
        j = query(table, {**base, "limit": 5, "offset": off})
        assert j["total"] == N
        pages.append(ids(j))
    assert [len(p) for p in pages] == [5, 5, 2, 0]
    assert sum(pages, []) == [s["run_id"] for s in SPECS]
    # filter + paging: total counts all matches
    j = query(table, {"filter": 'opt = "adam"', "sort": [{"path": "lr", "order": "desc"}], "limit": 2, "offset": 1})
    assert j["total"] == 6
    assert ids(j) == ["r08", "r06"]
    j = query(table, {"limit": 0})
    assert j["total"] == N and j["runs"] == []


def test_columns(table):
    j = query(table, {"columns": ["lr", "train/loss"], "sort": [{"path": "sys/id"}], "limit": 100})
    assert ids(j) == [s["run_id"] for s in SPECS]
    for run, s in zip(j["runs"], SPECS):
        a = run["attributes"]
        assert set(a) <= {"lr", "train/loss"}, a
        if s["lr"] is not None:
            assert a["lr"] == s["lr"]
        else:
            assert a.get("lr") is None
        if s["loss"] is not None:
            assert a["train/loss"] == s["loss"]
        else:
            assert a.get("train/loss") is None
    # without columns: every attribute
    j = query(table, {"filter": 'sys/id = "r00"'})
    a = j["runs"][0]["attributes"]
    assert {"lr", "batch", "opt", "train/loss"} <= set(a), a


def test_get_form_matches_post(table):
    flt = 'opt = "adam" or sys/tags contains "gpu"'
    post = query(table, {"filter": flt, "sort": [{"path": "train/loss", "order": "desc"}], "limit": 4,
                         "offset": 1, "columns": ["lr", "train/loss"]})
    qs = urllib.parse.urlencode({"filter": flt, "sort": "-train/loss", "limit": 4, "offset": 1,
                                 "columns": "lr,train/loss"})
    r = table.get(f"/projects/{PROJ}/runs?{qs}")
    assert r.status == 200, r
    assert r.json["total"] == post["total"]
    assert ids(r.json) == ids(post)
    assert [x["attributes"] for x in r.json["runs"]] == [x["attributes"] for x in post["runs"]]
    # ascending without '-'
    qs = urllib.parse.urlencode({"sort": "lr", "limit": 100})
    r = table.get(f"/projects/{PROJ}/runs?{qs}")
    assert ids(r.json)[:11] == sort_key_order("lr", False)
    # plain GET lists all runs
    r = table.get(f"/projects/{PROJ}/runs")
    assert r.status == 200 and r.json["total"] == N
    r = table.get(f"/projects/{PROJ}/runs?filter=" + q("lr <", safe=""))
    assert_error(r, 400, "invalid_argument")
    r = table.get(f"/projects/{PROJ}/runs?limit=abc")
    assert_error(r, 400, "invalid_argument")


def test_bad_query_bodies(table):
    for body in ({"filter": 5}, {"sort": 5}, {"sort": [{"path": "lr", "order": "up"}]},
                 {"limit": -1}, {"offset": "x"}, {"columns": "lr"}, []):
        r = table.post(f"/projects/{PROJ}/runs/query", body)
        assert_error(r, 400, "invalid_argument")


def test_unknown_project_query(client):
    r = client.post("/projects/e2e/never-made-table/runs/query", {})
    # Reading: an unknown project is 404; an empty table would also be defensible.
    if r.status == 200:
        assert r.json["total"] == 0 and r.json["runs"] == []
    else:
        assert_error(r, 404, "not_found")


def test_table_sees_new_writes(client, proj):
    client.create_run(proj, "a")
    client.log(proj, "a", {"series": [{"path": "acc", "steps": [0], "values": [0.5]}]})
    r = client.post(f"/projects/{proj}/runs/query", {"filter": "acc > 0.7"})
    assert r.json["total"] == 0
    client.log(proj, "a", {"series": [{"path": "acc", "steps": [1], "values": [0.9]}]})
    r = client.post(f"/projects/{proj}/runs/query", {"filter": "acc > 0.7"})
    assert r.json["total"] == 1
    # overwriting the last step changes the last value
    client.log(proj, "a", {"series": [{"path": "acc", "steps": [1], "values": [0.1]}]})
    r = client.post(f"/projects/{proj}/runs/query", {"filter": "acc > 0.7"})
    assert r.json["total"] == 0
    # writing an earlier step does not
    client.log(proj, "a", {"series": [{"path": "acc", "steps": [0.5], "values": [0.99]}]})
    r = client.post(f"/projects/{proj}/runs/query", {"columns": ["acc"]})
    assert r.json["runs"][0]["attributes"]["acc"] == 0.1


# ---------------------------------------------------------------- attributes listing

def test_attributes_listing_with_pattern(table):
    c = table
    all_ = c.attributes(PROJ, "r00")
    assert {"lr", "batch", "opt", "train/loss", "sys/tags"} <= set(all_)
    assert all_["train/loss"]["last_step"] == 2 and all_["train/loss"]["count"] == 3
    assert all_["train/loss"]["last_value"] == SPECS[0]["loss"]
    assert set(c.attributes(PROJ, "r00", pattern="^train/")) == {"train/loss"}
    want = {p for p in all_ if "a" in p}
    assert set(c.attributes(PROJ, "r00", pattern="a")) == want  # matched anywhere
    assert set(c.attributes(PROJ, "r00", pattern="^(lr|opt)$")) == {"lr", "opt"}
    assert c.attributes(PROJ, "r00", pattern="zzz") == {}
    assert set(c.attributes(PROJ, "r00", pattern="")) == set(all_)
    r = c.get(f"/projects/{PROJ}/runs/r00/attributes?pattern=" + q("(", safe=""))
    assert_error(r, 400, "invalid_argument")


def test_series_aggregates_as_columns_filters_and_sorts(client, proj):
    # min/max/mean/first/last/last_step of a float series, over HTTP.
    runs = {"a": [3.0, 1.0, 2.0], "b": [0.5, 4.0, float("nan")], "c": [9.0, 8.0, 7.5]}
    for rid, values in runs.items():
        client.create_run(proj, rid)
        client.log(proj, rid, {"series": [{"path": "val/loss", "steps": [0, 1, 2],
                                           "values": ["NaN" if v != v else v for v in values]}]})
    client.create_run(proj, "none")
    cols = "min(val/loss),max(val/loss),mean(val/loss),first(val/loss),last(val/loss),last_step(val/loss)"
    r = client.get(f"/projects/{proj}/runs?columns={cols}&sort=min(val/loss)")
    assert r.status == 200, r
    got = {x["run_id"]: x["attributes"] for x in r.json["runs"]}
    assert [x["run_id"] for x in r.json["runs"]] == ["b", "a", "c", "none"]
    assert got["a"] == {"min(val/loss)": 1.0, "max(val/loss)": 3.0, "mean(val/loss)": 2.0,
                        "first(val/loss)": 3.0, "last(val/loss)": 2.0, "last_step(val/loss)": 2.0}
    assert got["b"]["max(val/loss)"] == 4.0 and got["b"]["mean(val/loss)"] == 2.25
    assert got["b"]["last(val/loss)"] == "NaN"
    assert got["none"] == {}
    r = client.post(f"/projects/{proj}/runs/query", {"filter": "min(val/loss) < 1 or max(val/loss) >= 9",
                                                      "sort": [{"path": "max(val/loss)", "order": "desc"}]})
    assert [x["run_id"] for x in r.json["runs"]] == ["c", "b"], r
    r = client.get(f"/projects/{proj}/runs?filter=median(val/loss)%20%3C%201")
    assert r.status == 400, r


def test_unknown_paths_are_named_with_a_suggestion(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"configs": {"lr": 0.001}, "series": [{"path": "train/loss", "steps": [0], "values": [1.0]}]})
    r = client.get(f"/projects/{proj}/runs?filter=config/lr%20%3C%201&sort=-train/los")
    assert r.status == 200 and r.json["total"] == 0, r
    assert r.json["unknown_paths"] == [{"path": "config/lr", "did_you_mean": "lr"},
                                       {"path": "train/los", "did_you_mean": "train/loss"}]
    assert client.get(f"/projects/{proj}/runs?filter=lr%20%3C%201").json["unknown_paths"] == []
