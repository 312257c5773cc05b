"""W&B's `.wandb` transaction log framing: any bytes as a run-<id>.wandb
file, read by `records` (sextant/transfer/wandb_log.py).

Input: the file's bytes. Checks, besides the contract (_common.py): the
records it yields hold no more bytes than the file's chunks, and damage is
only ever reported, never raised (wandb_offline_fuzz.py checks that intact
records come back)."""
import os

import atheris

from _common import fuzz, scratch, write_file

with atheris.instrument_imports(include=["sextant"]):
    from sextant.transfer.wandb_log import CHUNK, HEADER, records


def test_one_input(data: bytes) -> None:
    path = write_file(os.path.join(scratch(), "run-fuzz.wandb"), data)
    reports = []
    got = list(records(path, reports.append))
    # Records are chunk payloads (each after a 7-byte chunk header), never invented.
    assert sum(len(r) + CHUNK.size for r in got) <= max(0, len(data) - HEADER.size), "more bytes out than in"
    for why in reports:
        assert isinstance(why, str) and why


if __name__ == "__main__":
    fuzz(test_one_input)
