"""Experiments: create/get/search/rename/tags/delete/restore through MlflowClient."""
from __future__ import annotations

import time
import uuid

import mlflow
import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def prefix() -> str:
    return "exps" + uuid.uuid4().hex[:12]


@pytest.fixture
def five(client, prefix):
    """Five experiments P-a..P-e; tags team x/y alternating and rank = index."""
    ids = {}
    for i, s in enumerate("abcde"):
        ids[s] = client.create_experiment(f"{prefix}-{s}",
                                          tags={"team": "x" if i % 2 == 0 else "y", "rank": str(i)})
    return ids


def search_names(client, **kw) -> list[str]:
    return [e.name for e in client.search_experiments(**kw)]


def test_default_experiment(client):
    exp = client.get_experiment("0")
    assert exp.experiment_id == "0"
    assert exp.name == "Default"
    assert exp.lifecycle_stage == "active"
    assert exp.artifact_location
    assert client.get_experiment_by_name("Default").experiment_id == "0"
    assert "Default" in search_names(client, filter_string="name = 'Default'")


def test_create_and_get(client, prefix):
    before = now_ms()
    eid = client.create_experiment(f"{prefix}-one", tags={"k": "v", "a.b": "c d"})
    after = now_ms()
    assert isinstance(eid, str) and eid and eid != "0"
    exp = client.get_experiment(eid)
    assert exp.experiment_id == eid
    assert exp.name == f"{prefix}-one"
    assert exp.lifecycle_stage == "active"
    assert exp.tags == {"k": "v", "a.b": "c d"}
    assert exp.artifact_location
    assert before - 5_000 <= exp.creation_time <= after + 5_000
    assert exp.last_update_time >= exp.creation_time
    same = client.get_experiment_by_name(f"{prefix}-one")
    assert same.experiment_id == eid and same.tags == exp.tags
    assert client.get_experiment_by_name(f"{prefix}-missing") is None


def test_search_by_name(client, prefix, five):
    assert search_names(client, filter_string=f"name = '{prefix}-c'") == [f"{prefix}-c"]
    assert sorted(search_names(client, filter_string=f"name LIKE '{prefix}-%'")) == \
        [f"{prefix}-{s}" for s in "abcde"]
    assert search_names(client, filter_string=f"name LIKE '{prefix.upper()}-%'") == []
    assert sorted(search_names(client, filter_string=f"name ILIKE '{prefix.upper()}-%'")) == \
        [f"{prefix}-{s}" for s in "abcde"]
    assert sorted(search_names(client, filter_string=f"name LIKE '{prefix}-%' and name != '{prefix}-a'")) == \
        [f"{prefix}-{s}" for s in "bcde"]
    assert search_names(client, filter_string=f"name = '{prefix}-zzz'") == []


def test_search_by_tags(client, prefix, five):
    got = search_names(client, filter_string=f"name LIKE '{prefix}-%' and tags.team = 'x'",
                       order_by=["name ASC"])
    assert got == [f"{prefix}-a", f"{prefix}-c", f"{prefix}-e"]
    got = search_names(client, filter_string=f"name LIKE '{prefix}-%' and tags.team != 'x'",
                       order_by=["name ASC"])
    assert got == [f"{prefix}-b", f"{prefix}-d"]
    got = search_names(client, filter_string=f"tags.rank = '3' and name LIKE '{prefix}%'")
    assert got == [f"{prefix}-d"]
    got = search_names(client, filter_string=f"name LIKE '{prefix}-%' and tags.team LIKE 'y%'",
                       order_by=["name DESC"])
    assert got == [f"{prefix}-d", f"{prefix}-b"]


def test_search_order_and_paging(client, prefix, five):
    flt = f"name LIKE '{prefix}-%'"
    assert search_names(client, filter_string=flt, order_by=["name DESC"]) == \
        [f"{prefix}-{s}" for s in "edcba"]
    assert search_names(client, filter_string=flt, order_by=["name ASC"]) == \
        [f"{prefix}-{s}" for s in "abcde"]
    ids = [e.experiment_id for e in client.search_experiments(filter_string=flt,
                                                              order_by=["experiment_id ASC"])]
    assert ids == sorted(ids, key=int)
    # e was created last (ties in creation_time fall back to name DESC)
    assert search_names(client, filter_string=flt,
                        order_by=["creation_time DESC", "name DESC"])[0] == f"{prefix}-e"

    pages, token = [], None
    while True:
        page = client.search_experiments(filter_string=flt, order_by=["name ASC"], max_results=2,
                                         page_token=token)
        pages.append([e.name for e in page])
        token = page.token
        if not token:
            break
    assert pages == [[f"{prefix}-a", f"{prefix}-b"], [f"{prefix}-c", f"{prefix}-d"], [f"{prefix}-e"]]


def test_rename(client, prefix):
    eid = client.create_experiment(f"{prefix}-old")
    created = client.get_experiment(eid)
    client.rename_experiment(eid, f"{prefix}-new")
    exp = client.get_experiment(eid)
    assert exp.name == f"{prefix}-new"
    assert exp.last_update_time >= created.last_update_time
    assert client.get_experiment_by_name(f"{prefix}-old") is None
    assert client.get_experiment_by_name(f"{prefix}-new").experiment_id == eid
    other = client.create_experiment(f"{prefix}-other")
    with pytest.raises(MlflowException) as ei:
        client.rename_experiment(other, f"{prefix}-new")
    # mlflow's SQL store leaks the integrity error as BAD_REQUEST; a clean
    # RESOURCE_ALREADY_EXISTS or INVALID_PARAMETER_VALUE is as good.
    assert ei.value.error_code in ("RESOURCE_ALREADY_EXISTS", "INVALID_PARAMETER_VALUE",
                                   "BAD_REQUEST")
    assert client.get_experiment(other).name == f"{prefix}-other"


def test_experiment_tags(client, prefix):
    eid = client.create_experiment(f"{prefix}-tags")
    assert client.get_experiment(eid).tags == {}
    client.set_experiment_tag(eid, "k1", "v1")
    client.set_experiment_tag(eid, "k2", "v2")
    client.set_experiment_tag(eid, "k1", "v1b")  # experiment tags may be overwritten
    assert client.get_experiment(eid).tags == {"k1": "v1b", "k2": "v2"}
    client.delete_experiment_tag(eid, "k1")
    assert client.get_experiment(eid).tags == {"k2": "v2"}
    mlflow.set_experiment(experiment_id=eid)
    mlflow.set_experiment_tags({"f1": "x", "f2": "y"})
    assert client.get_experiment(eid).tags == {"k2": "v2", "f1": "x", "f2": "y"}


def test_delete_and_restore(client, prefix, five):
    eid = five["b"]
    run = client.create_run(eid, run_name="in-deleted")
    client.delete_experiment(eid)
    exp = client.get_experiment(eid)
    assert exp.lifecycle_stage == "deleted"
    assert exp.name == f"{prefix}-b"
    flt = f"name LIKE '{prefix}-%'"
    assert sorted(search_names(client, filter_string=flt)) == [f"{prefix}-{s}" for s in "acde"]
    assert search_names(client, filter_string=flt, view_type=ViewType.DELETED_ONLY) == [f"{prefix}-b"]
    assert sorted(search_names(client, filter_string=flt, view_type=ViewType.ALL)) == \
        [f"{prefix}-{s}" for s in "abcde"]
    # Runs of a deleted experiment are deleted with it.
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    # The name stays taken while the experiment is deleted.
    with pytest.raises(MlflowException) as ei:
        client.create_experiment(f"{prefix}-b")
    assert ei.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException):
        mlflow.set_experiment(f"{prefix}-b")

    client.restore_experiment(eid)
    assert client.get_experiment(eid).lifecycle_stage == "active"
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"
    assert sorted(search_names(client, filter_string=flt)) == [f"{prefix}-{s}" for s in "abcde"]
    assert mlflow.set_experiment(f"{prefix}-b").experiment_id == eid


def test_errors(client, prefix):
    eid = client.create_experiment(f"{prefix}-dup")
    with pytest.raises(MlflowException) as ei:
        client.create_experiment(f"{prefix}-dup")
    assert ei.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert f"{prefix}-dup" in ei.value.message

    with pytest.raises(MlflowException) as ei:
        client.get_experiment("987654321")
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    with pytest.raises(MlflowException) as ei:
        client.delete_experiment("987654321")
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    with pytest.raises(MlflowException) as ei:
        client.create_experiment("")
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"

    with pytest.raises(MlflowException) as ei:
        client.search_experiments(filter_string="name ~ 'x'")
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_experiment(eid).name == f"{prefix}-dup"
