"""`Client.projects()` and `Client.attributes()` read every page of the
server's paged lists (``next_page_token`` until null)."""
from __future__ import annotations

import pytest

import sextant
import sextant._client as client_mod


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(client_mod, "_LIST_PAGE", 7)


def _requested_targets(monkeypatch, client):
    """Records the targets of the client's GETs."""
    seen = []
    http = client._http()
    real = http.json

    def spy(method, target, *a, **kw):
        seen.append(target)
        return real(method, target, *a, **kw)

    monkeypatch.setattr(http, "json", spy)
    return seen


def test_attributes_past_one_default_page(run_factory, client, proj):
    run = run_factory()
    want = {f"cfg/{i:05d}": i for i in range(1500)}  # more than the server's default page
    run.log_configs(want)
    assert run.close(timeout=30)
    got = client.attributes(proj, run.run_id)
    assert {p: a["value"] for p, a in got.items() if p.startswith("cfg/")} == want


def test_attributes_follow_tokens(run_factory, client, proj, small_pages, monkeypatch):
    run = run_factory()
    run.log_configs({f"a/{i:03d}": i for i in range(40)})
    run.log_configs({f"b/{i:03d}": float(i) for i in range(25)})
    assert run.close(timeout=30)
    seen = _requested_targets(monkeypatch, client)
    got = client.attributes(proj, run.run_id)
    assert len([t for t in seen if "page_token=" in t]) >= 65 // 7
    assert all("limit=7" in t for t in seen)
    assert [p for p in got if p[:2] in ("a/", "b/")] == sorted(p for p in got if p[:2] in ("a/", "b/"))
    assert sum(p.startswith("a/") for p in got) == 40 and sum(p.startswith("b/") for p in got) == 25
    # With a pattern a page may hold fewer items than asked for (even none):
    # only a null token ends the list.
    only_b = client.attributes(proj, run.run_id, pattern="^b/")
    assert list(only_b) == [f"b/{i:03d}" for i in range(25)]
    assert only_b["b/007"]["value"] == 7.0
    assert client.attributes(proj, run.run_id, pattern="^nothing-matches$") == {}


def test_projects_follow_tokens(server, journal, client, small_pages):
    names = [f"paging/p{i:02d}" for i in range(16)]
    for n in names:
        with sextant.Run(project=n, url=server.url, journal_dir=str(journal),
                         capture_stdout=False, capture_stderr=False, capture_system_metrics=False,
                         capture_heartbeat=False, capture_source=False) as r:
            r.log_configs({"x": 1})
    got = [p["project"] for p in client.projects()]
    assert len(got) == len(set(got)), "a project appeared twice"
    assert set(names) <= set(got)
