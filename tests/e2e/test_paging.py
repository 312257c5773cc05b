"""Paged lists (docs/api/native.md, "Paging"): projects, a run's attributes,
a project's attribute paths and saved views.

Each list is paged with several limits and must give every item exactly
once, in the list's order; an item inserted between two pages must not make
an existing item repeat or go missing; bad `limit`s and `page_token`s are
400s. Also the write limits that moved into the core: steps with more than
six fractional digits and string sets of more than 10,000 items.
"""
from __future__ import annotations

import base64

import pytest

from sextant_e2e import Client, assert_error, q

LIMITS = (1, 7, 1000)
BAD_LIMITS = ("0", "10001", "-1", "abc", "", "1.5")


def collect(c: Client, path: str, key: str, limit: int | None, **params: str) -> list:
    """Every item of the list, checking the pages' sizes on the way."""
    pages = c.pages(path, key, limit=limit, **params)
    size = 1000 if limit is None else limit
    for page in pages:
        assert len(page) <= size
    if "pattern" not in params:  # only a pattern may leave a page short
        for page in pages[:-1]:
            assert len(page) == size, [len(p) for p in pages]
    return [item for page in pages for item in page]


def first_page(c: Client, path: str, key: str, limit: int) -> tuple[list, str | None]:
    r = c.get(f"{path}?limit={limit}")
    assert r.status == 200, r
    return r.json[key], r.json["next_page_token"]


def rest(c: Client, path: str, key: str, limit: int, token: str) -> list:
    out = []
    while token is not None:
        r = c.get(f"{path}?limit={limit}&page_token={q(token, safe='')}")
        assert r.status == 200, r
        out += r.json[key]
        token = r.json["next_page_token"]
    return out


def check_paging(c: Client, path: str, key: str, name, order_key) -> list:
    """Pages `path` with every limit; returns the names of the items."""
    whole = c.get(f"{path}?limit=10000")
    assert whole.status == 200, whole
    assert whole.json["next_page_token"] is None
    names = [name(x) for x in whole.json[key]]
    assert names == sorted(names, key=order_key), "the list is not in key order"
    assert len(set(names)) == len(names)
    for limit in (*LIMITS, None):
        got = collect(c, path, key, limit)
        assert [name(x) for x in got] == names, f"limit={limit}"
        assert got == whole.json[key], f"limit={limit}: items differ from the unpaged list"
    return names


def check_bad_params(c: Client, path: str, foreign_token: str) -> None:
    for bad in BAD_LIMITS:
        err = assert_error(c.get(f"{path}?limit={q(bad, safe='')}"), 400, "invalid_argument")
        assert "limit" in err["message"], err
    for bad in ("garbage!", "AAAA", "~", "x" * 3000, foreign_token):
        err = assert_error(c.get(f"{path}?page_token={q(bad, safe='')}"), 400, "invalid_argument")
        assert "page_token" in err["message"], err


def utf8(s: str) -> bytes:
    return s.encode("utf-8")


# Paths whose byte order differs from a naive order: case, '-' < '/' < 'a',
# and a non-ASCII path last.
TRICKY = ["B", "a", "a-b", "a/b", "a0", "é", "z/z"]


@pytest.fixture
def seeded(client, proj):
    """A project with two runs and a few views."""
    client.create_run(proj, "r1")
    client.create_run(proj, "r2")
    cfg = {f"cfg/{i:02d}": i for i in range(30)}
    cfg.update({p: p for p in TRICKY})
    client.log(proj, "r1", {"configs": cfg, "series": [{"path": "train/loss", "steps": [0, 1], "values": [2.0, 1.0]}]})
    client.log(proj, "r2", {"configs": {"only/r2": 1, "cfg/05": 5}})
    for i in range(12):
        r = client.request("PUT", f"/projects/{proj}/views/view-{i:02d}", body=b'{"state": {"i": 1}}',
                           headers={"Content-Type": "application/json"})
        assert r.status == 200, r
    return proj


def test_run_attributes_pages(client, seeded):
    path = f"/projects/{seeded}/runs/r1/attributes"
    names = check_paging(client, path, "attributes", lambda a: a["path"], utf8)
    assert set(TRICKY) | {"train/loss"} <= set(names)
    assert set(client.attributes(seeded, "r1")) == set(names)
    # With a pattern: the same items as filtering the whole list; pages may be
    # short, only a null token ends it.
    for limit in LIMITS:
        got = collect(client, path, "attributes", limit, pattern="^cfg/")
        assert [a["path"] for a in got] == [n for n in names if n.startswith("cfg/")]
        assert collect(client, path, "attributes", limit, pattern="nothing-matches") == []
    check_bad_params(client, path, foreign_token=first_page(client, f"/projects/{seeded}/views", "views", 1)[1])


def test_project_attributes_pages(client, seeded):
    path = f"/projects/{seeded}/attributes"
    names = check_paging(client, path, "attributes", lambda a: a["path"], utf8)
    assert {"only/r2", "train/loss", *TRICKY} <= set(names)
    got = {a["path"]: a for a in collect(client, path, "attributes", 7)}
    assert got["cfg/05"]["runs"] == 2 and got["only/r2"]["runs"] == 1
    check_bad_params(client, path, foreign_token=first_page(
        client, f"/projects/{seeded}/runs/r1/attributes", "attributes", 1)[1])


def test_views_pages(client, seeded):
    path = f"/projects/{seeded}/views"
    names = check_paging(client, path, "views", lambda v: v["name"], utf8)
    assert names == [f"view-{i:02d}" for i in range(12)]
    check_bad_params(client, path, foreign_token=first_page(
        client, f"/projects/{seeded}/attributes", "attributes", 1)[1])


def test_projects_pages(make_server):
    c = make_server(name="projects").client
    made = [f"{ws}/{p}" for ws in ("a", "a-b", "B", "z") for p in ("x", "X", "y-1", "y.2")]
    for name in made:
        c.create_run(name, "r")
    names = check_paging(c, "/projects", "projects", lambda p: p["project"],
                         lambda n: (utf8(n.split("/")[0]), utf8(n.split("/")[1])))
    assert sorted(names) == sorted(made)
    got = collect(c, "/projects", "projects", 7)
    assert all(p["project"] == f"{p['workspace']}/{p['name']}" and p["runs"] == 1 for p in got)
    check_bad_params(c, "/projects", foreign_token=base64.urlsafe_b64encode(b"va").decode().rstrip("="))


# --------------------------------------------------------------------------
# Inserts between pages


def test_inserts_between_pages_neither_repeat_nor_skip(client, proj, make_server):
    """Keyset paging: after a page, an item inserted before the cursor is not
    seen, one inserted after it is, and every item that was there is seen
    exactly once."""
    client.create_run(proj, "r")
    client.log(proj, "r", {"configs": {f"k{i:02d}": i for i in range(20)}})
    for i in range(20):
        r = client.request("PUT", f"/projects/{proj}/views/k{i:02d}", body=b'{"state": {}}',
                           headers={"Content-Type": "application/json"})
        assert r.status == 200, r

    def add_attr(name):
        client.log(proj, "r", {"configs": {name: 1}})

    def add_view(name):
        r = client.request("PUT", f"/projects/{proj}/views/{name}", body=b'{"state": {}}',
                           headers={"Content-Type": "application/json"})
        assert r.status == 200, r

    srv = make_server(name="inserts")
    pc = srv.client
    for i in range(20):
        pc.create_run(f"w/k{i:02d}", "r")

    lists = [
        (client, f"/projects/{proj}/runs/r/attributes", "attributes", lambda a: a["path"], add_attr),
        (client, f"/projects/{proj}/attributes", "attributes", lambda a: a["path"], add_attr),
        (client, f"/projects/{proj}/views", "views", lambda v: v["name"], add_view),
        (pc, "/projects", "projects", lambda p: p["project"], lambda n: pc.create_run(f"w/{n}", "r")),
    ]
    for j, (c, path, key, name, insert) in enumerate(lists):
        before = [name(x) for x in collect(c, path, key, None)]
        page, token = first_page(c, path, key, 6)
        seen = [name(x) for x in page]
        assert token is not None
        # One new item sorts before the cursor, one after it, one between two
        # items of the next page.
        insert(f"a-early{j}")
        insert(f"k07x{j}")
        insert(f"zz-late{j}")
        seen += [name(x) for x in rest(c, path, key, 6, token)]
        assert len(seen) == len(set(seen)), f"{path}: an item came twice: {seen}"
        old = [n for n in seen if n in before]
        assert old == before, f"{path}: existing items skipped or out of order"
        new = [n.rsplit("/", 1)[-1] for n in seen if n not in before]
        assert new == [f"k07x{j}", f"zz-late{j}"], f"{path}: new items seen: {new}"


# --------------------------------------------------------------------------
# A large run


def test_twenty_thousand_attributes_default_page(client, proj):
    client.create_run(proj, "big")
    client.log(proj, "big", {"configs": {f"p/{i:05d}": i for i in range(20_000)}})
    path = f"/projects/{proj}/runs/big/attributes"
    r = client.get(path)
    assert r.status == 200, r
    assert len(r.json["attributes"]) == 1000
    assert isinstance(r.json["next_page_token"], str) and r.json["next_page_token"]
    assert [a["path"] for a in r.json["attributes"]] == [f"p/{i:05d}" for i in range(1000)]
    r = client.get(path + "?limit=10000")
    assert len(r.json["attributes"]) == 10_000 and r.json["next_page_token"]
    everything = collect(client, path, "attributes", 10_000)
    assert [a["path"] for a in everything] == [f"p/{i:05d}" for i in range(20_000)]
    assert len(client.attributes(proj, "big")) == 20_000
    # A sparse pattern: pages may be short or empty, the token still leads on.
    got = collect(client, path, "attributes", 3, pattern="^p/1999[0-9]$")
    assert [a["path"] for a in got] == [f"p/{i}" for i in range(19_990, 20_000)]


# --------------------------------------------------------------------------
# Write limits that moved into the core


def test_step_with_seven_fractional_digits_is_refused(client, proj):
    client.create_run(proj, "r")
    for raw in (b"1e-7", b"0.1234567", b"0.30000000000000004"):
        body = b'{"series": [{"path": "m", "steps": [' + raw + b'], "values": [1.0]}]}'
        r = client.post(f"/projects/{proj}/runs/r/log", raw=body)
        err = assert_error(r, 400, "invalid_argument")
        assert err["message"].startswith("series[0].steps[0]"), err
        assert "fractional digits" in err["message"], err
    r = client.post(f"/projects/{proj}/runs/r/log",
                    raw=b'{"series": [{"path": "m", "steps": ["0.0000001"], "values": [1.0]}]}')
    assert_error(r, 400, "invalid_argument")
    # Nothing of the refused batches was stored; six digits are fine.
    assert "m" not in client.attributes(proj, "r")
    client.log(proj, "r", {"series": [{"path": "m", "steps": [1e-6, 0.3, "0.000002"], "values": [1.0, 2.0, 3.0]}]})
    assert client.read_all(proj, "r", "m")["steps"] == [0.000001, 0.000002, 0.3]


def test_string_set_of_more_than_ten_thousand_items_is_refused(client, proj):
    client.create_run(proj, "r")
    ok = {"type": "string_set", "value": [f"s{i}" for i in range(10_000)]}
    client.log(proj, "r", {"configs": {"ok": ok}})
    big = {"type": "string_set", "value": [f"s{i}" for i in range(10_001)]}
    r = client.post(f"/projects/{proj}/runs/r/log", {"configs": {"big": big}})
    err = assert_error(r, 413, "payload_too_large")  # a count limit, like points per request
    assert "big" in err["message"] and "10000" in err["message"].replace(",", ""), err
    attrs = client.attributes(proj, "r")
    assert "big" not in attrs and len(attrs["ok"]["value"]) == 10_000
