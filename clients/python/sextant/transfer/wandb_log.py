"""The framing of W&B's `.wandb` transaction log (`wandb_offline` decodes
its records).

The `.wandb` file (W&B's "datastore", written by the client's wandb-core):
- a 7-byte header: `:W&B`, magic 0xBEE1 (uint16, little-endian), version 0;
- then records in LevelDB log framing: the file is cut into 32 KiB blocks
  (the header counts toward the first); each chunk is
  `checksum(uint32 LE) | length(uint16 LE) | type(uint8) | data`, type
  FULL=1 / FIRST=2 / MIDDLE=3 / LAST=4 (a record cut across blocks); a chunk
  never crosses a block, and a block's last < 7 bytes are zeros. The
  checksum is the standard CRC-32 (zlib's) of the type byte then the data.
- each record is a protobuf `wandb.proto.wandb_internal_pb2.Record`.

A chunk whose checksum fails is reported and the rest of its block skipped
(its length may be what broke), as LevelDB does; a file that ends inside a
chunk is reported as truncated; records before and after are imported.
"""
from __future__ import annotations

import os
import struct
import zlib
from typing import Callable, Iterator, List, Optional

BLOCK = 32768
HEADER = struct.Struct("<4sHB")
CHUNK = struct.Struct("<IHB")
IDENT, MAGIC, VERSION = b":W&B", 0xBEE1, 0
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: str, bad: Callable[[str], None]) -> Iterator[bytes]:
    """Every intact record of a .wandb file; `bad(message)` for each
    problem (a bad header stops the file)."""
    crc_seed = [zlib.crc32(bytes([t])) for t in range(256)]
    with open(path, "rb") as f:
        head = f.read(HEADER.size)
        if len(head) < HEADER.size:
            bad(f"{os.path.basename(path)}: {len(head)} bytes, shorter than the W&B header")
            return
        ident, magic, version = HEADER.unpack(head)
        if ident != IDENT or magic != MAGIC:
            bad(f"{os.path.basename(path)}: not a W&B transaction log (header {head!r})")
            return
        if version != VERSION:
            bad(f"{os.path.basename(path)}: W&B log format version {version}; this reads version {VERSION}")
            return
        base, pos = 0, HEADER.size
        block = head + f.read(BLOCK - HEADER.size)
        pending: Optional[List[bytes]] = None
        while True:
            n = len(block)
            while pos + 7 <= n:
                crc, length, kind = CHUNK.unpack_from(block, pos)
                end = pos + 7 + length
                if end > n:
                    if n < BLOCK:
                        bad(f"truncated: the file ends inside a record at byte {base + pos} "
                            f"({n - pos} of {length + 7} bytes)")
                    else:
                        bad(f"corrupt chunk at byte {base + pos}: its length {length} passes the end "
                            f"of its block; {n - pos} bytes skipped")
                    pending = None
                    pos = n
                    break
                if kind == 0 and length == 0 and crc == 0:  # zero fill (a preallocated tail)
                    pos = n
                    break
                if kind > LAST or zlib.crc32(memoryview(block)[pos + 7:end], crc_seed[kind]) != crc:
                    why = "checksum mismatch" if kind <= LAST else f"unknown chunk type {kind}"
                    bad(f"corrupt chunk at byte {base + pos} ({why}): the rest of its block, "
                        f"{n - pos} bytes, skipped" + (", with the record it continued" if pending else ""))
                    pending = None
                    pos = n
                    break
                data = block[pos + 7:end]
                pos = end
                if kind == FULL:
                    if pending is not None:
                        bad(f"a record cut short before byte {base + pos - length - 7} skipped")
                        pending = None
                    yield data
                elif kind == FIRST:
                    if pending is not None:
                        bad(f"a record cut short before byte {base + pos - length - 7} skipped")
                    pending = [data]
                elif pending is None:
                    bad(f"a record's continuation at byte {base + pos - length - 7} without its start skipped")
                elif kind == MIDDLE:
                    pending.append(data)
                else:
                    pending.append(data)
                    yield b"".join(pending)
                    pending = None
            if n < BLOCK:
                tail = block[pos:]
                if tail.strip(b"\0"):
                    bad(f"truncated: {len(tail)} bytes at the end of the file hold no whole chunk")
                if pending is not None:
                    bad("truncated: the file ends inside a record")
                return
            base += BLOCK
            pos = 0
            block = f.read(BLOCK)
            if not block:
                if pending is not None:
                    bad("truncated: the file ends inside a record")
                return
