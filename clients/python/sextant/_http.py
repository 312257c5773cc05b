"""HTTP/1.1 to the server with http.client: one keep-alive connection per
`Http` object, bearer token, JSON and gzip bodies.

Thread-safety: an `Http` object belongs to one thread at a time.
"""
from __future__ import annotations

import html
import http.client
import json
import math
import os
import re
import ssl
import urllib.parse
from typing import IO, Any, Mapping, Optional, Tuple, Union

from ._errors import ApiError, UnreachableError, ValidationError
from ._version import __version__

DEFAULT_URL = "http://127.0.0.1:5050"
API_PREFIX = "/api/v1"
USER_AGENT = f"sextant-python/{__version__}"

# Statuses worth retrying: the server or a proxy in front of it is
# overloaded, restarting or timed out. Everything else 4xx is final.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def resolve_url(url: Optional[str]) -> str:
    url = url or os.environ.get("SEXTANT_URL") or DEFAULT_URL
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValidationError(f"server URL {url!r} must look like http://host:port")
    return url.rstrip("/")


def resolve_token(token: Optional[str]) -> Optional[str]:
    return token if token is not None else (os.environ.get("SEXTANT_API_TOKEN") or None)


def quote(s: str, safe: str = "") -> str:
    return urllib.parse.quote(s, safe=safe)


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return loads(self.body) if self.body else None

    def error(self, method: str = "", target: str = "") -> ApiError:
        try:
            err = json.loads(self.body)["error"]
            code, message = str(err["code"]), str(err["message"])
        except (ValueError, KeyError, TypeError):
            # Not a Sextant answer (a proxy, another service on that port):
            # a short excerpt, never a whole page.
            code, message = "http_error", excerpt(self.body, self.headers.get("Content-Type", ""))
        return ApiError(self.status, code, message, method=method, target=target)


EXCERPT_CHARS = 120


def excerpt(body: bytes, content_type: str = "") -> str:
    """A one-line summary of a non-JSON error body: an HTML page's <title>
    (else its text without tags), whitespace collapsed, cut to EXCERPT_CHARS."""
    text = body[:64 << 10].decode("utf-8", "replace")
    if "html" in content_type.lower() or re.match(r"\s*<(!doctype|html)", text, re.I):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
        text = title.group(1) if title else re.sub(r"<[^>]*>", " ", text)
        text = "an HTML page" + (f": {html.unescape(text).strip()!s}" if text.strip() else "")
    text = " ".join(text.split())
    if not text:
        return "(empty body)"
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1] + "…"


Body = Union[bytes, IO[bytes], None]


class Http:
    def __init__(self, url: str, token: Optional[str], timeout: float = 60.0):
        self.url = url
        parts = urllib.parse.urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/") + API_PREFIX
        self._timeout = timeout
        self._headers = {"User-Agent": USER_AGENT}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._conn: Optional[http.client.HTTPConnection] = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self._https:
                self._conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout,
                    context=ssl.create_default_context(), blocksize=1 << 20)
            else:
                self._conn = http.client.HTTPConnection(self._host, self._port,
                                                        timeout=self._timeout, blocksize=1 << 20)
        return self._conn

    def request(self, method: str, path: str, body: Body = None,
                headers: Optional[Mapping[str, str]] = None,
                stream_to: Optional[IO[bytes]] = None) -> Response:
        """Sends one request under the API prefix. Raises UnreachableError on
        a transport failure; HTTP errors come back as the Response. With
        `stream_to`, a 2xx body is copied there instead of kept."""
        target = self._prefix + path
        hdrs = dict(self._headers)
        if headers:
            hdrs.update(headers)
        rewind = body.tell() if (body is not None and not isinstance(body, bytes)) else None
        for attempt in (0, 1):
            reused = self._conn is not None
            conn = self._connection()
            try:
                if rewind is not None:
                    body.seek(rewind)  # type: ignore[union-attr]
                conn.request(method, target, body=body, headers=hdrs)
                resp = conn.getresponse()
                if stream_to is not None and 200 <= resp.status < 300:
                    while True:
                        chunk = resp.read(1 << 20)
                        if not chunk:
                            break
                        stream_to.write(chunk)
                    data = b""
                else:
                    data = resp.read()
                if resp.will_close:
                    self.close()
                return Response(resp.status, resp.headers, data)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    http.client.BadStatusLine) as e:
                self.close()
                # A kept-alive connection the server closed while idle: retry
                # once on a fresh one (requests here are safe to repeat).
                if reused and attempt == 0 and stream_to is None:
                    continue
                raise UnreachableError(self.url, e) from None
            except (OSError, http.client.HTTPException) as e:
                self.close()
                raise UnreachableError(self.url, e) from None
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, obj: Any = None,
             ok: Tuple[int, ...] = (200, 201)) -> Any:
        """A JSON request; returns the parsed answer or raises ApiError."""
        body = None if obj is None else dumps(obj)
        hdrs = {"Content-Type": "application/json"} if body is not None else None
        r = self.request(method, path, body, hdrs)
        if r.status not in ok:
            raise r.error(method, path)
        return r.json()


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False,
                      default=_default).encode("utf-8")


def _default(o: Any) -> Any:
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


def _parse_int(s: str) -> Any:
    return -0.0 if s == "-0" else int(s)  # the server prints -0.0 as "-0"


def loads(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"), parse_int=_parse_int)


_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def api_float(x: Any) -> float:
    """A float from the API: a number or "NaN" / "Infinity" / "-Infinity"."""
    if isinstance(x, str):
        return _NONFINITE.get(x, math.nan)
    return float(x) if x is not None else math.nan
