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
    """The path was already logged in this run with another type."""


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
