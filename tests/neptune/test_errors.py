"""Refusals as neptune-scale sees them: a type conflict reported through
ingest/check while the rest of the batch is stored; a bad token (401 at the
token exchange: the client stops); a token without the project role (403 on
ingest: the client stops); a malformed protobuf body (400, nothing stored).
"""
from __future__ import annotations

import json
import time

import pytest

from conftest import (
    OTHER_PROJECT,
    PROJECT,
    NeptuneHttp,
    code_summary,
    finish,
    finish_clean,
    make_neptune_token,
    open_run,
    run_operation_create,
    run_operation_update,
    step_of,
    timestamp_of,
    unique,
)


def wait_stopped(nr, timeout: float = 45) -> bool:
    """For a run the client is expected to stop on: waits for its operations,
    then terminates it. False when they were not all processed (a client that
    stopped returns at once; one that keeps retrying takes the timeout)."""
    ok = nr.run.wait_for_processing(timeout=timeout, verbose=False)
    time.sleep(1)  # the errors monitor delivers what the sync process reported
    nr.run.terminate()
    return ok


# -- type conflicts -----------------------------------------------------------------

def test_type_conflict_reported_rest_stored(server, native):
    nr = open_run()
    nr.run.log_configs({"cfg/x": 1.5, "cfg/ok_before": "kept"})
    nr.run.log_metrics({"m/series": 1.0, "m/other": 10.0}, step=1)
    # the same paths with another type, in the same batch as good items
    nr.run.log_configs({"cfg/x": "now a string", "cfg/ok_after": 3})
    nr.run.log_string_series({"m/series": "not a float", "s/fine": "fine"}, step=2)
    nr.run.log_metrics({"m/other": 20.0}, step=2)
    ok = finish(nr)
    assert ok, f"the client did not get every operation confirmed: {nr.errors}\n{server.log_tail()}"
    kinds = nr.error_types()
    assert "NeptuneAttributeTypeMismatch" in kinds, nr.errors
    assert set(kinds) == {"NeptuneAttributeTypeMismatch"}, nr.errors
    assert all(kind == "error" for kind, _ in nr.errors), nr.errors  # errors, not fatal: the run went on

    attrs = native.attributes(nr.run_id)
    assert attrs["cfg/x"]["type"] == "float" and attrs["cfg/x"]["value"] == 1.5
    assert attrs["cfg/ok_before"]["value"] == "kept"
    assert attrs["cfg/ok_after"]["value"] == 3
    assert attrs["m/series"]["type"] == "float_series"
    s = native.series(nr.run_id, "m/series")
    assert s["steps"] == [1] and s["values"] == [1.0]
    assert native.series(nr.run_id, "s/fine")["values"] == ["fine"]
    assert native.series(nr.run_id, "m/other")["values"] == [10.0, 20.0]


def test_type_conflict_across_runs_of_a_session(server, native):
    """The type is fixed by the first write even when the conflicting one comes
    in a later session of the run."""
    first = open_run()
    first.run.log_metrics({"m/t": 1.0}, step=1)
    finish_clean(first, server)
    again = open_run(first.run_id)
    again.run.log_configs({"m/t": "string now", "cfg/other": 1})
    assert finish(again)
    assert again.error_types() == ["NeptuneAttributeTypeMismatch"], again.errors
    attrs = native.attributes(first.run_id)
    assert attrs["m/t"]["type"] == "float_series"
    assert attrs["cfg/other"]["value"] == 1


def test_raw_type_conflict_in_check_status(server, native, nhttp):
    """ingest/check: the refused item as a non-OK count with detail
    FIELD_TYPE_CONFLICTING; the other items of the operation are stored."""
    from neptune_api.proto.neptune_pb.ingest.v1.common_pb2 import UpdateRunSnapshot, Value

    run_id = unique("raw-conflict")
    rid_create = nhttp.submit(run_operation_create(run_id))
    snaps = [UpdateRunSnapshot(timestamp=timestamp_of(time.time()),
                               assign={"cfg/c": Value(float64=1.0), "cfg/d": Value(int64=4)}),
             UpdateRunSnapshot(timestamp=timestamp_of(time.time()),
                               assign={"cfg/c": Value(string="x"), "cfg/e": Value(bool=True)})]
    rid = nhttp.submit(run_operation_update(run_id, snaps))
    statuses = nhttp.check([rid_create, rid]).statuses
    assert len(statuses) == 2
    assert all(code != "OK" or detail == "OK" for code, _, detail in code_summary(statuses[0])), \
        code_summary(statuses[0])
    summary = code_summary(statuses[1])
    assert not any(code == "UNAVAILABLE" for code, _, _ in summary), summary
    refused = [(code, count, detail) for code, count, detail in summary if code != "OK"]
    assert refused and all(detail == "FIELD_TYPE_CONFLICTING" for _, _, detail in refused), summary
    attrs = native.attributes(run_id)
    assert attrs["cfg/c"]["value"] == 1.0
    assert attrs["cfg/d"]["value"] == 4 and attrs["cfg/e"]["value"] is True


# -- credentials -------------------------------------------------------------------------

def test_bad_token_stops_the_client(server, native):
    bad = make_neptune_token(server.url, "sxt_not_a_real_token")
    nr = open_run(api_token=bad)
    nr.run.log_configs({"cfg/a": 1})
    assert not wait_stopped(nr), "a run with a bad token was processed"
    assert "NeptuneInvalidCredentialsError" in nr.error_types(), nr.errors
    assert native.run(nr.run_id) is None


def test_bad_token_exchange_is_401(server):
    h = NeptuneHttp(server.url, make_neptune_token(server.url, "sxt_not_a_real_token"))
    status, _, _ = h.exchange()
    assert status == 401
    for garbage in ("not base64 at all", "e30=",  # {} without api_key
                    make_neptune_token(server.url, "")):
        status, _, _ = h.exchange(garbage)
        assert status in (400, 401), (garbage, status)
    status, _, _ = h.request("GET", "/api/backend/v1/authorization/oauth-token", bearer=None)
    assert status in (400, 401)


def test_ingest_without_or_with_a_forged_bearer_is_401(server, nhttp):
    op = run_operation_create(unique("nobearer"))
    status, _, _ = nhttp.ingest(op, bearer=None)
    assert status == 401
    # the JWT shape, exp far in the future, but not signed by the server
    import base64

    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    forged = b64({"alg": "HS256", "typ": "JWT"}) + "." + b64({"exp": 4102444800, "sub": "owner"}) + ".c2ln"
    status, _, _ = nhttp.ingest(op, bearer=forged)
    assert status == 401
    # an unknown token of Sextant's own form
    status, _, _ = nhttp.ingest(op, bearer="sxt_not_a_real_token")
    assert status == 401


def test_viewer_is_refused_with_403_and_the_client_stops(server, native):
    nr = open_run(api_token=server.require('viewer_token'))
    nr.run.log_configs({"cfg/a": 1})
    assert not wait_stopped(nr), "a viewer's run was processed"
    assert "NeptuneUnauthorizedError" in nr.error_types(), nr.errors
    assert native.run(nr.run_id) is None


def test_viewer_raw_ingest_is_403(server):
    h = NeptuneHttp(server.url, server.require('viewer_token'))
    status, _, raw = h.ingest(run_operation_create(unique("viewer-raw")))
    assert status == 403, raw


def test_user_without_a_role_stops_the_client(server, native):
    """A valid token of an account without a role on the project: the client
    must stop (403 on ingest, or 401 at the token exchange), not retry."""
    nr = open_run(api_token=server.require('outsider_token'))
    nr.run.log_configs({"cfg/a": 1})
    assert not wait_stopped(nr)
    assert {"NeptuneUnauthorizedError", "NeptuneInvalidCredentialsError"} & set(nr.error_types()), \
        f"the client did not stop (it retries a 403 from oauth-token, a 404 or a 5xx): {nr.errors}"
    assert native.run(nr.run_id) is None


def test_token_exchange_never_answers_403(server):
    """neptune-api retries a token exchange that fails with anything but 401
    (UnableToExchangeApiKeyError): a 403 there keeps a client retrying for
    good. A token whose account lacks the role is exchanged (ingest then
    answers 403) or refused with 401."""
    for token in (server.require('outsider_token'), server.require('viewer_token'), server.neptune_token):
        status, _, raw = NeptuneHttp(server.url, token).exchange()
        assert status in (200, 401), (status, raw[:300])


def test_token_limited_to_its_project(server, native):
    """The owner's Neptune token is limited to PROJECT: writing to another
    project of the same server is a 403."""
    nr = open_run(project=OTHER_PROJECT)
    nr.run.log_configs({"cfg/a": 1})
    assert not wait_stopped(nr)
    assert "NeptuneUnauthorizedError" in nr.error_types(), nr.errors
    assert native.run(nr.run_id, project=OTHER_PROJECT) is None
    status, _, _ = NeptuneHttp(server.url, server.neptune_token).ingest(
        run_operation_create(unique("other"), project=OTHER_PROJECT))
    assert status == 403


@pytest.mark.reads
def test_viewer_can_read(server, nq, nq_as):
    exp = unique("exp-viewer-reads")
    nr = open_run(experiment_name=exp)
    nr.run.log_metrics({"m/v": 1.0}, step=1)
    finish_clean(nr, server)
    nq_as(server.require('viewer_token'))
    df = nq.fetch_metrics(experiments=[exp], attributes=["m/v"])
    assert list(df["m/v"]) == [1.0]


# -- malformed requests ------------------------------------------------------------------------

def test_malformed_protobuf_is_400_and_stores_nothing(server, native, nhttp):
    before = native.run_ids()
    for body in (b"\xff\xff\xff\xff not a protobuf", b"\x0a\x05ab",  # truncated field
                 b"\x12\x04run1"):  # run_id only: no project, no operation
        status, headers, raw = nhttp.ingest(body)
        assert status == 400, (body, status, raw[:200])
    assert native.run_ids() == before


def test_operation_without_project_or_operation_is_400(server, native, nhttp):
    from neptune_api.proto.neptune_pb.ingest.v1.pub.ingest_pb2 import RunOperation

    before = native.run_ids()
    for op in (RunOperation(project=PROJECT, run_id=unique("noop")),
               RunOperation(run_id=unique("noproject"), create=run_operation_create("x").create),
               RunOperation(project="no-slash", run_id=unique("badproject"),
                            create=run_operation_create("x").create)):
        status, _, raw = nhttp.ingest(op)
        assert status == 400, (op, status, raw[:200])
    assert native.run_ids() == before


def test_check_of_an_unknown_request_id_is_terminal(server, nhttp):
    """The client polls until no UNAVAILABLE is left: an id the server never
    issued must get a final answer, not 'still processing'."""
    status = nhttp.check(["not-an-id-of-this-server"]).statuses
    assert len(status) == 1
    assert not any(code == "UNAVAILABLE" for code, _, _ in code_summary(status[0]))


def test_resent_operation_is_idempotent(server, native, nhttp):
    """What neptune-scale does after a crash or a lost confirmation: the same
    RunOperations again, byte for byte."""
    from neptune_api.proto.neptune_pb.ingest.v1.common_pb2 import (
        SET_OPERATION,
        ModifySet,
        ModifyStringSet,
        UpdateRunSnapshot,
        Value,
    )

    run_id = unique("resent")
    create = run_operation_create(run_id)
    t = time.time()
    snaps = [UpdateRunSnapshot(timestamp=timestamp_of(t), assign={"cfg/a": Value(int64=1)}),
             UpdateRunSnapshot(timestamp=timestamp_of(t),
                               modify_sets={"sys/tags": ModifySet(string=ModifyStringSet(
                                   values={"x": SET_OPERATION.ADD, "y": SET_OPERATION.ADD}))})]
    for i in range(100):
        snaps.append(UpdateRunSnapshot(step=step_of(i / 4), timestamp=timestamp_of(t + i),
                                       append={"m/r": Value(float64=i * 1.5), "s/r": Value(string=f"p{i}")}))
    update = run_operation_update(run_id, snaps)
    ids = []
    for _ in range(3):
        ids.append(nhttp.submit(create))
        ids.append(nhttp.submit(update))
    for st in nhttp.check(ids).statuses:
        summary = code_summary(st)
        # OK, or Neptune's warnings for a duplicate; nothing fatal or pending
        assert all(code == "OK" or detail in ("SERIES_POINT_DUPLICATE", "RUN_DUPLICATE")
                   for code, _, detail in summary), summary
    s = native.series(run_id, "m/r")
    assert s["steps"] == [i / 4 for i in range(100)]
    assert s["values"] == [i * 1.5 for i in range(100)]
    assert native.attributes(run_id)["m/r"]["count"] == 100
    assert native.series(run_id, "s/r")["values"] == [f"p{i}" for i in range(100)]
    assert native.attributes(run_id)["sys/tags"]["value"] == ["x", "y"]
    assert [r["run_id"] for r in native.runs(filter=f'sys/id = "{run_id}"')] == [run_id]
