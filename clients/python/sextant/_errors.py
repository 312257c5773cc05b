"""The exception tree. Every error the SDK raises is a `SextantError`::

    SextantError
    ├── ValidationError      a value, path, step or argument was refused at the
    │                        call site (also a ValueError); nothing was queued
    │   └── TypeConflictError  a path was logged with another type before
    ├── RunClosedError       logging to a run after close()/finish()
    ├── ApiError             the server answered with an error (status, code)
    └── UnreachableError     the server could not be reached (also an OSError)

Logging calls (`Run.log_*`) only ever raise `ValidationError` and
`RunClosedError`: network and disk trouble is handled in the background.
"""
from __future__ import annotations

from typing import Optional


class SextantError(Exception):
    """The root of every error raised by this package."""


class ValidationError(SextantError, ValueError):
    """A value, path, step or argument was refused before anything was queued."""


class TypeConflictError(ValidationError):
    """The path was already logged in this run with another type: `path`,
    `existing` and `attempted` are the attribute types ("float" for a float
    config, "float_series" for a metric, ...)."""

    def __init__(self, path: str, existing: str, attempted: str):
        self.path = path
        self.existing = existing
        self.attempted = attempted
        super().__init__(_conflict_message(path, existing, attempted))

    def __reduce__(self):  # type: ignore[no-untyped-def]  # picklable (multiprocessing)
        return (type(self), (self.path, self.existing, self.attempted))


_KINDS = {
    "float": "a float config", "int": "an int config", "bool": "a bool config",
    "string": "a string config", "datetime": "a datetime config",
    "string_set": "a string set config", "float_series": "a metric (float series)",
    "string_series": "a string series", "histogram_series": "a histogram series",
    "file": "a file", "file_series": "a file series",
}
# Where to suggest logging the new value instead, by the type attempted.
_PREFIXES = {"float_series": "metrics", "string_series": "text", "histogram_series": "histograms",
             "file": "files", "file_series": "files"}


def _conflict_message(path: str, existing: str, attempted: str) -> str:
    have, want = _KINDS.get(existing, existing), _KINDS.get(attempted, attempted)
    msg = (f"{path!r} is already {have} in this run; it cannot also be {want}: an attribute "
           "keeps the type it was first logged with. ")
    prefix = _PREFIXES.get(attempted, "config")
    other = f"{prefix}/{path}" if not path.startswith(prefix + "/") else f"{path}_{attempted}"
    return msg + f"Log it under another path, e.g. {other!r}."


class RunClosedError(SextantError):
    """The run is closed; nothing more can be logged to it."""


class ApiError(SextantError):
    """The server answered with an error: `status` (HTTP), `code`, `message`."""

    def __init__(self, status: int, code: str, message: str, *, method: str = "", target: str = ""):
        self.status = status
        self.code = code
        self.message = message
        where = f" ({method} {target})" if method else ""
        super().__init__(f"HTTP {status} {code}: {message}{where}")


class UnreachableError(SextantError, OSError):
    """The server could not be reached (refused, timed out, reset)."""

    def __init__(self, url: str, cause: Optional[BaseException] = None):
        self.url = url
        self.cause = cause
        super().__init__(f"cannot reach the Sextant server at {url}: {cause}")
