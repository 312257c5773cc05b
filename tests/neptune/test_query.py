"""neptune-query over several experiments: listing, filters, sorting, limits,
and the `neptune_query.runs` variants."""
from __future__ import annotations

import pytest

from conftest import finish_clean, open_run, unique

pytestmark = pytest.mark.reads


@pytest.fixture(scope="module")
def fleet(server):
    prefix = unique("fleet")
    runs = []
    for i in range(5):
        exp = f"{prefix}-exp{i}"
        nr = open_run(f"{prefix}-run{i}", experiment_name=exp)
        nr.run.log_configs({"cfg/i": i, "cfg/lr": 10.0 ** -i, "cfg/group": "even" if i % 2 == 0 else "odd"})
        for step in range(10):
            nr.run.log_metrics({"m/loss": (10 - step) * (i + 1), "m/acc": step / 10}, step=step)
        nr.run.log_string_series({"s/note": f"run {i}"}, step=0)
        if i < 2:
            nr.run.add_tags(["first-two"])
        finish_clean(nr, server)
        runs.append((nr.run_id, exp))
    return {"prefix": prefix, "runs": runs}


def test_list_experiments(fleet, nq):
    names = nq.list_experiments(experiments=f"^{fleet['prefix']}-exp")
    assert sorted(names) == [exp for _, exp in fleet["runs"]]
    assert nq.list_experiments(experiments=[fleet["runs"][3][1]]) == [fleet["runs"][3][1]]


def test_fetch_experiments_table_filter_sort_limit(fleet, nq):
    from neptune_query.filters import Filter

    exps = [exp for _, exp in fleet["runs"]]
    df = nq.fetch_experiments_table(experiments=exps, attributes=["cfg/i", "cfg/group", "m/loss"],
                                    sort_by="cfg/i", sort_direction="asc")
    assert list(df.index) == exps
    assert list(df["cfg/i"]) == [0, 1, 2, 3, 4]
    assert list(df["m/loss"]) == [(i + 1) * 1.0 for i in range(5)]  # last step 9: (10-9)*(i+1)
    df = nq.fetch_experiments_table(experiments=exps, attributes=["cfg/i"], sort_by="cfg/i",
                                    sort_direction="desc", limit=2)
    assert list(df["cfg/i"]) == [4, 3]
    even = Filter.eq("cfg/group", "even") & Filter.name(exps)
    df = nq.fetch_experiments_table(experiments=even, attributes=["cfg/i"])
    assert sorted(df["cfg/i"]) == [0, 2, 4]
    big = Filter.gt("cfg/lr", 0.005) & Filter.name(exps)
    assert sorted(nq.fetch_experiments_table(experiments=big, attributes=["cfg/i"])["cfg/i"]) == [0, 1, 2]
    tagged = Filter.contains_all("sys/tags", ["first-two"]) & Filter.name(exps)
    assert sorted(nq.list_experiments(experiments=tagged)) == exps[:2]


def test_fetch_experiments_table_attribute_regex(fleet, nq):
    exp = fleet["runs"][0][1]
    df = nq.fetch_experiments_table(experiments=[exp], attributes=r"^cfg/")
    assert {"cfg/i", "cfg/lr", "cfg/group"} <= set(df.columns)
    assert not any(c.startswith("m/") for c in df.columns)


def test_fetch_metrics_several_experiments(fleet, nq):
    exps = [exp for _, exp in fleet["runs"]]
    df = nq.fetch_metrics(experiments=exps, attributes=["m/loss", "m/acc"])
    assert set(df.columns) == {"m/loss", "m/acc"}
    for i, exp in enumerate(exps):
        part = df.loc[exp]
        assert list(part.index) == [float(s) for s in range(10)]
        assert list(part["m/loss"]) == [float((10 - s) * (i + 1)) for s in range(10)]


def test_fetch_metrics_attribute_regex(fleet, nq):
    df = nq.fetch_metrics(experiments=[fleet["runs"][1][1]], attributes=r"^m/")
    assert set(df.columns) == {"m/loss", "m/acc"}


def test_fetch_series_several(fleet, nq):
    exps = [exp for _, exp in fleet["runs"]]
    df = nq.fetch_series(experiments=exps, attributes=["s/note"])
    assert {exp: v for (exp, _), v in df["s/note"].items()} == {exp: f"run {i}" for i, exp in enumerate(exps)}


def test_runs_variants(fleet, nq):
    import neptune_query.runs as nqr

    ids = [rid for rid, _ in fleet["runs"]]
    assert sorted(nqr.list_runs(runs=f"^{fleet['prefix']}-run")) == ids
    df = nqr.fetch_runs_table(runs=ids, attributes=["cfg/i"], sort_by="cfg/i", sort_direction="asc")
    assert list(df.index) == ids
    assert list(df["cfg/i"]) == [0, 1, 2, 3, 4]
    m = nqr.fetch_metrics(runs=ids[:2], attributes=["m/loss"], tail_limit=1)
    assert {rid: v for (rid, _), v in m["m/loss"].items()} == {ids[0]: 1.0, ids[1]: 2.0}
    s = nqr.fetch_series(runs=ids[:1], attributes=["s/note"])
    assert list(s["s/note"]) == ["run 0"]
    assert {"cfg/i", "m/loss", "s/note"} <= set(nqr.list_attributes(runs=ids[:1]))
