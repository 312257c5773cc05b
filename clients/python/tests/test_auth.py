"""The SDK against a server that requires authentication (every server in
these tests does: see sxt.auth_template). Without a valid token nothing is
lost: the journal keeps the data until `sextant sync` runs with one."""
from __future__ import annotations

import pytest

import sextant
from sxt import auth_template, sessions, sync


def test_a_run_without_a_token_keeps_its_data_for_sync(server, journal, proj, monkeypatch, capfd):
    monkeypatch.delenv("SEXTANT_API_TOKEN")
    run = sextant.Run(project=proj, run_id="no-token", url=server.url, journal_dir=str(journal),
                      capture_stdout=False, capture_stderr=False, capture_system_metrics=False,
                      capture_source=False, capture_heartbeat=False)
    for s in range(100):
        run.log_metrics({"loss": 1.0 / (s + 1)}, step=s)
    assert run.close(timeout=10) is False
    err = capfd.readouterr().err
    assert "credentials" in err and "sextant sync" in err
    assert sessions(journal)
    # With the token (sync's environment has it), everything arrives.
    p = sync(journal, server.url)
    assert p.returncode == 0, p.stderr
    s = sextant.Client(url=server.url, token=auth_template()["token"]).series(proj, "no-token", "loss")[0]
    assert s["steps"] == list(range(100))


def test_a_wrong_token_is_refused_with_a_clear_error(server):
    bad = sextant.Client(url=server.url, token="sxt_not-a-real-token")
    with pytest.raises(sextant.ApiError) as e:
        bad.projects()
    assert e.value.status == 401
    assert "not valid" in str(e.value)
