"""TensorBoard events → Sextant values: the Event protobufs of an event file
decoded and mapped by `sextant import tensorboard` (tensorboard.py,
tensorboard_values.py), in dry-run mode.

Input: the records' data, each as a 2-byte little-endian length then that
many bytes (the last takes what is left). The harness frames them with
valid CRCs, so mutations reach the protobuf decoding and the mapping of
scalars, tensors, histograms, text, images, audio and hparams instead of
stopping at a checksum (tensorboard_records_fuzz.py covers the framing)."""
import os
import struct

import atheris

from _common import args, fuzz, split_pieces, import_dry, quiet_report, scratch, write_file, SourceError

with atheris.instrument_imports(include=["sextant"]):
    from sextant.transfer import tensorboard
    from sextant.transfer.tensorboard_records import masked_crc

crc, _ = tensorboard.crc32c_function()


def frame(records) -> bytes:
    out = bytearray()
    for rec in records:
        head = struct.pack("<Q", len(rec))
        out += head + struct.pack("<I", masked_crc(crc(head))) + rec + struct.pack("<I", masked_crc(crc(rec)))
    return bytes(out)


def test_one_input(data: bytes) -> None:
    path = write_file(os.path.join(scratch(), "run", "events.out.tfevents.1.fuzz"), frame(split_pieces(data)))
    report = quiet_report()
    try:
        import_dry(tensorboard.open_source(path, args(), report), report)
    except SourceError:
        pass


if __name__ == "__main__":
    fuzz(test_one_input)
