"""The journal format: length-prefixed, checksummed records; a torn tail is
detected; the ack marker moves atomically."""
from __future__ import annotations

import json
import os
import struct
import zlib

from sextant import _journal as J


def test_records_round_trip(tmp_path):
    w = J.JournalWriter(str(tmp_path), segment_bytes=200)
    payloads = [bytes([i]) * (i * 10) for i in range(1, 12)]
    for i, p in enumerate(payloads):
        w.append(J.LOG if i % 2 else J.FILE, p)
    w.close()
    assert len(J.list_segments(str(tmp_path))) > 1  # rotated
    got = list(J.iter_all(str(tmp_path)))
    assert [r.payload for r in got] == payloads
    first = open(os.path.join(tmp_path, J.segment_name(1)), "rb").read()
    assert first[:8] == b"SXTJ" + struct.pack("<HH", 1, 0)
    length, crc, rtype = struct.unpack_from("<IIB", first, 8)
    assert length == 10 and rtype == J.FILE
    assert crc == zlib.crc32(payloads[0], zlib.crc32(bytes([rtype])))


def test_torn_and_corrupt_records_are_detected(tmp_path):
    w = J.JournalWriter(str(tmp_path))
    end1 = w.append(J.LOG, b"a" * 100)
    w.append(J.LOG, b"b" * 100)
    w.close()
    path = os.path.join(tmp_path, J.segment_name(1))
    data = open(path, "rb").read()
    open(path, "wb").write(data[:-7])  # a crash mid-record
    r = J.JournalReader(str(tmp_path)).read((1, 0))
    assert [x.payload for x in r.records] == [b"a" * 100] and r.torn and r.next_pos == end1
    flipped = bytearray(data)
    flipped[-1] ^= 0xFF  # a bit flip in the last payload
    open(path, "wb").write(bytes(flipped))
    r = J.JournalReader(str(tmp_path)).read((1, 0))
    assert len(r.records) == 1 and r.torn


def test_ack_marker_is_replaced_atomically(tmp_path):
    assert J.read_ack(str(tmp_path)) is None
    J.write_ack(str(tmp_path), (3, 1234))
    assert J.read_ack(str(tmp_path)) == (3, 1234)
    obj = json.load(open(tmp_path / "ack.json"))
    assert obj["segment"] == 3 and obj["offset"] == 1234
    assert [p.name for p in tmp_path.iterdir()] == ["ack.json"]  # no temp file left


def test_file_lock(tmp_path):
    p = str(tmp_path / "writer.lock")
    a = J.FileLock(p)
    assert a.try_acquire()
    assert J.FileLock.is_held(p)
    assert not J.FileLock(p).try_acquire()
    a.release()
    assert not J.FileLock.is_held(p)
