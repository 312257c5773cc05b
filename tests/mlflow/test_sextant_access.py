"""Sextant's accounts seen through the MLflow client: bearer tokens (the
suite's default), basic authentication with a password or a token, and the
roles of each experiment's project. Sextant-only: a real mlflow server has no
accounts here."""
from __future__ import annotations

import subprocess

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from conftest import SEXTANT_BIN, unique

pytestmark = pytest.mark.sextant_only


def cli(target, *args: str, stdin: str | None = None) -> str:
    p = subprocess.run([SEXTANT_BIN, *args, "--data", str(target.workdir / "data")],
                       input=stdin, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""


@pytest.fixture(scope="module")
def people(target):
    """alice writes to the MLflow workspace, bob only reads it, carol has no role."""
    names = {k: unique(k) for k in ("alice", "bob", "carol")}
    for n in names.values():
        cli(target, "user", "add", n, "--password-stdin", stdin="a-long-password-1\n")
    cli(target, "member", "add", names["alice"], "mlflow/*", "writer")
    cli(target, "member", "add", names["bob"], "mlflow/*", "viewer")
    names["alice_token"] = cli(target, "token", "create", "--user", names["alice"])
    return names


def as_basic(monkeypatch, user: str, password: str) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)


def test_basic_auth_with_password_and_with_token(target, people, monkeypatch):
    as_basic(monkeypatch, people["alice"], "a-long-password-1")
    c = MlflowClient(tracking_uri=target.url)
    exp = c.create_experiment(unique("basic"))
    run = c.create_run(exp)
    c.log_metric(run.info.run_id, "loss", 0.5, step=1)
    # The same user, with an API token for a password (no Argon2 per request).
    as_basic(monkeypatch, people["alice"], people["alice_token"])
    c = MlflowClient(tracking_uri=target.url)
    assert c.get_run(run.info.run_id).data.metrics == {"loss": 0.5}
    # A token belongs to its user only.
    as_basic(monkeypatch, people["bob"], people["alice_token"])
    with pytest.raises(MlflowException) as e:
        MlflowClient(tracking_uri=target.url).get_run(run.info.run_id)
    assert e.value.error_code == "UNAUTHENTICATED"


def test_wrong_password_is_unauthenticated(target, people, monkeypatch):
    as_basic(monkeypatch, people["alice"], "not-her-password")
    with pytest.raises(MlflowException) as e:
        MlflowClient(tracking_uri=target.url).search_experiments()
    assert e.value.error_code == "UNAUTHENTICATED"
    assert e.value.get_http_status_code() == 401


def test_roles_apply_to_experiments(target, people, monkeypatch):
    as_basic(monkeypatch, people["alice"], "a-long-password-1")
    alice = MlflowClient(tracking_uri=target.url)
    name = unique("roles")
    exp = alice.create_experiment(name)
    run = alice.create_run(exp)

    as_basic(monkeypatch, people["bob"], "a-long-password-1")
    bob = MlflowClient(tracking_uri=target.url)
    assert bob.get_experiment_by_name(name).experiment_id == exp  # a viewer reads
    assert bob.get_run(run.info.run_id).info.run_id == run.info.run_id
    with pytest.raises(MlflowException) as e:
        bob.log_metric(run.info.run_id, "loss", 1.0)  # ... and does not write
    assert e.value.error_code == "PERMISSION_DENIED"
    assert e.value.get_http_status_code() == 403
    with pytest.raises(MlflowException) as e:
        bob.create_run(exp)
    assert e.value.error_code == "PERMISSION_DENIED"

    as_basic(monkeypatch, people["carol"], "a-long-password-1")
    carol = MlflowClient(tracking_uri=target.url)
    # No role: the experiment and its runs do not exist for her.
    assert carol.get_experiment_by_name(name) is None
    with pytest.raises(MlflowException) as e:
        carol.get_run(run.info.run_id)
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert name not in [x.name for x in carol.search_experiments()]
