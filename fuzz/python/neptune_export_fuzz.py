"""Neptune exports → Sextant values: `sextant import neptune DATA` on a
neptune-exporter Parquet tree (neptune_export.py: run metadata from sys/
rows, forks; _rows.py: configs, series, histograms, files), in dry-run mode.

Input: the rows of one run as text (_rows_text.py); a line "=" starts the
next part file (part_0, part_1, …). The harness writes them as the
exporter does, beside a run whose id is `base` (a fork parent to name) and
a files folder holding `f.bin` and `set/a.txt` for file rows to name."""
import os

import atheris

from _common import args, fuzz, import_dry, quiet_report, scratch, write_file, SourceError
from _rows_text import rows

import pyarrow as pa
import pyarrow.parquet as pq

with atheris.instrument_imports(include=["sextant"]):
    from sextant.transfer import neptune_export
    from sextant.transfer.export import schema

SCHEMA = schema()
PROJECT_DIR = "acme_vision-0123456789abcdef"


def test_one_input(data: bytes) -> None:
    root = scratch()
    pdir = os.path.join(root, "data", PROJECT_DIR)
    os.makedirs(pdir)
    write_file(os.path.join(root, "files", PROJECT_DIR, "f.bin"), b"\0\1\2")
    write_file(os.path.join(root, "files", PROJECT_DIR, "set", "a.txt"), b"a")
    # A fixed run that the fuzzed one can name as its fork parent.
    base = rows(b"sys/custom_run_id\tstring\t\t\tbase\nx\tfloat_series\t1\t\t1\n", "acme/vision", "RUN-0",
                SCHEMA.names)
    pq.write_table(pa.Table.from_pylist(base, schema=SCHEMA), os.path.join(pdir, "RUN_0-0123456789abcdef_part_0.parquet"))
    for n, part in enumerate(data.split(b"\n=\n")[:4]):
        table = pa.Table.from_pylist(rows(part, "acme/vision", "RUN-1", SCHEMA.names), schema=SCHEMA)
        pq.write_table(table, os.path.join(pdir, f"RUN_1-0123456789abcdef_part_{n}.parquet"))
    report = quiet_report()
    try:
        import_dry(neptune_export.open_source(os.path.join(root, "data"), args(files=None), report), report)
    except SourceError:
        pass


if __name__ == "__main__":
    fuzz(test_one_input)
