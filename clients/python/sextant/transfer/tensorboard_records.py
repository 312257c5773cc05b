"""TensorBoard event files: the TFRecord framing and its masked CRC-32C
checks (`read_records`), for `tensorboard.py`. A record is
`u64 length | u32 masked crc32c(length) | data | u32 masked crc32c(data)`,
little-endian; damage is reported through a callback and skipped."""
from __future__ import annotations

import os
import struct
from typing import Callable, Iterator, Optional, Tuple

READ_BLOCK = 8 << 20             # bytes read from an event file at a time
_HEADER = struct.Struct("<QI")
_U32 = struct.Struct("<I")


# -- CRC-32C --------------------------------------------------------------------

def _table_crc32c() -> Callable[[bytes], int]:
    """Pure-Python CRC-32C (reflected polynomial 0x82F63B78), one table
    lookup per byte: exact, about 10 MB/s. Used only without a C package."""
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    tbl = tuple(table)

    def crc32c(data: bytes) -> int:
        c = 0xFFFFFFFF
        for b in data:
            c = tbl[(c ^ b) & 0xFF] ^ (c >> 8)
        return c ^ 0xFFFFFFFF
    return crc32c


def crc32c_function() -> Tuple[Callable[[bytes], int], str]:
    """The fastest CRC-32C available and its name."""
    try:
        import google_crc32c  # type: ignore[import-not-found]
        if getattr(google_crc32c, "implementation", "c") == "c":
            return google_crc32c.value, "google_crc32c"
    except ImportError:
        pass
    try:
        import crc32c as _c  # type: ignore[import-not-found]
        return _c.crc32c, "crc32c"
    except (ImportError, AttributeError):
        pass
    return _table_crc32c(), "pure Python"


def masked_crc(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# -- records ----------------------------------------------------------------------

Bad = Callable[[int, str], None]  # (byte offset, why)


def read_records(path: str, crc: Callable[[bytes], int], bad: Bad) -> Iterator[Tuple[int, bytes]]:
    """(offset, data) of each intact record of a TFRecord file; damage is
    told to `bad` and skipped (see the module docstring)."""
    try:
        f = open(path, "rb")
    except OSError as e:
        bad(0, f"cannot be read: {e}")
        return
    with f:
        buf = b""
        base = 0                       # file offset of buf[0]
        pos = 0
        eof = False
        damaged: Optional[int] = None  # where a stretch of damage began
        hdr, u32 = _HEADER, _U32
        good: set = set()  # headers (length + its CRC) already verified: most lengths repeat
        want = 12                      # bytes needed at pos before going on
        while True:
            if len(buf) - pos < want:
                if not eof:
                    try:
                        more = f.read(max(READ_BLOCK, want - (len(buf) - pos)))
                    except OSError as e:
                        bad(base + pos, f"cannot be read ({e}): the rest of the file is skipped")
                        return
                    if more:
                        buf = buf[pos:] + more
                        base += pos
                        pos = 0
                    else:
                        eof = True
                    continue
                left = len(buf) - pos
                if damaged is not None and (want == 12 or left < 12):
                    bad(damaged, f"damaged data to the end of the file "
                                 f"({base + len(buf) - damaged} bytes) skipped")
                    return
                if want == 12:
                    if left:
                        bad(base + pos, f"truncated record ({left} bytes of a 12-byte header): "
                                        f"the end of the file is skipped")
                    return
                if damaged is not None:  # a chance header match inside damage
                    pos += 1
                    want = 12
                    continue
                bad(base + pos, f"truncated record ({want - 16} bytes announced, {left - 12} "
                                f"present): the end of the file is skipped")
                return
            if want == 12:
                length, lcrc = hdr.unpack_from(buf, pos)
                h = buf[pos:pos + 12]
                if h not in good:
                    c = crc(h[:8])
                    if (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF != lcrc:  # masked CRC
                        if damaged is None:
                            damaged = base + pos
                        pos += 1
                        continue
                    if len(good) < 65536:
                        good.add(h)
                want = 16 + length
                if len(buf) - pos < want:
                    try:
                        size = os.fstat(f.fileno()).st_size
                    except OSError:
                        size = 0
                    if base + pos + want > size:  # it cannot be complete: never read for it
                        if damaged is not None:    # a chance header match inside damage
                            pos += 1
                            want = 12
                            continue
                        bad(base + pos, f"truncated record ({length} bytes announced, "
                                        f"{size - base - pos - 12} present): "
                                        f"the end of the file is skipped")
                        return
                    continue
            end = pos + want
            want = 12
            data = buf[pos + 12:end - 4]
            c = crc(data)
            if (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF != u32.unpack_from(buf, end - 4)[0]:
                if damaged is not None:
                    pos += 1
                    continue
                bad(base + pos, f"record of {len(data)} bytes fails its data CRC: skipped")
                pos = end
                continue
            if damaged is not None:
                bad(damaged, f"a record length fails its CRC: {base + pos - damaged} bytes "
                             f"up to the next intact record skipped")
                damaged = None
            yield base + pos, data
            pos = end
