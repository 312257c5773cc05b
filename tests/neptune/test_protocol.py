"""The Neptune endpoints neptune-scale needs, driven by hand: the shapes the
client parses (a missing key is a crash in the client, not a soft error).

Order the client uses (each of its three sync threads does the first three):
GET clients/config → GET the OpenID discovery URL it names → GET oauth-token
with X-Neptune-Api-Token → bearer calls (ingest, ingest/check, signedUrl).
"""
from __future__ import annotations

import base64
import json
import time
import urllib.parse

from conftest import (
    OTHER_PROJECT,
    PROJECT,
    NeptuneHttp,
    code_summary,
    decode_neptune_token,
    run_operation_create,
    unique,
)


def jwt_claims(token: str) -> dict:
    parts = token.split(".")
    assert len(parts) == 3, f"not a JWT: {token[:40]}"
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def test_token_minted_by_the_cli(server):
    body = decode_neptune_token(server.neptune_token)
    assert body["api_url"] == server.url and body["api_address"] == server.url
    assert isinstance(body["api_key"], str) and body["api_key"]


def test_client_config(server, nhttp):
    status, headers, raw = nhttp.request("GET", "/api/backend/v1/clients/config", bearer=None)
    assert status == 200, raw
    assert headers["content-type"].startswith("application/json")
    cfg = json.loads(raw)
    assert isinstance(cfg["apiUrl"], str) and cfg["apiUrl"]
    assert isinstance(cfg["pyLibVersions"], dict)
    assert isinstance(cfg["security"]["clientId"], str) and cfg["security"]["clientId"]
    discovery = cfg["security"]["openIdDiscovery"]
    assert discovery.startswith("http://") or discovery.startswith("https://")
    status, _, raw = nhttp.request("GET", discovery, bearer=None)
    assert status == 200, raw
    urls = json.loads(raw)
    assert "authorization_endpoint" in urls
    assert urllib.parse.urlparse(urls["token_endpoint"]).scheme in ("http", "https")


def test_token_exchange_and_refresh(server, nhttp):
    status, headers, raw = nhttp.exchange()
    assert status == 200, raw
    tok = json.loads(raw)
    assert set(tok) >= {"accessToken", "refreshToken", "username"}
    claims = jwt_claims(tok["accessToken"])
    assert isinstance(claims["exp"], (int, float))
    # neptune-api refreshes 30 s before exp: a shorter life means a refresh per request
    assert claims["exp"] > time.time() + 60

    _, _, raw = nhttp.request("GET", "/api/backend/v1/clients/config", bearer=None)
    cfg = json.loads(raw)
    _, _, raw = nhttp.request("GET", cfg["security"]["openIdDiscovery"], bearer=None)
    token_endpoint = json.loads(raw)["token_endpoint"]
    form = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": tok["refreshToken"],
                                   "client_id": cfg["security"]["clientId"], "expires_in": "-0.5"}).encode()
    status, _, raw = nhttp.request("POST", token_endpoint, data=form, bearer=None,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, raw
    refreshed = json.loads(raw)
    assert jwt_claims(refreshed["access_token"])["exp"] > time.time() + 60
    assert isinstance(refreshed["refresh_token"], str) and refreshed["refresh_token"]
    # the refreshed access token works
    rid = NeptuneHttp(server.url, server.neptune_token)
    rid._access = refreshed["access_token"]
    assert rid.submit(run_operation_create(unique("refreshed")))


def test_ingest_answers_request_ids_and_check_confirms(server, native, nhttp):
    from neptune_api.proto.neptune_pb.ingest.v1.pub.client_pb2 import SubmitResponse

    run_id = unique("raw")
    status, headers, raw = nhttp.ingest(run_operation_create(run_id, experiment_id=unique("exp-raw")))
    assert status == 200, raw
    resp = SubmitResponse.FromString(raw)
    assert resp.request_ids and resp.request_ids[-1]
    statuses = nhttp.check(list(resp.request_ids)).statuses
    assert len(statuses) == len(resp.request_ids)
    for st in statuses:
        assert all(code == "OK" for code, _, _ in code_summary(st)), code_summary(st)
    assert native.run(run_id) is not None


def test_check_keeps_the_order_of_ids(server, nhttp):
    from neptune_api.proto.neptune_pb.ingest.v1.common_pb2 import UpdateRunSnapshot, Value

    from conftest import run_operation_update, timestamp_of

    run_id = unique("order")
    ok_id = nhttp.submit(run_operation_create(run_id))
    bad = run_operation_update(run_id, [UpdateRunSnapshot(timestamp=timestamp_of(time.time()),
                                                          assign={"sys/state": Value(string="x")})])
    bad_id = nhttp.submit(bad)
    st = nhttp.check([bad_id, ok_id, bad_id]).statuses
    assert len(st) == 3
    assert any(code != "OK" for code, _, _ in code_summary(st[0])), code_summary(st[0])
    assert all(code == "OK" for code, _, _ in code_summary(st[1])), code_summary(st[1])
    assert code_summary(st[2]) == code_summary(st[0])


def test_check_needs_a_role_on_the_project(server, nhttp):
    from neptune_api.proto.neptune_pb.ingest.v1.pub.client_pb2 import RequestId, RequestIdList

    body = RequestIdList(ids=[RequestId(value="x")]).SerializeToString()
    status, _, _ = nhttp.request("POST", "/api/client/v1/ingest/check?projectIdentifier="
                                 + urllib.parse.quote(OTHER_PROJECT, safe=""), data=body,
                                 headers={"Content-Type": "application/x-protobuf"})
    assert status == 403


def test_signed_url_and_upload(server, nhttp):
    """signedUrl answers every path it was asked for, with a URL that takes
    a plain PUT without credentials (they are in the URL) and answers an ETag."""
    path = f"{unique('raw-run')}/f_a-0000000000000000/none/{unique('file')}.bin"
    req = {"files": [{"path": path, "permission": "write", "project_identifier": PROJECT, "size": 5}]}
    status, headers, raw = nhttp.request("POST", "/api/storagebridge/v1/signedUrl",
                                         data=json.dumps(req).encode(),
                                         headers={"Content-Type": "application/json"})
    assert status == 200, raw
    files = json.loads(raw)["files"]
    assert len(files) == 1
    f = files[0]
    assert f["path"] == path and f["project_identifier"] == PROJECT
    assert f["provider"] in ("aws", "azure", "gcp")
    assert f["provider"] == "aws", "Sextant speaks the S3 flavour (single PUT, optional multipart)"
    assert not f.get("multipart"), "a 5-byte file needs no multipart upload"
    status, headers, raw = nhttp.request("PUT", f["url"], data=b"hello", bearer=None,
                                         headers={"Content-Type": "application/octet-stream"})
    assert status // 100 == 2, raw
    assert headers.get("etag", "").strip('"'), headers
    # the URL is the credential: it is bound to its path
    tampered = f["url"].replace("sig=", "sig=0").replace("signature=", "signature=0")
    if tampered != f["url"]:
        status, _, _ = nhttp.request("PUT", tampered, data=b"hello", bearer=None,
                                     headers={"Content-Type": "application/octet-stream"})
        assert status in (401, 403)


def test_signed_url_needs_a_role_on_the_project(server, nhttp):
    req = {"files": [{"path": "r/a/none/x.bin", "permission": "write", "project_identifier": OTHER_PROJECT,
                      "size": 1}]}
    status, _, _ = nhttp.request("POST", "/api/storagebridge/v1/signedUrl", data=json.dumps(req).encode(),
                                 headers={"Content-Type": "application/json"})
    assert status == 403


def test_ingest_takes_150k_snapshots_in_one_request(server, native, nhttp):
    """neptune-scale packs consecutive snapshots into requests of up to 16 MiB
    whatever their number (`neptune sync` of a killed run's log sent 100,001
    in one request; one float metric is ~40 bytes a snapshot, so 16 MiB holds
    ~400,000). Refusing such a request makes the client retry it forever."""
    from neptune_api.proto.neptune_pb.ingest.v1.common_pb2 import UpdateRunSnapshot, Value

    from conftest import run_operation_update, step_of, timestamp_of

    run_id = unique("many-snapshots")
    ids = [nhttp.submit(run_operation_create(run_id))]
    t = time.time()
    n = 150_000
    snaps = [UpdateRunSnapshot(step=step_of(i), timestamp=timestamp_of(t + i / 1000),
                               append={"m/many": Value(float64=float(i))}) for i in range(n)]
    op = run_operation_update(run_id, snaps)
    assert op.ByteSize() < 16 * 1024 * 1024
    ids.append(nhttp.submit(op))
    for st in nhttp.check(ids).statuses:
        assert all(code == "OK" for code, _, _ in code_summary(st)), code_summary(st)
    s = native.series(run_id, "m/many")
    assert len(s["steps"]) == n and s["steps"][-1] == n - 1 and s["values"][-1] == float(n - 1)


def test_multipart_upload_then_download(server, nhttp):
    """Above 64 MiB signedUrl answers S3-style multipart: one PUT per part
    (each answering an ETag), completeMultipartUpload assembles them, and a
    read URL gives the same bytes back. A part's ETag is bound to its upload."""
    import hashlib
    import os as _os

    path = f"{unique('mp-run')}/big/none/{unique('file')}.bin"
    data = _os.urandom(64 * 1024 * 1024 + 12345)
    req = {"files": [{"path": path, "permission": "write", "project_identifier": PROJECT, "size": len(data)}]}
    status, _, raw = nhttp.request("POST", "/api/storagebridge/v1/signedUrl", data=json.dumps(req).encode(),
                                   headers={"Content-Type": "application/json"})
    assert status == 200, raw
    mp = json.loads(raw)["files"][0]["multipart"]
    size, urls = mp["part_size"], mp["part_urls"]
    assert len(urls) == 2 and size == 64 * 1024 * 1024
    etags = []
    for i, url in enumerate(urls):
        status, headers, raw = nhttp.request("PUT", url, data=data[i * size:(i + 1) * size], bearer=None,
                                             headers={"Content-Type": "application/octet-stream"})
        assert status // 100 == 2, raw
        etags.append(headers["etag"].strip('"'))

    def complete(parts):
        body = {"upload_id": mp["upload_id"], "project_identifier": PROJECT, "path": path, "parts": parts}
        return nhttp.request("POST", "/api/storagebridge/v1/s3/completeMultipartUpload",
                             data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})

    forged = "0" * 64 + "." + etags[0].split(".", 1)[1]
    status, _, _ = complete([{"part_number": 1, "etag": forged}, {"part_number": 2, "etag": etags[1]}])
    assert status == 400
    status, _, raw = complete([{"part_number": i + 1, "etag": e} for i, e in enumerate(etags)])
    assert status // 100 == 2, raw

    req = {"files": [{"path": path, "permission": "read", "project_identifier": PROJECT}]}
    status, _, raw = nhttp.request("POST", "/api/storagebridge/v1/signedUrl", data=json.dumps(req).encode(),
                                   headers={"Content-Type": "application/json"})
    assert status == 200, raw
    status, _, got = nhttp.request("GET", json.loads(raw)["files"][0]["url"], bearer=None)
    assert status == 200
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()
