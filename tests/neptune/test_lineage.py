"""Forks (fork_run_id/fork_step) with lineage and inherited configs,
experiment names, and resuming a run by its id."""
from __future__ import annotations

import pytest

from conftest import finish, finish_clean, open_run, unique


@pytest.fixture(scope="module")
def family(server):
    """parent ─(3)→ child ─(5)→ grandchild; parent ─(2.5)→ sibling (no config inheritance)."""
    exp = {k: unique(f"exp-{k}") for k in ("parent", "child", "grandchild", "sibling")}
    problems: list[str] = []

    def done(name, nr):
        if not finish(nr):
            problems.append(f"{name}: not every operation was confirmed")
        problems.extend(f"{name}: {e!r}" for _, e in nr.errors)

    parent = open_run(experiment_name=exp["parent"])
    parent.run.log_configs({"cfg/lr": 0.1, "cfg/name": "parent", "cfg/shared": 1})
    for step in (1, 2, 3, 4, 5):
        parent.run.log_metrics({"m/x": 10.0 * step}, step=step)
    parent.run.add_tags(["parent-tag"])
    done("parent", parent)

    child = open_run(experiment_name=exp["child"], fork_run_id=parent.run_id, fork_step=3)
    child.run.log_configs({"cfg/child": True, "cfg/shared": 2})
    for step in (4, 5, 6):
        child.run.log_metrics({"m/x": 100.0 * step}, step=step)
    done("child", child)

    grandchild = open_run(experiment_name=exp["grandchild"], fork_run_id=child.run_id, fork_step=5)
    for step in (5.5, 7):
        grandchild.run.log_metrics({"m/x": 1000.0 * step}, step=step)
    done("grandchild", grandchild)

    sibling = open_run(experiment_name=exp["sibling"], fork_run_id=parent.run_id, fork_step=2.5,
                       inherit_configs=False)
    sibling.run.log_metrics({"m/x": -1.0}, step=2.75)
    done("sibling", sibling)
    return {"exp": exp, "parent": parent.run_id, "child": child.run_id, "grandchild": grandchild.run_id,
            "sibling": sibling.run_id, "problems": problems}


def test_family_logged_cleanly(family, server):
    assert not family["problems"], f"{family['problems']}\n{server.log_tail()}"


def test_fork_point_stored(family, native):
    child = native.run(family["child"])
    assert child["fork_run_id"] == family["parent"] and child["fork_step"] == 3
    grandchild = native.run(family["grandchild"])
    assert grandchild["fork_run_id"] == family["child"] and grandchild["fork_step"] == 5
    sibling = native.run(family["sibling"])
    assert sibling["fork_run_id"] == family["parent"] and sibling["fork_step"] == 2.5
    children = {c["run_id"]: c["fork_step"] for c in native.run(family["parent"])["children"]}
    assert children == {family["child"]: 3, family["sibling"]: 2.5}


def test_fork_lineage_series(family, native):
    s = native.series(family["child"], "m/x", lineage=True)
    assert s["steps"] == [1, 2, 3, 4, 5, 6]
    assert s["values"] == [10.0, 20.0, 30.0, 400.0, 500.0, 600.0]
    own = native.series(family["child"], "m/x", lineage=False)
    assert own["steps"] == [4, 5, 6]
    g = native.series(family["grandchild"], "m/x", lineage=True)
    assert g["steps"] == [1, 2, 3, 4, 5, 5.5, 7]
    assert g["values"] == [10.0, 20.0, 30.0, 400.0, 500.0, 5500.0, 7000.0]
    sib = native.series(family["sibling"], "m/x", lineage=True)
    assert sib["steps"] == [1, 2, 2.75] and sib["values"] == [10.0, 20.0, -1.0]
    # the parent is untouched by its forks
    assert native.series(family["parent"], "m/x")["steps"] == [1, 2, 3, 4, 5]


def test_fork_inherits_configs(family, native):
    child = native.attributes(family["child"])
    assert child["cfg/lr"]["value"] == 0.1
    assert child["cfg/name"]["value"] == "parent"
    assert child["cfg/shared"]["value"] == 2  # its own write wins over the inherited value
    assert child["cfg/child"]["value"] is True
    grandchild = native.attributes(family["grandchild"])  # inherited through the child
    assert grandchild["cfg/lr"]["value"] == 0.1 and grandchild["cfg/child"]["value"] is True
    sibling = native.attributes(family["sibling"])  # inherit_configs=False
    assert "cfg/lr" not in sibling and "cfg/name" not in sibling


def test_experiment_names(family, native):
    for key in ("parent", "child", "grandchild", "sibling"):
        assert native.run(family[key])["experiment_name"] == family["exp"][key]


@pytest.mark.reads
def test_query_fork_lineage(family, nq):
    exp = family["exp"]["child"]
    df = nq.fetch_metrics(experiments=[exp], attributes=["m/x"])
    assert [s for _, s in df.index] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert list(df["m/x"]) == [10.0, 20.0, 30.0, 400.0, 500.0, 600.0]
    df = nq.fetch_metrics(experiments=[exp], attributes=["m/x"], lineage_to_the_root=False)
    assert [s for _, s in df.index] == [4.0, 5.0, 6.0]
    df = nq.fetch_metrics(experiments=[family["exp"]["grandchild"]], attributes=["m/x"])
    assert [s for _, s in df.index] == [1.0, 2.0, 3.0, 4.0, 5.0, 5.5, 7.0]


@pytest.mark.reads
def test_query_fork_inherited_configs(family, nq):
    df = nq.fetch_experiments_table(experiments=[family["exp"]["child"], family["exp"]["sibling"]],
                                    attributes=["cfg/lr", "cfg/shared"])
    assert df.loc[family["exp"]["child"], "cfg/lr"] == 0.1
    assert df.loc[family["exp"]["child"], "cfg/shared"] == 2
    assert df.loc[family["exp"]["sibling"]].isna()["cfg/lr"]


@pytest.mark.reads
def test_query_runs_fork_lineage(family, nq):
    import neptune_query.runs as nqr

    df = nqr.fetch_metrics(runs=[family["child"]], attributes=["m/x"])
    assert [s for _, s in df.index] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    df = nqr.fetch_metrics(runs=[family["child"]], attributes=["m/x"], lineage_to_the_root=False)
    assert [s for _, s in df.index] == [4.0, 5.0, 6.0]


def test_resume_existing_run(server, native):
    """Run(run_id=existing) continues the same run (`resume=True` is accepted and
    deprecated: neptune-scale resumes by default and sends the create again)."""
    first = open_run(experiment_name=unique("exp-resume"))
    first.run.log_configs({"cfg/a": 1})
    first.run.log_metrics({"m/y": 1.0}, step=1)
    first.run.add_tags(["before"])
    finish_clean(first, server)
    created = native.run(first.run_id)["created_at"]

    again = open_run(first.run_id, resume=True)
    again.run.log_configs({"cfg/b": 2})
    again.run.log_metrics({"m/y": 2.0}, step=2)
    again.run.add_tags(["after"])
    finish_clean(again, server)

    assert [r["run_id"] for r in native.runs(filter=f'sys/id == "{first.run_id}"')] == [first.run_id]
    attrs = native.attributes(first.run_id)
    assert attrs["cfg/a"]["value"] == 1 and attrs["cfg/b"]["value"] == 2
    assert attrs["sys/tags"]["value"] == ["after", "before"]
    assert native.series(first.run_id, "m/y")["steps"] == [1, 2]
    assert native.run(first.run_id)["created_at"] == created


def test_resume_rewrites_a_step(server, native):
    """Logging a step that exists again (what a resumed run or a resent batch
    does) keeps one point per step."""
    nr = open_run()
    for step in range(5):
        nr.run.log_metrics({"m/z": float(step)}, step=step)
    finish_clean(nr, server)
    again = open_run(nr.run_id)
    for step in range(3, 8):
        again.run.log_metrics({"m/z": float(step)}, step=step)
    ok_errors = {"NeptuneSeriesPointDuplicate"}  # Neptune's answer to an identical point is a warning
    assert again.run.wait_for_processing(timeout=120, verbose=False)
    again.run.close(timeout=30)
    assert set(again.error_types()) <= ok_errors, again.errors
    s = native.series(nr.run_id, "m/z")
    assert s["steps"] == list(range(8))
    assert s["values"] == [float(i) for i in range(8)]


def test_two_runs_of_one_experiment(server, native):
    """Two runs with one experiment name: both are stored under it."""
    exp = unique("exp-head")
    old = open_run(experiment_name=exp)
    old.run.log_configs({"cfg/which": "old"})
    finish_clean(old, server)
    new = open_run(experiment_name=exp)
    new.run.log_configs({"cfg/which": "new"})
    finish_clean(new, server)
    assert native.run(old.run_id)["experiment_name"] == exp
    assert native.run(new.run_id)["experiment_name"] == exp


@pytest.mark.reads
def test_query_experiment_is_its_newest_run(server, nq):
    exp = unique("exp-head-q")
    old = open_run(experiment_name=exp)
    old.run.log_configs({"cfg/which": "old"})
    finish_clean(old, server)
    new = open_run(experiment_name=exp)
    new.run.log_configs({"cfg/which": "new"})
    finish_clean(new, server)
    assert nq.list_experiments(experiments=[exp]) == [exp]
    df = nq.fetch_experiments_table(experiments=[exp], attributes=["cfg/which"])
    assert list(df.index) == [exp]
    assert df.loc[exp, "cfg/which"] == "new"
    import neptune_query.runs as nqr

    assert set(nqr.list_runs(runs=[old.run_id, new.run_id])) == {old.run_id, new.run_id}
