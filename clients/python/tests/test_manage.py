"""Run management through the Client against the real server: the trash,
editing one run or many, archived runs, a project's description."""
from __future__ import annotations

import pytest

import sextant


@pytest.fixture
def three_runs(run_factory, proj):
    ids = []
    for i in range(3):
        run = run_factory(run_id=f"r{i}", name=f"run {i}")
        run.log_metrics({"loss": float(i)}, step=0)
        assert run.close(timeout=30)
        ids.append(run.run_id)
    return ids


def listed(client, proj, **kw):
    return sorted(r["run_id"] for r in client.runs(proj, **kw))


def test_trash_and_restore(client, proj, three_runs):
    run = client.delete_run(proj, "r1")
    assert run["run_id"] == "r1"
    assert client.delete_run(proj, "r1")["run_id"] == "r1"  # idempotent
    assert listed(client, proj) == ["r0", "r2"]
    assert client.runs(proj).total == 2
    assert listed(client, proj, trashed="only") == ["r1"]
    assert listed(client, proj, trashed="include") == ["r0", "r1", "r2"]
    assert client.attributes(proj, "r1")["loss"]["count"] == 1  # still readable by id
    assert client.restore_run(proj, "r1")["run_id"] == "r1"
    assert listed(client, proj) == ["r0", "r1", "r2"]
    assert listed(client, proj, trashed="only") == []


def test_edit_one_run(client, proj, three_runs):
    client.edit_run(proj, "r0", name="baseline v2", description="Warmup *doubled*.",
                    add_tags=["baseline", "wip"])
    client.edit_run(proj, "r0", remove_tags="wip")
    attrs = client.attributes(proj, "r0")
    assert attrs["sys/name"]["value"] == "baseline v2"
    assert attrs["sys/description"]["value"] == "Warmup *doubled*."
    assert sorted(attrs["sys/tags"]["value"]) == ["baseline"]
    client.edit_run(proj, "r0", archived=True)
    assert listed(client, proj) == ["r1", "r2"]
    assert listed(client, proj, archived="only") == ["r0"]
    client.edit_run(proj, "r0", archived=False)
    assert listed(client, proj) == ["r0", "r1", "r2"]


def test_edit_many_runs_all_or_nothing(client, proj, three_runs):
    assert client.edit_runs(proj, three_runs, add_tags=["sweep-7"]) == 3
    with pytest.raises(sextant.ApiError) as info:
        client.edit_runs(proj, ["r0", "no-such-run"], trashed=True)
    assert info.value.status == 404 and "no-such-run" in info.value.message
    assert listed(client, proj) == ["r0", "r1", "r2"]  # nothing changed
    assert client.edit_runs(proj, ["r0", "r2"], trashed=True) == 2
    assert listed(client, proj) == ["r1"]
    assert client.edit_runs(proj, "r1", archived=True, remove_tags=["sweep-7"]) == 1
    assert listed(client, proj) == []
    assert listed(client, proj, trashed="include", archived="include") == three_runs
    assert listed(client, proj, trashed="only", archived="include") == ["r0", "r2"]
    assert client.attributes(proj, "r1").get("sys/tags", {}).get("value", []) == []
    assert sorted(client.attributes(proj, "r0")["sys/tags"]["value"]) == ["sweep-7"]


def test_project_description(client, proj, three_runs):
    r = client.set_project_description(proj, "LLM pretraining. **Owner:** data team.")
    assert r["project"] == proj and r["description"] == "LLM pretraining. **Owner:** data team."
    assert client.project(proj)["description"] == "LLM pretraining. **Owner:** data team."
    client.set_project_description(proj, "")
    assert client.project(proj)["description"] == ""


def test_arguments_are_checked_before_sending(client, proj):
    with pytest.raises(sextant.ValidationError, match="trashed must be one of"):
        client.runs(proj, trashed="yes")
    with pytest.raises(sextant.ValidationError, match="nothing to change"):
        client.edit_run(proj, "r0")
    with pytest.raises(sextant.ValidationError, match="nothing to change"):
        client.edit_runs(proj, ["r0"])
    with pytest.raises(sextant.ValidationError, match="archived must be True, False or None"):
        client.edit_run(proj, "r0", archived="yes")
    with pytest.raises(sextant.ValidationError, match="64 KiB"):
        client.edit_run(proj, "r0", description="x" * (64 * 1024 + 1))


def test_an_unknown_run_is_a_404(client, proj, three_runs):
    for call in (lambda: client.delete_run(proj, "nope"), lambda: client.restore_run(proj, "nope"),
                 lambda: client.edit_run(proj, "nope", name="x")):
        with pytest.raises(sextant.ApiError) as info:
            call()
        assert info.value.status == 404


def test_unknown_filter_paths_are_named(client, proj, three_runs):
    # A config logged as "lr" is not "config/lr": the table says so.
    runs = client.runs(proj, filter="config/loss < 1")
    assert len(runs) == 0 and runs.unknown_paths == {"config/loss": "loss"}
    assert client.runs(proj, filter="loss < 1").unknown_paths == {}
    by_min = client.runs(proj, sort="-max(loss)", columns=["max(loss)"])
    assert [r["run_id"] for r in by_min] == ["r2", "r1", "r0"]
    assert by_min[0]["attributes"] == {"max(loss)": 2.0}


def test_purge_run(client, proj, three_runs):
    with pytest.raises(sextant.ApiError) as e:
        client.purge_run(proj, "r1")
    assert e.value.status == 409
    client.delete_run(proj, "r1")
    client.purge_run(proj, "r1")
    assert listed(client, proj, trashed="include") == ["r0", "r2"]
