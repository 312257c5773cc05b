"""sextant migrate: a store copied to another (SQLite -> SQLite always;
SQLite -> PostgreSQL -> SQLite when SEXTANT_TEST_POSTGRES names a server)
reads back the same through the API: runs, forks, states, configs of every
type, tags, every point of every series, file series and saved views."""
import json
import os
import subprocess
import urllib.parse

import pytest

from sextant_e2e import BIN, Server, q

PG = os.environ.get("SEXTANT_TEST_POSTGRES", "")
P1, P2 = "mig/alpha", "mig/beta"


def populate(c):
    c.create_run(P1, "parent", name="the parent", experiment_name="exp-1")
    c.log(P1, "parent", {
        "configs": {"lr": 0.001, "layers": 24, "amp": True, "label": "x\u00fcy", "nan": {"type": "float", "value": "NaN"},
                    "z": -0.0, "when": {"type": "datetime", "value": "2026-01-02T03:04:05.123456Z"}},
        "add_tags": ["baseline", "gpu"],
        "series": [
            {"path": "train/loss", "steps": list(range(20_000)),
             "values": [1.0 / (1 + i) for i in range(20_000)]},
            {"path": "eval/sample", "type": "string", "steps": [0, 5], "values": ["hello", "w\u00f6rld"]},
            {"path": "grad/l0", "type": "histogram", "steps": [0],
             "values": [{"edges": [0, 1, 2], "counts": [3, 4]}]},
        ]})
    # Overwrites of some steps, then more: last write wins, across compactions.
    c.log(P1, "parent", {"series": [{"path": "train/loss", "steps": [10, 11, 25_000], "values": [7.0, "NaN", 0.5]}]})
    c.log(P1, "parent", {"state": "finished"})
    c.post(f"/projects/{P1}/runs", {"run_id": "child", "fork_run_id": "parent", "fork_step": 1000})
    c.log(P1, "child", {"series": [{"path": "train/loss", "steps": [1001, 1002], "values": [0.25, 0.125]}],
                        "configs": {"sys/name": "renamed child"}, "remove_tags": ["none"]})
    for step, data in ((1, b"image one"), (2, b"image two")):
        r = c.put(f"/projects/{P1}/runs/child/files/samples/img?step={step}&name=img_{step}.png", data)
        assert r.status in (200, 201), r
    r = c.put(f"/projects/{P1}/runs/child/files/model/config.json?name=config.json", b'{"a": 1}')
    assert r.status in (200, 201), r
    r = c.request("PUT", f"/projects/{P1}/views/mine", json.dumps({"state": {"columns": ["lr"]}}).encode(),
                  {"Content-Type": "application/json"})
    assert r.status in (200, 201, 204), r
    c.create_run(P2, "other")
    c.log(P2, "other", {"configs": {"k": "v"}, "state": "failed"})


def snapshot(c) -> dict:
    out = {}
    for proj, runs in ((P1, ["parent", "child"]), (P2, ["other"])):
        for run in runs:
            info = c.get(f"/projects/{proj}/runs/{run}").json
            info.pop("updated_at", None)
            attrs = c.attributes(proj, run)
            series = {}
            for path, a in attrs.items():
                a.pop("updated_at", None)
                if a["type"] in ("float_series", "string_series", "histogram_series"):
                    series[path] = c.read_all(proj, run, path)
            out[f"{proj}/{run}"] = {"run": info, "attributes": attrs, "series": series}
    for step in (1, 2):
        out[f"img{step}"] = c.get(f"/projects/{P1}/runs/child/files/samples/img?step={step}").body
    out["config.json"] = c.get(f"/projects/{P1}/runs/child/files/model/config.json").body
    out["view"] = c.get(f"/projects/{P1}/views/mine").json.get("state")
    return out


def migrate(src: str, dst: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([BIN, "migrate", "--from", src, "--to", dst, *extra],
                          capture_output=True, text=True, timeout=300)


def pg_url(schema: str) -> str:
    sep = "&" if "?" in PG else "?"
    return f"{PG}{sep}options=-csearch_path%3D{schema}"


def test_migrate_round_trip(tmp_path):
    data = tmp_path / "data"
    a = Server(data, tmp_path / "a.log", ["--store", f"sqlite://{tmp_path}/a.db"]).start()
    try:
        populate(a.client)
        before = snapshot(a.client)
    finally:
        a.stop()

    chain = [f"sqlite://{tmp_path}/a.db", f"sqlite://{tmp_path}/b.db"]
    if PG:
        chain += [pg_url("mig_" + os.urandom(4).hex()), f"sqlite://{tmp_path}/c.db"]
    for src, dst in zip(chain, chain[1:]):
        r = migrate(src, dst)
        assert r.returncode == 0, r.stderr
        assert "copied 2 projects, 3 runs" in r.stdout and "verified" in r.stdout, r.stdout
        # Again: every run is already there, nothing changes.
        again = migrate(src, dst)
        assert again.returncode == 0, again.stderr
        assert "3 runs were already there" in again.stdout, again.stdout

        b = Server(data, tmp_path / "b.log", ["--store", dst])
        b.files_args = a.files_args  # the same file store
        b.start()
        try:
            after = snapshot(b.client)
        finally:
            b.stop()
        assert after == before, f"{src} -> {dst} changed what the API reads"


def test_migrate_carries_accounts(tmp_path):
    """Users, tokens (with their limits and revocations), roles and the audit
    log come along: the same tokens work on the new store, the revoked one
    stays refused."""
    src_data = tmp_path / "src"
    a = Server(src_data, tmp_path / "a.log", ["--store", f"sqlite://{src_data}/sextant.db"])
    a.data_dir.mkdir(parents=True)
    owner = cli(src_data, "admin", "init").stdout.strip().splitlines()[-1]
    cli(src_data, "user", "add", "ci", "--service")
    cli(src_data, "member", "add", "ci", "mig/alpha", "viewer")
    ci = cli(src_data, "token", "create", "--user", "ci", "--project", "mig/alpha").stdout.strip().splitlines()[-1]
    gone = cli(src_data, "token", "create", "--user", "ci", "--name", "old").stdout.strip().splitlines()[-1]
    old_id = [line.split()[0] for line in cli(src_data, "token", "list").stdout.splitlines() if " old " in line][0]
    cli(src_data, "token", "revoke", old_id)
    a.start()
    try:
        a.client.as_token(owner).create_run("mig/alpha", "r1")
    finally:
        a.stop()

    dst = pg_url("migacc_" + os.urandom(4).hex()) if PG else f"sqlite://{tmp_path}/dst/sextant.db"
    r = migrate(f"sqlite://{src_data}/sextant.db", dst, "--to-data", str(tmp_path / "dst"))
    assert r.returncode == 0, r.stderr
    # tokens: the owner's, the service account's first, "ci" and "old"
    assert "accounts: 2 users and service accounts, 4 tokens, 1 roles" in r.stdout, r.stdout
    again = migrate(f"sqlite://{src_data}/sextant.db", dst, "--to-data", str(tmp_path / "dst"))
    assert again.returncode == 0 and "accounts: 0 users and service accounts, 0 tokens" in again.stdout, again.stdout

    b = Server(tmp_path / "dst", tmp_path / "b.log", ["--store", dst])
    b.files_args = a.files_args
    b.start()
    try:
        assert b.client.as_token(owner).get("/projects/mig/alpha/runs/r1").status == 200
        assert b.client.as_token(ci).get("/projects/mig/alpha/runs/r1").status == 200  # viewer there
        r = b.client.as_token(ci).post("/projects/mig/alpha/runs", {"run_id": "r2"})
        assert r.status == 403, r  # a viewer still
        assert b.client.as_token(gone).get("/projects/mig/alpha/runs/r1").status == 401
        assert b.client.get("/projects/mig/alpha/runs/r1").status == 401
    finally:
        b.stop()
    audit = cli(tmp_path / "dst", "audit", "--action", "token.revoke", *(["--store", dst])).stdout
    assert "old" in audit or old_id in audit, audit


def cli(data, *args: str) -> subprocess.CompletedProcess:
    p = subprocess.run([BIN, *args, "--data", str(data)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"sextant {' '.join(args)}: {p.stderr}"
    return p


def test_migrate_refuses_bad_arguments(tmp_path):
    r = migrate(f"sqlite://{tmp_path}/missing.db", f"sqlite://{tmp_path}/x.db")
    assert r.returncode == 2 and "does not exist" in r.stderr, r.stderr
    assert not (tmp_path / "x.db").exists()
    r = migrate(f"sqlite://{tmp_path}/x.db", f"sqlite://{tmp_path}/x.db")
    assert r.returncode == 2 and "same store" in r.stderr, r.stderr
    (tmp_path / "a.db").write_bytes(b"")
    r = migrate(f"sqlite://{tmp_path}/a.db", "mysql://host/db")
    assert r.returncode == 2 and "expected sqlite:///path or postgresql://" in r.stderr, r.stderr
    r = subprocess.run([BIN, "migrate", "--from"], capture_output=True, text=True)
    assert r.returncode == 2 and "needs a value" in r.stderr
