"""W&B offline runs → Sextant values: the Record protobufs of a
run-<id>.wandb file decoded and mapped by `sextant import wandb`
(wandb_offline.py, wandb.py), in dry-run mode.

Input: the records, each as a 2-byte little-endian length then that many
bytes (the last takes what is left). The harness writes them with W&B's
header and valid LevelDB framing (records cut across 32 KiB blocks), so
mutations reach the protobuf decoding and the mapping of history, summary,
config, stats, console output and files. It also checks that the framing
reader gives every record back unchanged and reports nothing."""
import os
import zlib

import atheris

from _common import args, fuzz, split_pieces, import_dry, quiet_report, scratch, write_file, SourceError

with atheris.instrument_imports(include=["sextant"]):
    from sextant.transfer import wandb
    from sextant.transfer.wandb_log import BLOCK, CHUNK, FIRST, FULL, HEADER, IDENT, LAST, MAGIC, \
        MIDDLE, VERSION, records


def frame(recs) -> bytes:
    """What wandb-core writes: the header, then each record as chunks that
    never cross a 32 KiB block (a block's last < 7 bytes are zeros)."""
    out = bytearray(HEADER.pack(IDENT, MAGIC, VERSION))
    for rec in recs:
        left, first = rec, True
        while True:
            room = BLOCK - len(out) % BLOCK
            if room < CHUNK.size:
                out += bytes(room)
                continue
            n = min(len(left), room - CHUNK.size)
            last = n == len(left)
            kind = (FULL if last else FIRST) if first else (LAST if last else MIDDLE)
            part = left[:n]
            out += CHUNK.pack(zlib.crc32(part, zlib.crc32(bytes([kind]))), n, kind) + part
            left, first = left[n:], False
            if last:
                break
    return bytes(out)


def test_one_input(data: bytes) -> None:
    recs = list(split_pieces(data))
    path = write_file(os.path.join(scratch(), "wandb", "offline-run-1-fuzz", "run-fuzz.wandb"), frame(recs))
    reports = []
    assert list(records(path, reports.append)) == recs, "the framing reader changed the records"
    assert not reports, reports
    report = quiet_report()
    try:
        import_dry(wandb.open_source(os.path.dirname(os.path.dirname(path)), args(api=False), report), report)
    except SourceError:
        pass


if __name__ == "__main__":
    fuzz(test_one_input)
