"""Run management over the native API: trash and restore, archive, rename,
notes, tags (one run and in bulk), a project's notes; what the runs listing
hides; the audit log; and what happens to a forked run's children."""
from __future__ import annotations

import json
import subprocess
import time

from auth_util import make_team
from sextant_e2e import BIN, assert_error


def patch(client, path, body):
    return client.request("PATCH", path, json.dumps(body).encode(), {"Content-Type": "application/json"})


def ids(client, proj, **params):
    q = "&".join(f"{k}={v}" for k, v in params.items())
    r = client.get(f"/projects/{proj}/runs?limit=100&{q}")
    assert r.status == 200, r
    return sorted(run["run_id"] for run in r.json["runs"]), r.json


def test_trash_restore_and_archive_hide_runs(client, proj):
    for rid in ("a", "b", "c"):
        client.create_run(proj, rid)
    r = client.request("DELETE", f"/projects/{proj}/runs/a")
    assert r.status == 200, r
    assert r.json["run_id"] == "a"
    assert client.request("DELETE", f"/projects/{proj}/runs/a").status == 200  # idempotent
    r = patch(client, f"/projects/{proj}/runs/b", {"archived": True})
    assert r.status == 200, r

    shown, page = ids(client, proj)
    assert shown == ["c"] and page["total"] == 1 and page["unfiltered_total"] == 1
    assert ids(client, proj, trashed="only")[0] == ["a"]
    assert ids(client, proj, archived="only")[0] == ["b"]
    assert ids(client, proj, trashed="include", archived="include")[0] == ["a", "b", "c"]
    q = client.post(f"/projects/{proj}/runs/query", {"trashed": "only"})
    assert [x["run_id"] for x in q.json["runs"]] == ["a"]
    # A trashed run is still readable by id (to restore it, or to look).
    assert client.get(f"/projects/{proj}/runs/a").status == 200

    assert client.post(f"/projects/{proj}/runs/a/restore").status == 200
    assert patch(client, f"/projects/{proj}/runs/b", {"archived": False}).status == 200
    assert ids(client, proj)[0] == ["a", "b", "c"]


def test_rename_notes_and_tags(client, proj):
    client.create_run(proj, "r", name="old")
    notes = "# Result\n\n<script>alert(1)</script> kept as text"
    r = patch(client, f"/projects/{proj}/runs/r",
              {"name": "lr=3e-4 baseline", "description": notes, "add_tags": ["keep", "sweep"]})
    assert r.status == 200, r
    assert r.json["name"] == "lr=3e-4 baseline"
    attrs = {a["path"]: a for a in client.get(f"/projects/{proj}/runs/r/attributes").json["attributes"]}
    assert attrs["sys/description"]["value"] == notes
    assert sorted(attrs["sys/tags"]["value"]) == ["keep", "sweep"]
    assert patch(client, f"/projects/{proj}/runs/r", {"remove_tags": ["sweep"]}).status == 200
    attrs = {a["path"]: a for a in client.get(f"/projects/{proj}/runs/r/attributes").json["attributes"]}
    assert attrs["sys/tags"]["value"] == ["keep"]
    # The runs table filters on the new name and tags.
    r = client.get(f'/projects/{proj}/runs?filter=sys/tags%20contains%20%22keep%22')
    assert [x["name"] for x in r.json["runs"]] == ["lr=3e-4 baseline"]


def test_bulk_edit_is_all_or_nothing(client, proj):
    for rid in ("a", "b"):
        client.create_run(proj, rid)
    r = client.post(f"/projects/{proj}/runs/edit", {"run_ids": ["a", "zzz", "b"], "add_tags": ["x"]})
    assert_error(r, 404)
    assert "zzz" in r.json["error"]["message"]
    assert ids(client, proj, filter='sys/tags%20contains%20%22x%22')[0] == []
    r = client.post(f"/projects/{proj}/runs/edit", {"run_ids": ["a", "b"], "add_tags": ["x"], "trashed": True})
    assert r.status == 200 and r.json == {"updated": 2}, r
    assert ids(client, proj, trashed="only", filter='sys/tags%20contains%20%22x%22')[0] == ["a", "b"]


def test_bad_edits_are_refused_and_change_nothing(client, proj):
    client.create_run(proj, "r", name="keep")
    cases = [
        ({}, 400, "nothing to change"),
        ({"nmae": "typo"}, 400, "unknown field 'nmae'"),
        ({"name": ""}, 400, "name"),
        ({"name": 5}, 400, "name"),
        ({"archived": "yes"}, 400, "archived"),
        ({"add_tags": "x"}, 400, "add_tags"),
        ({"add_tags": ["t"], "remove_tags": ["t"]}, 400, "both added and removed"),
        ({"description": "x" * (64 * 1024 + 1)}, 413, "description"),
    ]
    for body, status, words in cases:
        r = patch(client, f"/projects/{proj}/runs/r", body)
        assert_error(r, status)
        assert words in r.json["error"]["message"], (body, r.json)
    assert_error(patch(client, f"/projects/{proj}/runs/nope", {"name": "x"}), 404)
    assert client.post(f"/projects/{proj}/runs/edit", {"run_ids": []}).status == 400
    assert client.post(f"/projects/{proj}/runs/edit", {"run_ids": ["r"] * 1001, "archived": True}).status == 413
    assert client.get(f"/projects/{proj}/runs?trashed=maybe").status == 400
    run = client.get(f"/projects/{proj}/runs/r").json
    assert run["name"] == "keep"
    paths = [a["path"] for a in client.get(f"/projects/{proj}/runs/r/attributes").json["attributes"]]
    assert "sys/archived" not in paths and "sys/tags" not in paths


def test_project_description(client, proj):
    client.create_run(proj, "r")
    r = client.get(f"/projects/{proj}")
    assert r.status == 200 and r.json["description"] == "" and r.json["project"] == proj, r
    r = patch(client, f"/projects/{proj}", {"description": "**Sweep** over lr"})
    assert r.status == 200 and r.json["description"] == "**Sweep** over lr", r
    assert client.get(f"/projects/{proj}").json["description"] == "**Sweep** over lr"
    assert_error(patch(client, f"/projects/{proj}", {"about": "x"}), 400)
    assert_error(client.get("/projects/e2e/no-such-project"), 404)


def test_trashing_a_parent_keeps_its_forks_points(client, proj):
    client.create_run(proj, "parent")
    client.log(proj, "parent", {"series": [{"path": "loss", "steps": [1, 2, 3], "values": [3.0, 2.0, 1.0]}]})
    client.create_run(proj, "child", fork_run_id="parent", fork_step=2)
    client.log(proj, "child", {"series": [{"path": "loss", "steps": [3], "values": [0.5]}]})
    assert client.request("DELETE", f"/projects/{proj}/runs/parent").status == 200
    r = client.post(f"/projects/{proj}/series", {"runs": ["child"], "path": "loss", "lineage": True})
    assert r.status == 200, r
    s = r.json["series"][0]
    assert s["steps"] == [1, 2, 3] and s["values"] == [3.0, 2.0, 0.5]
    assert ids(client, proj)[0] == ["child"]


def test_edits_are_permissioned_and_audited(make_server):
    team = make_team(make_server, name="edits")
    viewer, writer, owner = team.client("viewer"), team.client("writer"), team.client("owner")
    assert patch(viewer, "/projects/ws/p/runs/r1", {"name": "no"}).status == 403
    assert viewer.request("DELETE", "/projects/ws/p/runs/r1").status == 403
    assert patch(writer, "/projects/ws/p/runs/r1", {"name": "renamed"}).status == 200
    assert writer.request("DELETE", "/projects/ws/p/runs/r1").status == 200
    assert writer.post("/projects/ws/p/runs/r1/restore").status == 200
    assert writer.post("/projects/ws/p/runs/edit", {"run_ids": ["r1"], "add_tags": ["t"]}).status == 200
    assert patch(writer, "/projects/ws/p", {"description": "notes"}).status == 200
    entries = owner.get("/admin/audit?limit=1000").json["entries"]
    by_action = {e["action"]: e for e in entries}
    for action in ("run.edit", "delete", "run.restore", "runs.edit", "project.edit"):
        assert action in by_action, (action, sorted(by_action))
        assert by_action[action]["principal"] == "writer"
    assert by_action["run.edit"]["target"].endswith("/runs/r1")


def test_purge_from_the_trash(client, proj):
    client.create_run(proj, "keep")
    client.create_run(proj, "junk")
    client.log(proj, "junk", {"series": [{"path": "loss", "steps": [1, 2], "values": [1.0, 0.5]}]})
    r = client.request("DELETE", f"/projects/{proj}/runs/junk?purge=true")
    assert_error(r, 409)
    assert "not in the trash" in r.json["error"]["message"]
    assert client.request("DELETE", f"/projects/{proj}/runs/junk?purge=maybe").status == 400
    assert client.request("DELETE", f"/projects/{proj}/runs/junk").status == 200
    r = client.request("DELETE", f"/projects/{proj}/runs/junk?purge=true")
    assert r.status == 200 and r.json == {"run_id": "junk", "purged": True}, r
    assert client.get(f"/projects/{proj}/runs/junk").status == 404
    assert ids(client, proj, trashed="include")[0] == ["keep"]
    # The id can be used again, and starts empty.
    client.create_run(proj, "junk")
    r = client.post(f"/projects/{proj}/series", {"runs": ["junk"], "path": "loss"})
    assert r.json["series"][0]["steps"] == []


def test_the_trash_is_purged_after_its_retention(make_server):
    # --trash-days 0.00003 is about 2.6 s; the sweep runs every quarter of it.
    srv = make_server(["--trash-days", "0.00003"], name="retention")
    c = srv.client
    proj = "e2e/retention"
    for rid in ("old", "parent", "keep"):
        c.create_run(proj, rid)
    c.create_run(proj, "child", fork_run_id="parent", fork_step=0)
    for rid in ("old", "parent"):
        assert c.request("DELETE", f"/projects/{proj}/runs/{rid}").status == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and c.get(f"/projects/{proj}/runs/old").status != 404:
        time.sleep(0.5)
    assert c.get(f"/projects/{proj}/runs/old").status == 404
    # A parent of a fork stays (its fork reads its points), and says why once.
    assert c.get(f"/projects/{proj}/runs/parent").status == 200
    assert ids(c, proj, trashed="include")[0] == ["child", "keep", "parent"]
    assert "past its retention but stays" in srv.log_tail()


def test_bad_trash_days_is_refused(tmp_path):
    p = subprocess.run([BIN, "serve", "--data", str(tmp_path / "d"), "--trash-days", "-1"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--trash-days" in p.stderr
