"""What a logged file's bytes are, and the name it is stored under.

The server serves a file with the type sniffed from its first bytes and the
name given at upload, and that name is what a download is saved as. Bytes
logged from memory have no name of their own, so the SDK names them after
the attribute path's last segment plus an extension read from the content
("confusion" holding a PNG becomes "confusion.png").

matplotlib figures and PIL images are rendered to PNG here. Neither library
is imported unless the object passed is one of theirs: the SDK needs no
dependency, and importing either is slow.
"""
from __future__ import annotations

import codecs
import io
import json
import re
from typing import Any, Optional, Tuple

from ._errors import ValidationError

# Extensions that name the content exactly: a name is made to end in one
# (the server shows these inline by their bytes, the name should agree).
_EXACT = ("png", "jpg", "gif", "webp", "pdf", "svg")
_SYNONYMS = {"jpg": ("jpg", "jpeg")}
_HAS_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")
_TEXT_PROBE = 1 << 16   # bytes read to decide "text"
_JSON_MAX = 16 << 20    # larger JSON-looking text is only called "txt": parsing it costs
_WS = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


def sniff(data: bytes) -> str:
    """The extension (no dot) for `data` by its first bytes; "bin" if unknown."""
    if not data:
        return "bin"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if data.startswith(b"\x1f\x8b"):
        return "gz"
    if data.startswith(b"\x93NUMPY"):
        return "npy"
    head = data[:_TEXT_PROBE]
    if b"\0" in head or not _is_utf8(head, complete=len(data) <= _TEXT_PROBE):
        return "bin"
    text = head[len(_BOM):] if head.startswith(_BOM) else head
    text = text.lstrip(_WS)
    low = text[:4096].lower()
    if low.startswith(b"<"):
        if low.startswith(b"<!doctype html") or low.startswith(b"<html"):
            return "html"
        if b"<svg" in low:
            return "svg"
        if low.startswith(b"<?xml"):
            return "xml"
    if text[:1] in (b"{", b"[") and len(data) <= _JSON_MAX:
        try:
            json.loads(data.decode("utf-8-sig"))
            return "json"
        except ValueError:
            pass
    return "txt"


def _is_utf8(head: bytes, complete: bool) -> bool:
    # A probe cut in the middle of a character is still text.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return True
    except UnicodeDecodeError:
        return False


def name_for(leaf: str, ext: str) -> str:
    """`leaf` with the extension `ext` where it needs one: always for the
    exact types (png, jpg, ...) unless it already ends so; for the others only
    when `leaf` has no extension at all ("model.pt" holding a zip stays)."""
    if ext in _EXACT:
        low = leaf.lower()
        if any(low.endswith("." + e) for e in _SYNONYMS.get(ext, (ext,))):
            return leaf
        return f"{leaf}.{ext}"
    if _HAS_EXTENSION.search(leaf):
        return leaf
    return f"{leaf}.{ext}"


def _from(obj: Any, package: str) -> bool:
    """Whether obj's class (or a base) comes from `package`, without importing it."""
    return any(c.__module__ == package or c.__module__.startswith(package + ".")
               for c in type(obj).__mro__)


def in_memory(obj: Any, where: str) -> Optional[Tuple[bytes, str]]:
    """(content, extension) for the in-memory values log_files accepts:
    bytes-like, io.BytesIO (its whole buffer), a binary file object (read
    from where it stands), a matplotlib Figure or a PIL Image (as PNG).
    None for anything else."""
    if isinstance(obj, (bytes, bytearray, memoryview)):
        data = bytes(obj)
        return data, sniff(data)
    if isinstance(obj, io.BytesIO):
        data = obj.getvalue()
        return data, sniff(data)
    if isinstance(obj, io.TextIOBase):
        raise ValidationError(f"file {where!r}: {type(obj).__name__} is a text stream; "
                              "open the file in binary mode ('rb') or pass bytes")
    if isinstance(obj, (io.RawIOBase, io.BufferedIOBase)):
        data = obj.read()
        if not isinstance(data, bytes):
            raise ValidationError(f"file {where!r}: reading {type(obj).__name__} gave "
                                  f"{type(data).__name__}, not bytes")
        return data, sniff(data)
    if _from(obj, "matplotlib") and hasattr(obj, "savefig"):
        return _figure_png(obj), "png"
    if _from(obj, "PIL"):
        from PIL import Image  # only now: the object is Pillow's
        if isinstance(obj, Image.Image):
            return _image_png(obj), "png"
    return None


def _figure_png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


# Modes PNG stores as they are; others (CMYK, YCbCr, F, ...) are converted.
_PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}


def _image_png(img: Any) -> bytes:
    if img.mode not in _PNG_MODES:
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
