"""MlflowClient.search_runs over a few hundred runs: every comparator, order_by,
paging, and run_view_type. Expected results are computed in Python from the
data each run was given."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, ViewType

from conftest import unique

# The module's data is made in the first test's setup: allow for a slow,
# shared machine.
pytestmark = pytest.mark.timeout(300)

N = 200
T0 = 1_600_000_000_000
MODELS = ["cnn", "rnn", "mlp"]


@dataclass
class R:
    i: int
    run_id: str = ""
    name: str = ""
    start_time: int = 0
    status: str = "RUNNING"
    metrics: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)


def make(i: int) -> R:
    r = R(i)
    r.name = f"Special-{i:03d}" if i % 10 == 0 else f"run-{i:03d}"
    r.start_time = T0 + i * 1000
    r.metrics = {"acc": i / 4, "loss": float(N - i), "my metric": float(i % 10)}
    if i % 2 == 0:
        r.metrics["half"] = float(i)
    r.params = {"model": MODELS[i % 3], "lr": f"0.{i % 5}", "letter": "Alpha" if i % 2 else "alpha",
                "data set": f"d{i % 2}"}
    if i % 5 == 0:
        r.params["opt"] = "adam"
    r.tags = {"group": f"g{i % 4}", "data.version": "v1" if i < N // 2 else "v2"}
    if i % 7 == 0:
        r.tags["note"] = "n"
    if i % 10 == 1:
        r.status = "FINISHED"
    elif i % 10 == 2:
        r.status = "FAILED"
    return r


@pytest.fixture(scope="module")
def population(target):
    client = MlflowClient(tracking_uri=target.url)
    exp = client.create_experiment(unique("compat-search"))
    runs = [make(i) for i in range(N)]

    def create(r: R) -> None:
        run = client.create_run(exp, start_time=r.start_time, tags=r.tags, run_name=r.name)
        r.run_id = run.info.run_id
        client.log_batch(r.run_id,
                         metrics=[Metric(k, v, T0 + r.i, 0) for k, v in r.metrics.items()],
                         params=[Param(k, v) for k, v in r.params.items()])
        if r.status != "RUNNING":
            client.set_terminated(r.run_id, r.status)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, runs))
    return exp, runs


def search_all(client, exp, filter_string="", order_by=None, page=100,
               view=ViewType.ACTIVE_ONLY) -> list:
    """Every page, checking each page's size and that no run repeats."""
    out, token = [], None
    for _ in range(1000):
        res = client.search_runs([exp], filter_string, run_view_type=view, max_results=page,
                                 order_by=order_by, page_token=token)
        assert len(res) <= page
        out += res
        token = res.token
        if not token:
            break
        assert len(res) == page, "a page before the last must be full"
    ids = [r.info.run_id for r in out]
    assert len(ids) == len(set(ids)), "a run came back twice across pages"
    return out


def names(runs) -> set:
    return {r.info.run_name for r in runs}


FILTERS = [
    # metrics
    ("metrics.acc > 50", lambda r: r.metrics["acc"] > 50),
    ("metrics.acc >= 50", lambda r: r.metrics["acc"] >= 50),
    ("metrics.acc = 50", lambda r: r.metrics["acc"] == 50),
    ("metrics.acc = 50.0", lambda r: r.metrics["acc"] == 50),
    ("metrics.acc != 50", lambda r: r.metrics["acc"] != 50),
    ("metrics.acc < 10", lambda r: r.metrics["acc"] < 10),
    ("metrics.acc <= 10", lambda r: r.metrics["acc"] <= 10),
    ("metrics.acc > -1", lambda r: True),
    ("metrics.acc > 1e9", lambda r: False),
    ("metrics.acc = 12.25", lambda r: r.metrics["acc"] == 12.25),
    ("metrics.half < 10", lambda r: "half" in r.metrics and r.metrics["half"] < 10),
    ("metrics.half >= 0", lambda r: "half" in r.metrics),
    ("metrics.`my metric` = 3", lambda r: r.metrics["my metric"] == 3),
    ("metrics.loss > 100 and metrics.acc > 40", lambda r: r.metrics["loss"] > 100 and r.metrics["acc"] > 40),
    ("metrics.nonexistent > 0", lambda r: False),
    # params
    ("params.model = 'cnn'", lambda r: r.params["model"] == "cnn"),
    ("params.model != 'cnn'", lambda r: r.params["model"] != "cnn"),
    ("params.model LIKE 'c%'", lambda r: r.params["model"].startswith("c")),
    ("params.model LIKE '%nn'", lambda r: r.params["model"].endswith("nn")),
    ("params.model LIKE '_lp'", lambda r: r.params["model"] == "mlp"),
    ("params.letter LIKE 'A%'", lambda r: r.params["letter"] == "Alpha"),
    ("params.letter LIKE 'a%'", lambda r: r.params["letter"] == "alpha"),
    ("params.letter ILIKE 'A%'", lambda r: True),
    ("params.letter = 'ALPHA'", lambda r: False),
    ("params.opt IS NULL", lambda r: "opt" not in r.params),
    ("params.opt IS NOT NULL", lambda r: "opt" in r.params),
    ("params.opt = 'adam'", lambda r: r.params.get("opt") == "adam"),
    ("params.opt != 'adam'", lambda r: "opt" in r.params and r.params["opt"] != "adam"),
    ("params.`data set` = 'd1'", lambda r: r.params["data set"] == "d1"),
    ("params.lr = '0.1'", lambda r: r.params["lr"] == "0.1"),
    ('params.lr = "0.2"', lambda r: r.params["lr"] == "0.2"),
    # tags
    ("tags.group = 'g1'", lambda r: r.tags["group"] == "g1"),
    ("tags.group != 'g1'", lambda r: r.tags["group"] != "g1"),
    ("tags.group LIKE 'g%'", lambda r: True),
    ("tags.group ILIKE 'G2'", lambda r: r.tags["group"] == "g2"),
    ("tags.group LIKE 'G2'", lambda r: False),
    ("tags.note IS NULL", lambda r: "note" not in r.tags),
    ("tags.note IS NOT NULL", lambda r: "note" in r.tags),
    ("tags.`data.version` = 'v2'", lambda r: r.tags["data.version"] == "v2"),
    ("tags.mlflow.runName = 'run-005'", lambda r: r.name == "run-005"),
    ("tags.`mlflow.runName` LIKE 'Special-%'", lambda r: r.name.startswith("Special-")),
    # attributes
    ("attributes.run_name = 'run-007'", lambda r: r.name == "run-007"),
    ("attributes.run_name != 'run-007'", lambda r: r.name != "run-007"),
    ("attributes.run_name LIKE 'Special-%'", lambda r: r.name.startswith("Special-")),
    ("attributes.run_name ILIKE 'special-1%'", lambda r: r.name.startswith("Special-1")),
    ("run_name = 'run-008'", lambda r: r.name == "run-008"),
    ("attributes.status = 'FAILED'", lambda r: r.status == "FAILED"),
    ("attributes.status != 'RUNNING'", lambda r: r.status != "RUNNING"),
    ("status = 'FINISHED'", lambda r: r.status == "FINISHED"),
    (f"attributes.start_time >= {T0 + 150_000}", lambda r: r.start_time >= T0 + 150_000),
    (f"attributes.start_time < {T0 + 5_000}", lambda r: r.start_time < T0 + 5_000),
    (f"attributes.start_time = {T0 + 42_000}", lambda r: r.i == 42),
    # combinations
    ("params.model = 'cnn' and tags.group = 'g0' and metrics.acc < 30",
     lambda r: r.params["model"] == "cnn" and r.tags["group"] == "g0" and r.metrics["acc"] < 30),
    ("attributes.status = 'FAILED' AND params.opt IS NOT NULL",
     lambda r: r.status == "FAILED" and "opt" in r.params),
]


@pytest.mark.parametrize("flt,pred", FILTERS, ids=[f for f, _ in FILTERS])
def test_filter(client, population, flt, pred):
    exp, runs = population
    got = search_all(client, exp, flt)
    assert names(got) == {r.name for r in runs if pred(r)}


def test_run_id_in_and_not_in(client, population):
    exp, runs = population
    pick = [runs[3], runs[N // 2], runs[N - 1]]
    ids = ", ".join(f"'{r.run_id}'" for r in pick)
    got = search_all(client, exp, f"attributes.run_id IN ({ids})")
    assert names(got) == {r.name for r in pick}
    got = search_all(client, exp, f"attributes.run_id NOT IN ({ids})")
    assert names(got) == {r.name for r in runs} - {r.name for r in pick}
    got = search_all(client, exp, f"attributes.run_id = '{runs[10].run_id}'")
    assert [g.info.run_id for g in got] == [runs[10].run_id]


def test_returned_run_content(client, population):
    exp, runs = population
    r = runs[42]
    (got,) = client.search_runs([exp], f"attributes.run_name = '{r.name}'")
    assert got.info.run_id == r.run_id
    assert got.info.experiment_id == exp
    assert got.info.start_time == r.start_time
    assert got.info.status == r.status
    assert got.data.metrics == r.metrics
    assert got.data.params == r.params
    assert {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.")} == r.tags
    assert got.data.tags["mlflow.runName"] == r.name


# Every ordering here is total (start_time, acc, loss and run_name are unique),
# so the expected sequence is exact.
ORDERS = [
    (None, lambda r: -r.start_time),  # default: start_time DESC
    (["attributes.start_time DESC"], lambda r: -r.start_time),
    (["attributes.start_time ASC"], lambda r: r.start_time),
    (["start_time"], lambda r: r.start_time),
    (["metrics.acc DESC"], lambda r: -r.metrics["acc"]),
    (["metrics.acc ASC"], lambda r: r.metrics["acc"]),
    (["metrics.loss"], lambda r: r.metrics["loss"]),
    (["params.model ASC", "metrics.acc DESC"], lambda r: (r.params["model"], -r.metrics["acc"])),
    (["params.model DESC", "attributes.start_time ASC"],
     lambda r: (-sorted(MODELS).index(r.params["model"]), r.start_time)),
    (["tags.group DESC", "metrics.`my metric` ASC", "attributes.start_time ASC"],
     lambda r: (-int(r.tags["group"][1]), r.metrics["my metric"], r.start_time)),
    (["attributes.run_name ASC"], lambda r: r.name),
]


@pytest.mark.parametrize("order_by,key", ORDERS, ids=[str(o) for o, _ in ORDERS])
def test_order_by_and_paging(client, population, order_by, key):
    exp, runs = population
    expected = [r.name for r in sorted(runs, key=key)]
    got = [r.info.run_name for r in search_all(client, exp, "", order_by=order_by, page=37)]
    assert got == expected


def test_order_by_metric_missing_on_some_runs(client, population):
    """Runs without the metric come after all runs that have it, both ways."""
    exp, runs = population
    with_half = sorted((r for r in runs if "half" in r.metrics), key=lambda r: r.metrics["half"])
    for direction, ordered in (("ASC", with_half), ("DESC", with_half[::-1])):
        got = search_all(client, exp, "", order_by=[f"metrics.half {direction}"], page=50)
        assert len(got) == N
        assert [g.info.run_name for g in got[:len(ordered)]] == [r.name for r in ordered]
        assert {g.info.run_name for g in got[len(ordered):]} == \
            {r.name for r in runs if "half" not in r.metrics}


def test_paging_with_filter(client, population):
    exp, runs = population
    expected = [r.name for r in sorted(runs, key=lambda r: r.metrics["acc"]) if r.params["model"] == "rnn"]
    for page in (7, 100, 1000):
        got = search_all(client, exp, "params.model = 'rnn'", order_by=["metrics.acc ASC"], page=page)
        assert [g.info.run_name for g in got] == expected
    # max_results=1: walk the first few pages by hand.
    res = client.search_runs([exp], "params.model = 'rnn'", max_results=1, order_by=["metrics.acc ASC"])
    assert [r.info.run_name for r in res] == expected[:1] and res.token
    res2 = client.search_runs([exp], "params.model = 'rnn'", max_results=1,
                              order_by=["metrics.acc ASC"], page_token=res.token)
    assert [r.info.run_name for r in res2] == expected[1:2]
    # One page holding everything: no token.
    res = client.search_runs([exp], "", max_results=1000)
    assert len(res) == N and not res.token
    res = client.search_runs([exp], "metrics.acc > 1e9")
    assert len(res) == 0 and not res.token


def test_fluent_search_runs_dataframe(population):
    exp, runs = population
    df = mlflow.search_runs([exp], "params.model = 'mlp' and metrics.acc < 5",
                            order_by=["metrics.acc ASC"])
    expected = [r for r in runs if r.params["model"] == "mlp" and r.metrics["acc"] < 5]
    assert list(df["run_id"]) == [r.run_id for r in expected]
    assert list(df["metrics.acc"]) == [r.metrics["acc"] for r in expected]
    assert list(df["params.model"]) == ["mlp"] * len(expected)
    assert list(df["tags.group"]) == [r.tags["group"] for r in expected]
    assert list(df["status"]) == [r.status for r in expected]
    as_list = mlflow.search_runs([exp], "metrics.acc < 1", output_format="list")
    assert {r.info.run_name for r in as_list} == {r.name for r in runs if r.metrics["acc"] < 1}


def test_search_several_experiments(client, population, experiment_id):
    exp, runs = population
    other = client.create_run(experiment_id, run_name="other-exp-run")
    client.log_metric(other.info.run_id, "acc", 1000.0)
    got = search_all(client, exp, "metrics.acc > 74")
    assert names(got) == {r.name for r in runs if r.metrics["acc"] > 74}
    both = client.search_runs([exp, experiment_id], "metrics.acc > 74", max_results=1000)
    assert names(both) == {r.name for r in runs if r.metrics["acc"] > 74} | {"other-exp-run"}


def test_bad_filter_is_invalid_parameter_value(client, population):
    exp, _ = population
    from mlflow.exceptions import MlflowException

    for bad in ("metrics.acc >>> 1", "params.model < 'x'", "nonsense", "metrics.acc LIKE '1%'"):
        with pytest.raises(MlflowException) as ei:
            client.search_runs([exp], bad)
        assert ei.value.error_code == "INVALID_PARAMETER_VALUE", (bad, ei.value)


def test_view_types_after_delete_and_restore(client, experiment_id):
    ids = [client.create_run(experiment_id, run_name=f"v{i}").info.run_id for i in range(6)]
    client.delete_run(ids[0])
    client.delete_run(ids[1])

    def view(v):
        return {r.info.run_id for r in client.search_runs([experiment_id], "", run_view_type=v)}

    assert view(ViewType.ACTIVE_ONLY) == set(ids[2:])
    assert view(ViewType.DELETED_ONLY) == set(ids[:2])
    assert view(ViewType.ALL) == set(ids)
    deleted = client.get_run(ids[0])
    assert deleted.info.lifecycle_stage == "deleted"
    assert deleted.info.run_name == "v0"

    client.restore_run(ids[0])
    assert client.get_run(ids[0]).info.lifecycle_stage == "active"
    assert view(ViewType.ACTIVE_ONLY) == set(ids) - {ids[1]}
    assert view(ViewType.DELETED_ONLY) == {ids[1]}
    assert view(ViewType.ALL) == set(ids)
    # The fluent DataFrame search honours the view type too.
    df = mlflow.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert list(df["run_id"]) == [ids[1]]
