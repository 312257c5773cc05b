"""Long metric histories: 100,000 points logged with log_batch in chunks of
1,000, read back complete and exact; and the sampled
metrics/get-history-bulk-interval endpoint (no public client method calls it
in mlflow 3.17, the UI does: checked with raw HTTP)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

from conftest import assert_mlflow_error

# The module's data is made in the first test's setup: allow for a slow,
# shared machine.
pytestmark = pytest.mark.timeout(300)

POINTS = 100_000
CHUNK = 1_000
T0 = 1_650_000_000_000
BULK = "/api/2.0/mlflow/metrics/get-history-bulk-interval"


def value(i: int) -> float:
    # Values that need all 17 significant digits to round-trip.
    return i / 3 - 1e-7 * i * i + (0.1 if i % 2 else -0.7)


@pytest.fixture(scope="module")
def long_run(target):
    client = MlflowClient(tracking_uri=target.url)
    exp = client.create_experiment(f"compat-history-{target.port}-{id(client)}")
    rid = client.create_run(exp, run_name="long").info.run_id

    def chunk(start: int) -> None:
        client.log_batch(rid, metrics=[Metric("big", value(i), T0 + i, i)
                                       for i in range(start, start + CHUNK)])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(chunk, range(0, POINTS, CHUNK)))
    client.log_batch(rid, metrics=[Metric("small", float(i), T0 + i, i * 10) for i in range(50)])
    return exp, rid


def test_full_history_exact(client, long_run):
    _, rid = long_run
    hist = client.get_metric_history(rid, "big")
    assert len(hist) == POINTS
    assert [m.step for m in hist] == list(range(POINTS))
    assert all(m.key == "big" for m in hist)
    bad = [(m.step, m.value, value(m.step)) for m in hist if m.value != value(m.step)]
    assert not bad, f"{len(bad)} values differ, first: {bad[:3]}"
    assert [m.timestamp for m in hist] == [T0 + i for i in range(POINTS)]
    r = client.get_run(rid)
    assert r.data.metrics["big"] == value(POINTS - 1)
    assert r.data.metrics["small"] == 49.0


def test_bulk_interval_shape_and_sampling(http, long_run):
    _, rid = long_run
    r = http.get(BULK, params={"run_ids": rid, "metric_key": "big", "max_results": 10})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"metrics"}
    pts = body["metrics"]
    assert 2 <= len(pts) <= 10
    for p in pts:
        assert set(p) == {"key", "value", "timestamp", "step", "run_id"}, p
        assert p["key"] == "big" and p["run_id"] == rid
        assert p["value"] == value(p["step"]) and p["timestamp"] == T0 + p["step"]
    steps = [p["step"] for p in pts]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert steps[0] == 0 and steps[-1] == POINTS - 1  # first and last are kept


def test_bulk_interval_step_range_and_several_runs(http, client, long_run):
    exp, rid = long_run
    r = http.get(BULK, params={"run_ids": rid, "metric_key": "big", "max_results": 50,
                               "start_step": 1000, "end_step": 2000})
    assert r.status_code == 200, r.text
    steps = [p["step"] for p in r.json()["metrics"]]
    assert 2 <= len(steps) <= 50
    assert all(1000 <= s <= 2000 for s in steps)
    assert steps[0] == 1000 and steps[-1] == 2000

    other = client.create_run(exp).info.run_id
    client.log_batch(other, metrics=[Metric("big", float(i), T0, i) for i in range(5)])
    r = http.get(BULK, params={"run_ids": [rid, other], "metric_key": "big", "max_results": 20})
    assert r.status_code == 200, r.text
    by_run = {}
    for p in r.json()["metrics"]:
        by_run.setdefault(p["run_id"], []).append(p["step"])
    assert set(by_run) == {rid, other}
    assert by_run[other] == [0, 1, 2, 3, 4]  # fewer points than max_results: all of them

    # Small series: every point comes back.
    r = http.get(BULK, params={"run_ids": rid, "metric_key": "small", "max_results": 100})
    assert [p["step"] for p in r.json()["metrics"]] == [i * 10 for i in range(50)]


def test_bulk_interval_errors(http, long_run):
    _, rid = long_run
    assert_mlflow_error(http.get(BULK, params={"metric_key": "big"}), 400, "INVALID_PARAMETER_VALUE")
    assert_mlflow_error(http.get(BULK, params={"run_ids": rid, "metric_key": "big",
                                               "start_step": 5}), 400, "INVALID_PARAMETER_VALUE")
    assert_mlflow_error(http.get(BULK, params={"run_ids": rid, "metric_key": "big",
                                               "start_step": 9, "end_step": 5}),
                        400, "INVALID_PARAMETER_VALUE")


def test_history_of_unknown_metric_and_run(client, long_run):
    _, rid = long_run
    assert client.get_metric_history(rid, "nope") == []
    # mlflow answers an unknown run's history with an empty list, not an error.
    assert client.get_metric_history("f" * 32, "big") == []
