"""The local journal: what a run logged, on disk before it is sent.

Layout (docs/python.md, "The journal", is the reference)::

    <journal dir>/<workspace>/<project>/<run id>/<session>/
        session.json     who wrote this folder: project, run id, server URL, mode
        00000001.seg     append-only segments of length-prefixed, checksummed records
        ack.json         {"segment": N, "offset": M}: everything before is acknowledged
        blobs/           copies of logged files until they are uploaded
        rejected.jsonl   what the server refused for good (kept, never dropped silently)
        writer.lock      held (flock) by the process appending to the segments
        sender.lock      held (flock) by the process uploading them

Segment: an 8-byte header ``b"SXTJ" + u16 version (1) + u16 0``, then records
``u32 length | u32 crc32 | u8 type | payload[length]`` (little-endian; the
CRC-32 covers the type byte and the payload). A record that is cut short or
fails its checksum (a crash mid-write) ends the readable part of its segment.

Thread-safety: a `JournalWriter` belongs to one thread; a `JournalReader`
too. The ack marker is replaced atomically (write, then rename).
"""
from __future__ import annotations

import json
import os
import struct
import time
import zlib
from typing import IO, Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

try:  # POSIX advisory locks; elsewhere locks are simply not taken.
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]

MAGIC = b"SXTJ"
VERSION = 1
HEADER = MAGIC + struct.pack("<HH", VERSION, 0)
HEADER_SIZE = len(HEADER)
_REC = struct.Struct("<IIB")
REC_HEADER_SIZE = _REC.size  # 9

# Record types. Payloads: CREATE and FINISH are JSON request bodies; LOG is
# u32 point count + the gzip-compressed JSON body of POST .../log, exactly as
# sent; FILE is JSON {"path", "step", "name", "blob", "sha256", "size"}.
CREATE, LOG, FILE, FINISH = 1, 2, 3, 4
TYPE_NAMES = {CREATE: "create", LOG: "log", FILE: "file", FINISH: "finish"}

SEGMENT_BYTES = 64 << 20
MAX_RECORD_BYTES = 1 << 30

Pos = Tuple[int, int]  # (segment index, byte offset)


class Record(NamedTuple):
    segment: int
    offset: int
    end: int          # offset just past this record
    type: int
    payload: bytes


def segment_name(index: int) -> str:
    return f"{index:08d}.seg"


def list_segments(folder: str) -> List[int]:
    out: List[int] = []
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return out
    for name in names:
        if name.endswith(".seg") and name[:-4].isdigit():
            out.append(int(name[:-4]))
    return sorted(out)


def encode_record(rtype: int, payload: bytes) -> bytes:
    crc = zlib.crc32(payload, zlib.crc32(bytes((rtype,))))
    return _REC.pack(len(payload), crc, rtype) + payload


def log_payload(points: int, body: bytes) -> bytes:
    """A log record: the point count, then the request body, gzipped or not
    (a gzip stream starts with 1f 8b, a JSON body with '{')."""
    return struct.pack("<I", min(points, 0xFFFFFFFF)) + body


def split_log_payload(payload: bytes) -> Tuple[int, bytes]:
    (points,) = struct.unpack_from("<I", payload)
    return points, payload[4:]


def is_gzip(body: bytes) -> bool:
    return body[:2] == b"\x1f\x8b"


# --------------------------------------------------------------------------
# Locks


class FileLock:
    """An advisory exclusive lock on `path` (flock); a no-op without fcntl."""

    def __init__(self, path: str):
        self.path = path
        self._f: Optional[IO[bytes]] = None

    def try_acquire(self) -> bool:
        if _fcntl is None:
            return True
        f = open(self.path, "a+b")
        try:
            _fcntl.flock(f.fileno(), _fcntl.LOCK_EX | _fcntl.LOCK_NB)
        except OSError:
            f.close()
            return False
        self._f = f
        return True

    def release(self) -> None:
        if self._f is not None:
            try:
                _fcntl.flock(self._f.fileno(), _fcntl.LOCK_UN)  # type: ignore[union-attr]
            finally:
                self._f.close()
                self._f = None

    @staticmethod
    def is_held(path: str) -> bool:
        """True when another process (or another open file) holds the lock."""
        if _fcntl is None or not os.path.exists(path):
            return False
        with open(path, "a+b") as f:
            try:
                _fcntl.flock(f.fileno(), _fcntl.LOCK_EX | _fcntl.LOCK_NB)
            except OSError:
                return True
            _fcntl.flock(f.fileno(), _fcntl.LOCK_UN)
        return False


# --------------------------------------------------------------------------
# Files next to the segments


def write_json_atomic(path: str, obj: Any, fsync: bool = False) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, separators=(",", ":"))
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: str) -> Optional[Dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except (FileNotFoundError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


def read_ack(folder: str) -> Optional[Pos]:
    obj = read_json(os.path.join(folder, "ack.json"))
    if obj is None:
        return None
    try:
        return int(obj["segment"]), int(obj["offset"])
    except (KeyError, TypeError, ValueError):
        return None


def write_ack(folder: str, pos: Pos, stats: Optional[Dict[str, Any]] = None) -> None:
    obj: Dict[str, Any] = {"segment": pos[0], "offset": pos[1], "updated_at": time.time()}
    if stats:
        obj.update(stats)
    write_json_atomic(os.path.join(folder, "ack.json"), obj)


# --------------------------------------------------------------------------
# Writer


class JournalWriter:
    """Appends records to the segments of one session folder."""

    def __init__(self, folder: str, segment_bytes: int = SEGMENT_BYTES,
                 fsync_interval: Optional[float] = 1.0):
        self.folder = folder
        self.segment_bytes = segment_bytes
        self.fsync_interval = fsync_interval
        os.makedirs(folder, exist_ok=True)
        existing = list_segments(folder)
        self._index = (existing[-1] + 1) if existing else 1
        self._f: Optional[IO[bytes]] = None
        self._size = 0
        self._dirty = False
        self._last_fsync = time.monotonic()
        self._open_segment()

    @property
    def position(self) -> Pos:
        """Just past the last record appended (flushed or not)."""
        return self._index, self._size

    def _open_segment(self) -> None:
        path = os.path.join(self.folder, segment_name(self._index))
        f = open(path, "xb")
        f.write(HEADER)
        self._f = f
        self._size = HEADER_SIZE

    def append(self, rtype: int, payload: bytes) -> Pos:
        """Appends one record; returns the position just past it."""
        if len(payload) > MAX_RECORD_BYTES:
            raise ValueError("journal record too large")
        if self._f is None:
            self._open_segment()
        if self._size > HEADER_SIZE and self._size + REC_HEADER_SIZE + len(payload) > self.segment_bytes:
            self._rotate()
        assert self._f is not None
        crc = zlib.crc32(payload, zlib.crc32(bytes((rtype,))))
        self._f.write(_REC.pack(len(payload), crc, rtype))
        self._f.write(payload)
        self._size += REC_HEADER_SIZE + len(payload)
        self._dirty = True
        return self._index, self._size

    def _rotate(self) -> None:
        self.flush(fsync=True)
        assert self._f is not None
        self._f.close()
        self._index += 1
        self._open_segment()

    def abandon_segment(self) -> None:
        """After a failed write (disk full, I/O error): leave the current
        segment as it is (readers skip a damaged tail) and write the next
        record to a new one. Records flushed before the failure stay."""
        if self._f is not None:
            try:
                self._f.close()
            except OSError:
                pass
            self._f = None
        self._index += 1
        self._size = 0

    def flush(self, fsync: Optional[bool] = None) -> None:
        """Hands appended records to the OS (they survive a crash of this
        process); fsyncs when `fsync`, or when None and fsync_interval passed."""
        if self._f is None:
            return
        self._f.flush()
        if fsync is None:
            fsync = (self.fsync_interval is not None and self._dirty
                     and time.monotonic() - self._last_fsync >= self.fsync_interval)
        if fsync and self._dirty:
            os.fsync(self._f.fileno())
            self._last_fsync = time.monotonic()
            self._dirty = False

    def close(self) -> None:
        if self._f is not None:
            self.flush(fsync=True)
            self._f.close()
            self._f = None


# --------------------------------------------------------------------------
# Reader


class ReadResult(NamedTuple):
    records: List[Record]
    next_pos: Pos        # where to continue reading
    torn: bool           # the segment's readable part ended on a damaged record


class JournalReader:
    """Reads records of one session folder from a position. Keeps the
    current segment open between calls."""

    def __init__(self, folder: str):
        self.folder = folder
        self._open_index = -1
        self._f: Optional[IO[bytes]] = None

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None
            self._open_index = -1

    def _file(self, index: int) -> Optional[IO[bytes]]:
        if self._open_index != index:
            self.close()
            try:
                self._f = open(os.path.join(self.folder, segment_name(index)), "rb")
            except FileNotFoundError:
                return None
            self._open_index = index
        return self._f

    def read(self, pos: Pos, limit: Optional[Pos] = None, max_bytes: int = 8 << 20,
             max_records: int = 1000) -> ReadResult:
        """Reads whole records of segment pos[0] from pos[1], stopping at
        `limit` (in that segment), EOF, a damaged record, or the size caps."""
        index, offset = pos
        f = self._file(index)
        if f is None:
            return ReadResult([], pos, False)
        if offset < HEADER_SIZE:
            f.seek(0)
            head = f.read(HEADER_SIZE)
            if len(head) < HEADER_SIZE:
                return ReadResult([], pos, False)
            if head[:4] != MAGIC:
                return ReadResult([], pos, True)
            offset = HEADER_SIZE
        stop = limit[1] if (limit is not None and limit[0] == index) else None
        out: List[Record] = []
        total = 0
        f.seek(offset)
        torn = False
        while len(out) < max_records and total < max_bytes:
            if stop is not None and offset >= stop:
                break
            head = f.read(REC_HEADER_SIZE)
            if len(head) < REC_HEADER_SIZE:
                torn = len(head) > 0
                break
            length, crc, rtype = _REC.unpack(head)
            if length > MAX_RECORD_BYTES:
                torn = True
                break
            payload = f.read(length)
            if len(payload) < length or zlib.crc32(payload, zlib.crc32(bytes((rtype,)))) != crc:
                torn = True
                break
            end = offset + REC_HEADER_SIZE + length
            out.append(Record(index, offset, end, rtype, payload))
            total += length
            offset = end
        return ReadResult(out, (index, offset), torn)

    def segment_size(self, index: int) -> int:
        try:
            return os.path.getsize(os.path.join(self.folder, segment_name(index)))
        except OSError:
            return 0


def iter_all(folder: str) -> Iterator[Record]:
    """Every readable record of a session folder, oldest first (tools, tests)."""
    reader = JournalReader(folder)
    try:
        for index in list_segments(folder):
            pos: Pos = (index, 0)
            while True:
                res = reader.read(pos)
                yield from res.records
                if not res.records or res.torn:
                    break
                pos = res.next_pos
    finally:
        reader.close()
