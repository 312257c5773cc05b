"""The server's streamed export → Sextant values: `sextant import sextant
FILE.ndjson` (sextant_stream.py: the first pass over the lines, then each
run's config, series, file and blob lines), in dry-run mode.

Input: the bytes of the stream file, as is."""
import os

import atheris

from _common import args, fuzz, import_dry, quiet_report, scratch, write_file, SourceError

with atheris.instrument_imports(include=["sextant"]):
    from sextant.transfer import sextant_format


def test_one_input(data: bytes) -> None:
    path = write_file(os.path.join(scratch(), "p.ndjson"), data)
    report = quiet_report()
    try:
        import_dry(sextant_format.open_source(path, args(), report), report)
    except SourceError:
        pass


if __name__ == "__main__":
    fuzz(test_one_input)
