"""TensorBoard's TFRecord framing: any bytes as an event file, read by
`read_records` (sextant/transfer/tensorboard_records.py).

Input: the file's bytes. Checks, besides the contract (_common.py): every
record it yields is intact (both CRCs hold at the offset it gives), the
offsets increase, and damage is only ever reported, never raised."""
import os

import atheris

from _common import fuzz, scratch, write_file

with atheris.instrument_imports(include=["sextant"]):
    from sextant.transfer.tensorboard_records import _table_crc32c, masked_crc, read_records

crc = _table_crc32c()  # exact, and the same on every machine


def test_one_input(data: bytes) -> None:
    path = write_file(os.path.join(scratch(), "events.out.tfevents.1.fuzz"), data)
    reports = []
    last = -1
    for offset, rec in read_records(path, crc, lambda off, why: reports.append((off, why))):
        assert offset > last, f"offset {offset} after {last}"
        last = offset
        n = len(rec)
        assert data[offset:offset + 8] == n.to_bytes(8, "little"), "length does not match the header"
        assert int.from_bytes(data[offset + 8:offset + 12], "little") == masked_crc(crc(data[offset:offset + 8]))
        assert data[offset + 12:offset + 12 + n] == rec
        assert int.from_bytes(data[offset + 12 + n:offset + 16 + n], "little") == masked_crc(crc(rec))
    for off, why in reports:
        assert isinstance(why, str) and 0 <= off <= len(data), (off, why)


if __name__ == "__main__":
    fuzz(test_one_input)
