"""Health, projects, run create/resume/fork/get/finish."""
from __future__ import annotations

import re

import pytest

from sextant_e2e import assert_error

RUN_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
RUN_FIELDS = {"project", "run_id", "name", "experiment_name", "state", "created_at",
              "updated_at", "fork_run_id", "fork_step"}


def check_run_object(run: dict, project: str) -> None:
    missing = RUN_FIELDS - set(run)
    assert not missing, f"run object lacks {missing}: {run}"
    assert run["project"] == project
    assert RUN_ID_RE.match(run["run_id"]), run
    assert run["state"] in ("running", "finished", "failed", "stale")
    assert isinstance(run["created_at"], (int, float))
    assert isinstance(run["updated_at"], (int, float))


def test_health(client):
    r = client.get("/health")
    assert r.status == 200
    assert r.json["status"] == "ok"
    assert isinstance(r.json["version"], str) and r.json["version"]


def test_keep_alive_many_requests_on_one_connection(client):
    conn = client.connection()
    try:
        for _ in range(20):
            r = client.get("/health", conn=conn)
            assert r.status == 200 and r.json["status"] == "ok"
    finally:
        conn.close()


def test_create_then_resume_is_idempotent(client, proj):
    r = client.post(f"/projects/{proj}/runs",
                    {"run_id": "r1", "name": "baseline", "experiment_name": "exp",
                     "created_at": 1763812345.0})
    assert r.status == 201, r
    run = r.json
    check_run_object(run, proj)
    assert run["run_id"] == "r1"
    assert run["name"] == "baseline"
    assert run["experiment_name"] == "exp"
    assert run["state"] == "running"
    assert run["created_at"] == pytest.approx(1763812345.0, abs=1e-6)
    assert run["fork_run_id"] is None and run["fork_step"] is None

    r2 = client.post(f"/projects/{proj}/runs", {"run_id": "r1", "name": "baseline",
                                                "experiment_name": "exp"})
    assert r2.status == 200, r2
    assert r2.json["run_id"] == "r1"
    assert r2.json["created_at"] == pytest.approx(1763812345.0, abs=1e-6)

    r3 = client.get(f"/projects/{proj}/runs/r1")
    assert r3.status == 200, r3
    check_run_object(r3.json, proj)
    assert r3.json["children"] == []
    assert r3.json["name"] == "baseline"


def test_resume_sets_state_back_to_running(client, proj):
    client.create_run(proj, "r1")
    client.log(proj, "r1", {"state": "finished"})
    assert client.get(f"/projects/{proj}/runs/r1").json["state"] == "finished"
    r = client.post(f"/projects/{proj}/runs", {"run_id": "r1"})
    assert r.status == 200, r
    assert r.json["state"] == "running"
    assert client.get(f"/projects/{proj}/runs/r1").json["state"] == "running"


def test_generated_run_ids(client, proj):
    ids = set()
    for body in ({}, {"name": "x"}, None):
        if body is None:
            r = client.post(f"/projects/{proj}/runs")  # no body at all
        else:
            r = client.post(f"/projects/{proj}/runs", body)
        assert r.status == 201, r
        check_run_object(r.json, proj)
        ids.add(r.json["run_id"])
        g = client.get(f"/projects/{proj}/runs/{r.json['run_id']}")
        assert g.status == 200, g
    assert len(ids) == 3, ids


@pytest.mark.parametrize("bad", ["", "a b", "a/b", "x" * 129, "é"])
def test_invalid_run_id_rejected(client, proj, bad):
    r = client.post(f"/projects/{proj}/runs", {"run_id": bad})
    assert_error(r, 400, "invalid_argument")


def test_run_id_charset_and_max_length(client, proj):
    for rid in ["A-z_0.9:x", "y" * 128]:
        run = client.create_run(proj, rid, expect=(201,))
        assert run["run_id"] == rid
        assert client.get(f"/projects/{proj}/runs/{rid}").status == 200


@pytest.mark.parametrize("ws,p", [("bad ws", "p"), ("ws", "p$"), ("w" * 129, "p"), ("ws", "p" * 129)])
def test_invalid_project_name_rejected(client, ws, p):
    from sextant_e2e import q
    r = client.post(f"/projects/{q(ws)}/{q(p)}/runs", {"run_id": "r"})
    assert_error(r, 400, "invalid_argument")


def test_create_run_wrong_types(client, proj):
    for body in ({"run_id": 5}, {"name": 3}, {"created_at": "yesterday"},
                 {"fork_run_id": 1, "fork_step": 1}, ["r1"], "r1"):
        r = client.post(f"/projects/{proj}/runs", body)
        assert_error(r, 400, "invalid_argument")


def test_unknown_project_and_run_404(client, proj):
    client.create_run(proj, "r1")
    assert_error(client.get(f"/projects/{proj}/runs/nope"), 404, "not_found")
    assert_error(client.get("/projects/e2e/no-such-project-xyz/runs/r1"), 404, "not_found")
    assert_error(client.post(f"/projects/{proj}/runs/nope/finish", {}), 404, "not_found")
    assert_error(client.get(f"/projects/{proj}/runs/nope/attributes"), 404, "not_found")


def test_unknown_route_404(client):
    r = client.get("/no/such/endpoint")
    assert_error(r, 404)


# ---------------------------------------------------------------- forks

def test_fork_parameters(client, proj):
    client.create_run(proj, "parent")
    r = client.post(f"/projects/{proj}/runs", {"run_id": "child", "fork_run_id": "parent",
                                               "fork_step": 1000})
    assert r.status == 201, r
    assert r.json["fork_run_id"] == "parent"
    assert r.json["fork_step"] == 1000

    # Same parameters: resume.
    r = client.post(f"/projects/{proj}/runs", {"run_id": "child", "fork_run_id": "parent",
                                               "fork_step": 1000})
    assert r.status == 200, r
    # Different fork step or parent: conflict.
    r = client.post(f"/projects/{proj}/runs", {"run_id": "child", "fork_run_id": "parent",
                                               "fork_step": 999})
    assert_error(r, 409, "conflict")
    client.create_run(proj, "other")
    r = client.post(f"/projects/{proj}/runs", {"run_id": "child", "fork_run_id": "other",
                                               "fork_step": 1000})
    assert_error(r, 409, "conflict")
    # An existing un-forked run resumed with fork parameters: conflict.
    r = client.post(f"/projects/{proj}/runs", {"run_id": "parent", "fork_run_id": "other",
                                               "fork_step": 5})
    assert_error(r, 409, "conflict")

    g = client.get(f"/projects/{proj}/runs/parent").json
    assert g["children"] == [{"run_id": "child", "fork_step": 1000}]
    g = client.get(f"/projects/{proj}/runs/child").json
    assert g["fork_run_id"] == "parent" and g["fork_step"] == 1000


def test_fork_unknown_parent_404(client, proj):
    client.create_run(proj, "exists")
    r = client.post(f"/projects/{proj}/runs", {"run_id": "c", "fork_run_id": "ghost",
                                               "fork_step": 1})
    assert_error(r, 404, "not_found")
    assert_error(client.get(f"/projects/{proj}/runs/c"), 404, "not_found")


def test_fork_parent_must_be_in_same_project(client, proj):
    other = proj + "_other"
    client.create_run(other, "p")
    client.create_run(proj, "x")
    r = client.post(f"/projects/{proj}/runs", {"run_id": "c", "fork_run_id": "p",
                                               "fork_step": 1})
    assert_error(r, 404, "not_found")


def test_fork_step_required_with_fork_run_id(client, proj):
    client.create_run(proj, "p")
    r = client.post(f"/projects/{proj}/runs", {"run_id": "c", "fork_run_id": "p"})
    assert_error(r, 400, "invalid_argument")
    assert_error(client.get(f"/projects/{proj}/runs/c"), 404, "not_found")


def test_fractional_fork_step(client, proj):
    client.create_run(proj, "p")
    r = client.post(f"/projects/{proj}/runs", {"run_id": "c", "fork_run_id": "p",
                                               "fork_step": "10.5"})
    assert r.status == 201, r
    assert r.exact()["fork_step"] == __import__("decimal").Decimal("10.5")


# ---------------------------------------------------------------- finish

def test_finish(client, proj):
    client.create_run(proj, "a")
    client.create_run(proj, "b")
    client.create_run(proj, "c")
    r = client.post(f"/projects/{proj}/runs/a/finish")
    assert r.status == 200, r
    check_run_object(r.json, proj)
    assert r.json["state"] == "finished"
    r = client.post(f"/projects/{proj}/runs/b/finish", {"state": "failed"})
    assert r.status == 200, r
    assert r.json["state"] == "failed"
    r = client.post(f"/projects/{proj}/runs/c/finish", {})
    assert r.status == 200 and r.json["state"] == "finished", r
    assert client.get(f"/projects/{proj}/runs/b").json["state"] == "failed"
    for bad in ({"state": "running"}, {"state": "bogus"}, {"state": 1}):
        assert_error(client.post(f"/projects/{proj}/runs/a/finish", bad), 400, "invalid_argument")
    assert client.get(f"/projects/{proj}/runs/a").json["state"] == "finished"


def test_finish_at_a_given_time(client, proj):
    # An importer keeps the source's end time: it stamps the state change.
    client.create_run(proj, "old", created_at=1_600_000_000.0)
    r = client.post(f"/projects/{proj}/runs/old/finish", {"state": "failed", "ended_at": 1_600_000_123.456})
    assert r.status == 200, r
    assert r.json["state"] == "failed" and r.json["updated_at"] == 1_600_000_123.456
    assert client.get(f"/projects/{proj}/runs/old").json["updated_at"] == 1_600_000_123.456
    for bad, words in (({"ended_at": -1}, "end time"), ({"ended_at": 1e300}, "end time"),
                       ({"ended_at": "yesterday"}, "ended_at"), ({"ended_at": True}, "ended_at")):
        e = assert_error(client.post(f"/projects/{proj}/runs/old/finish", bad), 400, "invalid_argument")
        assert words in e["message"], (bad, e)
    # Nothing of a refused request was applied.
    got = client.get(f"/projects/{proj}/runs/old").json
    assert got["state"] == "failed" and got["updated_at"] == 1_600_000_123.456


def test_log_state(client, proj):
    client.create_run(proj, "r")
    for st in ("finished", "failed", "running"):
        client.log(proj, "r", {"state": st})
        assert client.get(f"/projects/{proj}/runs/r").json["state"] == st
    assert_error(client.log(proj, "r", {"state": "stale"}, expect=None), 400, "invalid_argument")
    assert_error(client.log(proj, "r", {"state": "done"}, expect=None), 400, "invalid_argument")


def test_updated_at_moves(client, proj):
    run = client.create_run(proj, "r", created_at=1000.0)
    assert run["created_at"] == pytest.approx(1000.0)
    client.log(proj, "r", {"configs": {"a": 1}})
    g = client.get(f"/projects/{proj}/runs/r").json
    assert g["updated_at"] >= g["created_at"]
    assert g["updated_at"] > 1000.0


# ---------------------------------------------------------------- projects

def test_projects_listing_with_run_counts(client, proj):
    a, b = proj + "_a", proj + "_b"
    for i in range(3):
        client.create_run(a, f"r{i}")
    client.create_run(b, "only")
    client.create_run(a, "r0")  # resume: no new run
    r = client.get("/projects")
    assert r.status == 200, r
    by_name = {p["project"]: p for p in r.json["projects"]}
    for name, n in ((a, 3), (b, 1)):
        assert name in by_name, by_name.keys()
        p = by_name[name]
        ws, pn = name.split("/")
        assert p["workspace"] == ws and p["name"] == pn
        assert p["runs"] == n
        assert isinstance(p["created_at"], (int, float)) and p["created_at"] > 1.6e9
