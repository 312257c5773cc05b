"""MLflow folders → Sextant values: `sextant import mlflow PATH` on an
mlruns/ file store (meta.yaml files, metric lines, params, tags, dataset
inputs) or on mlflow-export-import's JSON (mlflow_files.py, mlflow.py), in
dry-run mode.

Input: one byte saying which layout (even: file store, odd: export), then
the files' contents, each as a 2-byte little-endian length then that many
bytes (the last takes what is left; a file not given is not written):
  file store: 0/meta.yaml, 0/r1/meta.yaml, 0/r1/metrics/loss,
              0/r1/metrics/a/b, 0/r1/params/lr, 0/r1/tags/mlflow.runName,
              0/r1/inputs/i1/meta.yaml, 0/datasets/d1/meta.yaml,
              0/models/m1/meta.yaml, 0/models/m1/metrics/acc,
              0/models/m1/params/alpha, 0/models/m1/tags/t
  export:     experiment.json, r1/run.json"""
import os

import atheris

from _common import args, fuzz, split_pieces, import_dry, quiet_report, scratch, write_file, SourceError

with atheris.instrument_imports(include=["sextant"]):
    from sextant.transfer import mlflow

FILE_STORE = ["0/meta.yaml", "0/r1/meta.yaml", "0/r1/metrics/loss", "0/r1/metrics/a/b",
              "0/r1/params/lr", "0/r1/tags/mlflow.runName", "0/r1/inputs/i1/meta.yaml",
              "0/datasets/d1/meta.yaml", "0/models/m1/meta.yaml", "0/models/m1/metrics/acc",
              "0/models/m1/params/alpha", "0/models/m1/tags/t"]
EXPORT = ["experiment.json", "r1/run.json"]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    root = scratch()
    names = EXPORT if data[0] & 1 else FILE_STORE
    for name, content in zip(names, split_pieces(data[1:])):
        write_file(os.path.join(root, *name.split("/")), content)
    # The run's own artifacts folder, so that a mutated artifact_uri is never
    # followed (it could name any folder of this machine, such as /).
    write_file(os.path.join(root, "0", "r1", "artifacts", "a.txt"), b"a")
    write_file(os.path.join(root, "r1", "artifacts", "a.txt"), b"a")
    write_file(os.path.join(root, "0", "models", "m1", "artifacts", "MLmodel"), b"a")
    report = quiet_report()
    try:
        import_dry(mlflow.open_source(root, args(experiment=[], include_deleted=bool(data[0] & 2)), report),
                   report)
    except SourceError:
        pass


if __name__ == "__main__":
    fuzz(test_one_input)
