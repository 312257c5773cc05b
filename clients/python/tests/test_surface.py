"""The public surface is small and pinned: changing it is a decision."""
from __future__ import annotations

import inspect
from pathlib import Path

import sextant
from sxt import run_py

PUBLIC = [
    "Run", "init", "log", "finish", "Client", "Histogram", "Runs", "Attributes", "SeriesSet",
    "SextantError", "ValidationError", "TypeConflictError", "RunClosedError", "ApiError",
    "UnreachableError", "accelerated", "__version__",
]

RUN_METHODS = {
    "log_metrics", "log_string_series", "log_histograms", "log_configs", "add_tags",
    "remove_tags", "assign_files", "log_files", "flush", "close",
}
CLIENT_METHODS = {
    "projects", "run", "runs", "attributes", "series", "download", "health", "close",
    # run management (_manage.py)
    "project", "set_project_description", "delete_run", "purge_run", "restore_run", "edit_run", "edit_runs",
}


def test_all_is_pinned():
    assert sextant.__all__ == PUBLIC
    for name in PUBLIC:
        assert hasattr(sextant, name), name
    public_names = {n for n in dir(sextant) if not n.startswith("_")}
    # Implementation modules stay private (_client, _run, ...); the public
    # submodules (the Neptune 1.x shim, import/export) appear once imported.
    assert public_names <= set(PUBLIC) | {"annotations", "neptune", "transfer"}, public_names - set(PUBLIC)


def test_methods_are_pinned():
    run_public = {n for n, _ in inspect.getmembers(sextant.Run) if not n.startswith("_")}
    assert run_public == RUN_METHODS | {"project", "run_id", "mode", "url", "journal_path", "closed"}
    client_public = {n for n, _ in inspect.getmembers(sextant.Client, inspect.isfunction)
                     if not n.startswith("_")}
    assert client_public == CLIENT_METHODS


def test_arguments_are_keyword_only():
    def kinds(fn, skip=("self",)):
        return {p.name: p.kind for p in inspect.signature(fn).parameters.values() if p.name not in skip}

    assert set(kinds(sextant.Run.__init__).values()) == {inspect.Parameter.KEYWORD_ONLY}
    assert set(kinds(sextant.Client.__init__).values()) == {inspect.Parameter.KEYWORD_ONLY}
    assert set(kinds(sextant.Histogram.__init__).values()) == {inspect.Parameter.KEYWORD_ONLY}
    for m in ("log_metrics", "log_string_series", "log_histograms", "log_files"):
        k = kinds(getattr(sextant.Run, m))
        assert k.pop("data") == inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert set(k.values()) == {inspect.Parameter.KEYWORD_ONLY}, m
    params = list(inspect.signature(sextant.Run.__init__).parameters)
    for name in ("project", "run_id", "name", "experiment_name", "fork_run_id", "fork_step", "mode",
                 "url", "token"):
        assert name in params


def test_exception_tree():
    assert issubclass(sextant.ValidationError, sextant.SextantError)
    assert issubclass(sextant.ValidationError, ValueError)
    assert issubclass(sextant.TypeConflictError, sextant.ValidationError)
    for e in (sextant.RunClosedError, sextant.ApiError, sextant.UnreachableError):
        assert issubclass(e, sextant.SextantError)


def test_ships_py_typed_and_docstring_example():
    assert (Path(sextant.__file__).parent / "py.typed").exists()
    assert "sextant.Run(" in sextant.__doc__


def test_import_does_not_import_numpy_torch_or_pandas():
    r = run_py("import sys, sextant\n"
               "bad = [m for m in ('numpy', 'torch', 'pandas') if m in sys.modules]\n"
               "print('imported:', bad)\n"
               "assert not bad")
    assert r.returncode == 0, r.stdout + r.stderr
