"""`from sextant import neptune`: Neptune 1.x scripts log to and read from
Sextant unchanged but for the import line; every value is checked through
`sextant.Client`."""
from __future__ import annotations

import base64
import datetime as dt
import importlib
import json
import math
import pickle
import subprocess
import sys

import pytest

import sextant
from sxt import auth_template, sub_env

QUIET = dict(capture_stdout=False, capture_stderr=False, capture_hardware_metrics=False, git_ref=False)


@pytest.fixture(scope="module")
def neptune():
    # Imported here and removed afterwards: `sextant.neptune` is opt-in and
    # not part of the package's pinned top-level names (test_surface.py).
    mod = importlib.import_module("sextant.neptune")
    yield mod
    for name in [n for n in sys.modules if n == "sextant.neptune" or n.startswith("sextant.neptune.")]:
        del sys.modules[name]
    if hasattr(sextant, "neptune"):
        delattr(sextant, "neptune")


@pytest.fixture
def env(server, journal, proj, monkeypatch):
    for k in ("NEPTUNE_PROJECT", "NEPTUNE_API_TOKEN", "NEPTUNE_MODE", "NEPTUNE_CUSTOM_RUN_ID"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("SEXTANT_URL", server.url)
    monkeypatch.setenv("SEXTANT_PROJECT", proj)
    monkeypatch.setenv("SEXTANT_JOURNAL_DIR", str(journal))
    return proj


def neptune_token(url: str, key: str) -> str:
    """The token format `sextant token create --neptune` prints (Neptune's own)."""
    return base64.b64encode(json.dumps({"api_address": url, "api_url": url, "api_key": key}).encode()).decode()


SCRIPT = '''
import datetime, json, os, sys
from sextant import neptune
from sextant.neptune.types import File
from sextant.neptune.utils import stringify_unsupported

run = neptune.init_run(project=os.environ["NEPTUNE_PROJECT"], api_token=os.environ["NEPTUNE_API_TOKEN"],
                       name="script", tags=["a", "b"], description="from a script",
                       capture_hardware_metrics=False)
run["params"] = {"lr": 0.1, "opt": {"name": "adam", "betas": stringify_unsupported((0.9, 0.99))}}
run["f"] = 3
run["s"] = "str"
run["b"] = True
run["d"] = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
for i in range(1, 4):
    run["train/loss"].append(1.0 / i, step=i)
for i in range(3):
    run["train/acc"].log(0.5 + i / 10)                 # implicit steps 0, 1, 2
run["train/lr"].extend([0.3, 0.2, 0.1], steps=[10, 20, 30])
run["train/lr"].append(0.05)                           # one more than the last step: 31
run["eval/text"].append("hello")
run["eval/text"].append("world")
run["eval"].append({"f1": 0.7, "sub": {"p": 0.6}}, step=5)
with open("model.pt", "wb") as f:
    f.write(b"weights" * 100)
run["model"].upload("model.pt")
run["notes"].upload(File.from_content("some notes", extension="md"))
run["samples"].append(File.from_content(b"first", extension="bin"))
run["samples"].append(File.from_content(b"second", extension="bin"))
run["sys/tags"].add(["x", "y"])
run["sys/tags"].remove("y")
run.wait()
out = {
    "lr": run["params/lr"].fetch(),
    "params": run["params"].fetch(),
    "id": run["sys/id"].fetch(),
    "tags": sorted(run["sys/tags"].fetch()),
    "last": run["train/loss"].fetch_last(),
    "values": [[r["step"], r["value"]] for r in (lambda v: v.to_dict("records") if hasattr(v, "to_dict") else v)(
        run["train/acc"].fetch_values(include_timestamp=False))],
    "d": run["d"].fetch().isoformat(),
}
run.sync()
run.stop()

with neptune.init_run(custom_run_id="ctx-" + out["id"], capture_hardware_metrics=False) as ctx:
    ctx["sys/name"] = "renamed"                        # project and token from NEPTUNE_* here
    ctx["n"] = 1
print("RESULT " + json.dumps(out))
'''


def test_a_neptune_1x_script_runs_unchanged(server, client, proj, tmp_path):
    """A 1.x script file, run as a program, with Sextant's token in Neptune's format."""
    path = tmp_path / "train.py"
    path.write_text(SCRIPT)
    env = sub_env(NEPTUNE_PROJECT=proj, NEPTUNE_API_TOKEN=neptune_token(server.url, auth_template()["token"]),
                  SEXTANT_JOURNAL_DIR=str(tmp_path / "journal"))
    del env["SEXTANT_API_TOKEN"]  # only the Neptune-style token, which also names the server
    p = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=90)
    assert p.returncode == 0, p.stdout + p.stderr
    out = json.loads(p.stdout.split("RESULT ", 1)[1])
    rid = out["id"]
    assert out["lr"] == 0.1 and out["tags"] == ["a", "b", "x"] and out["last"] == 1 / 3
    assert out["params"] == {"lr": 0.1, "opt": {"name": "adam", "betas": "(0.9, 0.99)"}}
    assert out["values"] == [[0, 0.5], [1, 0.6], [2, 0.7]]
    assert out["d"] == "2024-05-06T07:08:09+00:00"

    info = client.run(proj, rid)
    assert info["state"] == "finished" and info["name"] == "script"
    a = client.attributes(proj, rid)
    assert {p_: (v["type"], v["value"]) for p_, v in a.items() if p_ in (
        "params/lr", "params/opt/name", "params/opt/betas", "f", "s", "b", "sys/tags", "sys/description")} == {
        "params/lr": ("float", 0.1), "params/opt/name": ("string", "adam"),
        "params/opt/betas": ("string", "(0.9, 0.99)"), "f": ("int", 3), "s": ("string", "str"),
        "b": ("bool", True), "sys/tags": ("string_set", ["a", "b", "x"]),
        "sys/description": ("string", "from a script")}
    assert a["d"]["type"] == "datetime"

    def points(path):
        s = client.series(proj, rid, path)[0]
        return s["type"], s["steps"], s["values"]

    assert points("train/loss") == ("float_series", [1, 2, 3], [1.0, 0.5, 1 / 3])
    assert points("train/acc") == ("float_series", [0, 1, 2], [0.5, 0.6, 0.7])
    assert points("train/lr") == ("float_series", [10, 20, 30, 31], [0.3, 0.2, 0.1, 0.05])
    assert points("eval/text") == ("string_series", [0, 1], ["hello", "world"])
    assert points("eval/f1") == ("float_series", [5], [0.7])
    assert points("eval/sub/p") == ("float_series", [5], [0.6])
    assert a["model"]["type"] == "file" and a["samples"]["type"] == "file_series"
    (tmp_path / "dl").mkdir()
    assert open(client.download(proj, rid, "model", tmp_path / "dl"), "rb").read() == b"weights" * 100
    notes = client.download(proj, rid, "notes", tmp_path / "dl")
    assert notes.endswith("notes.md") and open(notes).read() == "some notes"
    assert open(client.download(proj, rid, "samples", tmp_path / "dl" / "s1", step=1), "rb").read() == b"second"
    ctx = client.run(proj, "ctx-" + rid)
    assert ctx["state"] == "finished" and ctx["name"] == "renamed"
    assert client.attributes(proj, "ctx-" + rid)["n"]["value"] == 1


def test_tokens(neptune):
    url, key = "http://sextant.example:5050", "sxt-secret"
    assert neptune._decode_token(neptune_token(url, key)) == (url, key)
    urlsafe = neptune_token(url, key).replace("+", "-").replace("/", "_").rstrip("=")
    assert neptune._decode_token(urlsafe) == (url, key)
    assert neptune._decode_token(key) == (None, key)                 # a plain Sextant token
    assert neptune._decode_token(neptune.ANONYMOUS_API_TOKEN) == (None, None)
    assert neptune._decode_token(base64.b64encode(b'{"x": 1}').decode())[1] == base64.b64encode(b'{"x": 1}').decode()


def test_init_run_settings(neptune, env, client, monkeypatch):
    monkeypatch.delenv("SEXTANT_PROJECT")
    monkeypatch.setenv("NEPTUNE_PROJECT", env)
    monkeypatch.setenv("NEPTUNE_CUSTOM_RUN_ID", "custom-1")
    with neptune.init_run(**QUIET) as run:
        assert run.sextant_run.project == env and run.sextant_run.run_id == "custom-1"
        run["x"] = 1
    monkeypatch.delenv("SEXTANT_API_TOKEN")
    with neptune.init_run(custom_run_id="custom-1", api_token=auth_template()["token"], **QUIET) as run:
        run["y"] = 2                                    # the same run again, a plain Sextant token
    assert {"x", "y"} <= set(client.attributes(env, "custom-1"))
    monkeypatch.setenv("NEPTUNE_MODE", "debug")
    with neptune.init_run(**QUIET) as run:
        assert run.sextant_run.mode == "disabled"
        run["train/loss"].append(1.0)
    with pytest.raises(ValueError, match="not both"):
        neptune.init_run(with_id="a", custom_run_id="b")
    with pytest.raises(ValueError, match="mode"):
        neptune.init_run(mode="fast")
    with pytest.raises(TypeError):
        neptune.init_run(no_such_argument=1)
    assert neptune.Run is neptune.init_run


def test_implicit_steps_per_series_and_resume(neptune, env, client):
    run = neptune.init_run(custom_run_id="resumed", **QUIET)
    for i in range(3):
        run["a"].append(float(i))
    run["b"].append(1.0)
    run["b"].append(2.0, step=7.5)
    run["b"].append(3.0)                                 # 8.5
    run.stop()
    run = neptune.init_run(with_id="resumed", **QUIET)   # steps go on where the run stopped
    run["a"].append(9.0)
    run["b"].append(5.0, step=1)                         # below the last step: implicit ones go on
    run["b"].append(9.0)                                 # from the highest, 8.5
    run.stop()
    assert client.series(env, "resumed", "a")[0]["steps"] == [0, 1, 2, 3]
    assert client.series(env, "resumed", "b")[0]["steps"] == [0, 1, 7.5, 8.5, 9.5]
    with pytest.raises(neptune.MissingFieldException, match="no run 'nope'"):
        neptune.init_run(with_id="nope", **QUIET)


def test_fetch(neptune, env, monkeypatch):
    run = neptune.init_run(name="fetcher", tags="t1", **QUIET)
    run["p"] = {"a": 1, "b": {"c": "x", "d": 2.5}}
    run["flag"] = False
    for i in range(3):
        run["m"].append(i * 2.0, timestamp=1_700_000_000 + i)
    run["txt"].append("one")
    assert run["p/a"].fetch() == 1 and run["p/b/c"].fetch() == "x"
    assert run["p"].fetch() == {"a": 1, "b": {"c": "x", "d": 2.5}}
    assert run["p"]["b"]["d"].fetch() == 2.5
    root = run.fetch()
    assert root["p"] == {"a": 1, "b": {"c": "x", "d": 2.5}} and root["flag"] is False and "m" not in root
    assert run["sys/id"].fetch() == run.sextant_run.run_id
    assert run["sys/name"].fetch() == "fetcher" and run["sys/tags"].fetch() == {"t1"}
    assert run["sys/state"].fetch() == "Active"
    assert run["m"].fetch_last() == 4.0 and run["txt"].fetch_last() == "one"
    rows = run["m"].fetch_values()
    if not isinstance(rows, list):
        rows = rows.to_dict("records")
    assert [(r["step"], r["value"]) for r in rows] == [(0, 0.0), (1, 2.0), (2, 4.0)]
    assert rows[1]["timestamp"] == dt.datetime.fromtimestamp(1_700_000_001)
    monkeypatch.setitem(sys.modules, "pandas", None)       # without pandas: a list of dicts
    assert run["txt"].fetch_values(include_timestamp=False) == [{"step": 0, "value": "one"}]
    assert run.exists("p/b") and run.exists("m") and not run.exists("nothing")
    with pytest.raises(neptune.MissingFieldException):
        run["nothing"].fetch()
    with pytest.raises(KeyError):                          # also a KeyError and an AttributeError
        run["nothing"].fetch_last()
    with pytest.raises(NotImplementedError, match="fetch_last"):
        run["m"].fetch()
    assert run.get_url().endswith(f"/#/p/{env}/r/{run.sextant_run.run_id}")
    run.stop()
    assert run.get_state() == "stopped" and run["p/a"].fetch() == 1   # reading works after stop


def test_values_types_and_unsupported(neptune, env, client):
    run = neptune.init_run(**QUIET)
    rid = run.sextant_run.run_id
    su = neptune.stringify_unsupported
    run["cfg"] = su({"t": (1, 2), "n": None, "ok": 0.5, "deep": {"l": [1]}})
    run["exp"] = su({"l": ["a", 3]}, expand=True)
    run["series"].append(su([1, 2]))                       # stringified: a string series
    with pytest.warns(UserWarning, match="not a supported value"):
        run["skipped"] = [1, 2]                           # as in Neptune: a warning, nothing stored
    with pytest.warns(UserWarning):
        run["skipped2"].append(object())
    run["set"].add(["a", "b"])
    run["set"].remove("a")
    run["h"].append(sextant.Histogram(bin_edges=[0, 1], counts=[3]))
    run.stop()
    a = client.attributes(env, rid)
    assert a["cfg/t"]["value"] == "(1, 2)" and a["cfg/n"]["value"] == "None" and a["cfg/ok"]["value"] == 0.5
    assert a["cfg/deep/l"]["value"] == "[1]"
    assert a["exp/l/0"]["value"] == "a" and a["exp/l/1"]["value"] == 3
    assert client.series(env, rid, "series")[0]["values"] == ["[1, 2]"]
    assert "skipped" not in a and "skipped2" not in a
    assert a["set"] == {"path": "set", "type": "string_set", "value": ["b"]}
    assert a["h"]["type"] == "histogram_series"


def test_unsupported_calls_say_what_to_use(neptune, env):
    run = neptune.init_run(**QUIET)
    run["x"] = 1
    for call, what in [(lambda: run.pop("x"), "pop"), (lambda: run.__delitem__("x"), "pop"),
                       (lambda: run["x"].track_files("."), "track_files"),
                       (lambda: run["x"].fetch_hash(), "fetch_hash"),
                       (lambda: run.get_structure(), "get_structure"),
                       (lambda: neptune.init_project(project=env), "init_project"),
                       (lambda: neptune.init_model(), "init_model"),
                       (lambda: run["y"].__setitem__("z", run["x"]), "copying")]:
        with pytest.raises(NotImplementedError, match=what) as e:
            call()
        assert "sextant.neptune" in str(e.value) and "; " in str(e.value)
    with pytest.raises(AttributeError):
        run["x"].no_such_method()
    run.stop()


def test_files(neptune, env, client, tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.csv").write_text("1,2\n")
    (data / "sub" / "b.txt").write_text("b")
    run = neptune.init_run(**QUIET)
    rid = run.sextant_run.run_id
    run["ds"].upload_files(str(data))
    run["one"] = neptune.File(str(data / "a.csv"))          # assigning a File uploads it
    run["pk"].upload(neptune.File.as_pickle({"k": 1}))
    run["imgs"].append(neptune.File.from_content(b"png0", extension="png"), step=3)
    run["imgs"].append(neptune.File.from_content(b"png1", extension="png"))
    run.wait()
    out = tmp_path / "out"
    out.mkdir()
    assert open(run["one"].download(str(out)), "rb").read() == b"1,2\n"
    assert open(run["imgs"].download_last(str(out)), "rb").read() == b"png1"
    with pytest.raises(NotImplementedError, match="download_last"):
        run["imgs"].download()
    run.stop()
    a = client.attributes(env, rid)
    assert a["ds/data/a.csv"]["type"] == "file" and a["ds/data/sub/b.txt"]["type"] == "file"
    assert a["imgs"]["type"] == "file_series" and a["imgs"]["last_step"] == 4 and a["imgs"]["count"] == 2
    assert open(client.download(env, rid, "imgs", str(out / "first"), step=3), "rb").read() == b"png0"
    assert pickle.loads(open(client.download(env, rid, "pk", str(out)), "rb").read()) == {"k": 1}


def test_sync_mode_read_only_and_failure(neptune, env, client):
    run = neptune.init_run(mode="sync", custom_run_id="sync-run", **QUIET)
    run["now"].append(1.0)                                 # sync: on the server when the call returns
    assert client.attributes(env, "sync-run")["now"]["last_value"] == 1.0
    run.stop()
    ro = neptune.init_run(with_id="sync-run", mode="read-only")
    assert ro["now"].fetch_last() == 1.0 and ro.sextant_run is None
    with pytest.raises(sextant.SextantError, match="read-only"):
        ro["now"].append(2.0)
    with pytest.raises(RuntimeError):
        with neptune.init_run(custom_run_id="fails", **QUIET) as run:
            run["x"] = 1
            raise RuntimeError("boom")
    info = client.run(env, "fails")
    assert info["state"] == "failed"
    assert "boom" in client.attributes(env, "fails")["monitoring/traceback"]["value"]
    with neptune.init_run(mode="offline", **QUIET) as run:
        run["x"] = 1
        with pytest.raises(sextant.SextantError, match="offline"):
            run["x"].fetch()


def test_log_is_the_older_append(neptune, env, client):
    run = neptune.init_run(**QUIET)
    rid = run.sextant_run.run_id
    run["a"].log([1.0, 2.0])
    run["a"].log(3.0, step=10, timestamp=1_700_000_000)
    with pytest.raises(ValueError):
        run["a"].log([1.0, 2.0], step=11)
    with pytest.raises(ValueError, match="number of steps"):
        run["a"].extend([1.0, 2.0], steps=[12])
    run["n"].extend({"x": [1.0, 2.0], "y": [3.0, 4.0]}, steps=[1, 2])
    run.stop()
    s = client.series(env, rid, "a")[0]
    assert s["steps"] == [0, 1, 10] and s["values"] == [1.0, 2.0, 3.0] and s["timestamps"][2] == 1_700_000_000
    assert client.series(env, rid, "n/y")[0]["values"] == [3.0, 4.0]
    assert not math.isnan(client.series(env, rid, "n/x")[0]["values"][0])


def test_names_and_submodules(neptune):
    assert "from sextant import neptune" in neptune.__doc__
    for name in neptune.__all__:
        assert hasattr(neptune, name), name
    from sextant.neptune.exceptions import MissingFieldException, NeptuneException
    from sextant.neptune.types import File
    from sextant.neptune.utils import stop_synchronization_callback, stringify_unsupported
    assert File is neptune.File and stringify_unsupported is neptune.stringify_unsupported
    assert MissingFieldException is neptune.MissingFieldException and NeptuneException is sextant.SextantError
    assert stop_synchronization_callback(None) is None
