"""Sextant exports → Sextant values: `sextant import sextant DIR` on what
`sextant export` writes (sextant_format.py: manifest.json, runs.parquet;
_rows.py: each run's rows), in dry-run mode.

Input: three pieces separated by lines "=": manifest.json's bytes; the
runs table as text, one run per line with tab-separated run_id, name,
experiment_name, state, created_at (µs), fork_run_id, fork_step (a missing
field is null); the rows of every run's file as text (_rows_text.py). The
export's files folder holds `f.bin` for file rows to name."""
import os

import atheris

from _common import args, fuzz, import_dry, quiet_report, scratch, write_file, SourceError
from _rows_text import micros, rows, step, text_fields

import pyarrow as pa
import pyarrow.parquet as pq

with atheris.instrument_imports(include=["sextant"]):
    from sextant.transfer import sextant_format
    from sextant.transfer.export import run_file, runs_schema, schema

SCHEMA, RUNS_SCHEMA = schema(), runs_schema()


def runs_rows(data: bytes):
    out = []
    for f in text_fields(data):
        f = f + [None] * (7 - len(f))
        out.append(dict(project_id="ws/proj", run_id=f[0], name=f[1], experiment_name=f[2], state=f[3],
                        created_at=micros(f[4]), fork_run_id=f[5], fork_step=step(f[6])))
    return out


def test_one_input(data: bytes) -> None:
    pieces = data.split(b"\n=\n", 2) + [b"", b""]
    manifest, runs_text, rows_text = pieces[:3]
    root = scratch()
    write_file(os.path.join(root, "manifest.json"), manifest)
    write_file(os.path.join(root, "files", "f.bin"), b"\0\1\2")
    runs = runs_rows(runs_text)
    pq.write_table(pa.Table.from_pylist(runs, schema=RUNS_SCHEMA), os.path.join(root, "runs.parquet"))
    for r in runs[:4]:
        rid = r["run_id"]
        if rid and "/" not in rid and "\0" not in rid and rid not in (".", "..") and len(rid.encode()) < 200:
            path = os.path.join(root, run_file(r["run_id"]))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            table = pa.Table.from_pylist(rows(rows_text, "ws/proj", r["run_id"], SCHEMA.names), schema=SCHEMA)
            pq.write_table(table, path)
    report = quiet_report()
    try:
        import_dry(sextant_format.open_source(root, args(), report), report)
    except SourceError:
        pass


if __name__ == "__main__":
    fuzz(test_one_input)
