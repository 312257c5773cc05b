"""Which path logs metrics: the compiled accelerator (`sextant._accel`,
built from csrc/_accel.c by the install when a C compiler and the Python
headers are there) or pure Python. The two write the same journal.

SEXTANT_PURE_PYTHON=1 in the environment (read at import) forces pure Python.
"""
from __future__ import annotations

import os
from typing import Any, Optional

MetricBuffer: Optional[Any] = None
if os.environ.get("SEXTANT_PURE_PYTHON", "").strip().lower() not in ("1", "true", "yes"):
    try:
        from ._accel import MetricBuffer  # type: ignore[no-redef]
    except ImportError:  # not built here (no compiler, PyPy, ...): pure Python
        MetricBuffer = None


def accelerated() -> bool:
    """True when new Runs log metrics through the compiled accelerator."""
    return MetricBuffer is not None
