"""The demo project (`serve --demo`): every run finished (none turns stale),
and the forked run goes on from its parent's loss at the fork, without a jump."""
from __future__ import annotations


def test_demo_runs_are_finished_and_the_fork_is_continuous(make_server):
    srv = make_server(["--demo"], name="demo")
    c = srv.client
    runs = c.get("/projects/demo/quickstart/runs?limit=100").json["runs"]
    assert {r["run_id"] for r in runs} == {"baseline", "wide-lr", "deep", "baseline-lowlr"}
    assert {r["run_id"]: r["state"] for r in runs} == {r["run_id"]: "finished" for r in runs}
    loss = c.read_all("demo/quickstart", "baseline-lowlr", "train/loss")
    at = loss["steps"].index(1000)
    before, after = loss["values"][at], loss["values"][at + 1]
    assert loss["steps"][at + 1] == 1001
    # Noise is ~0.02 per point: a jump is many times that.
    assert abs(after - before) < 0.15, (before, after)
