"""W&B-style helpers for quick scripts: one current run per process.

    sextant.init(project="team/llm")
    for step in range(100):
        sextant.log({"loss": 1 / (step + 1)})     # steps 0, 1, 2, ...
    sextant.finish()
"""
from __future__ import annotations

import threading
from typing import Any, Mapping, Optional, Union

from ._errors import SextantError, ValidationError
from ._run import Run
from ._validate import Histogram

_lock = threading.Lock()
_current: Optional[Run] = None


def init(**kwargs: Any) -> Run:
    """Starts a run (the same keyword arguments as `Run`) and makes it the
    one `log()` and `finish()` use. A previous current run is finished."""
    global _current
    with _lock:
        previous, _current = _current, None
    if previous is not None:
        previous.close()
    run = Run(**kwargs)
    with _lock:
        _current = run
    return run


def log(data: Mapping[str, Any], step: Optional[Union[int, float]] = None) -> None:
    """Logs {path: value} to the current run at `step` (default: one more
    than the previous step). Numbers go to float series, str to string
    series, `Histogram` to histogram series."""
    run = _current
    if run is None:
        raise SextantError("no current run: call sextant.init(project=...) first")
    if not isinstance(data, Mapping):
        raise ValidationError(f"sextant.log takes a dict, got {type(data).__name__}")
    metrics = {}
    strings = {}
    hists = {}
    for k, v in data.items():
        if isinstance(v, str):
            strings[k] = v
        elif isinstance(v, Histogram):
            hists[k] = v
        else:
            metrics[k] = v
    if step is None:
        step = run._auto_step()
    if metrics:
        run.log_metrics(metrics, step=step)
    if strings:
        run.log_string_series(strings, step=step)
    if hists:
        run.log_histograms(hists, step=step)


def finish(*, state: str = "finished", timeout: Optional[float] = None) -> bool:
    """Closes the current run (see `Run.close`)."""
    global _current
    with _lock:
        run, _current = _current, None
    if run is None:
        return True
    return run.close(state=state, timeout=timeout)


def current_run() -> Optional[Run]:
    return _current
