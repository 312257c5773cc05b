"""Sextant: log training runs without slowing or blocking them, never
losing data, and read them back.

    import sextant

    with sextant.Run(project="team/llm", name="baseline") as run:
        run.log_configs({"lr": 3e-4, "model": {"layers": 24}})
        run.add_tags(["baseline"])
        for step in range(100):
            run.log_metrics({"train/loss": 1 / (step + 1)}, step=step)

    client = sextant.Client()
    print(client.series("team/llm", run.run_id, "train/loss", buckets=50))

A logging call only validates and enqueues; a background thread batches,
writes a local journal (./.sextant) and sends it. If the server is away,
training goes on and `sextant sync` uploads the journal later.
`sextant.accelerated()` says whether the compiled accelerator is in use
(SEXTANT_PURE_PYTHON=1 turns it off).
Server: $SEXTANT_URL (default http://127.0.0.1:5050), token:
$SEXTANT_API_TOKEN, project: $SEXTANT_PROJECT. See docs/python.md.
"""
from ._client import Attributes, Client, Runs, SeriesSet
from ._errors import (ApiError, RunClosedError, SextantError, TypeConflictError, UnreachableError,
                      ValidationError)
from ._fast import accelerated
from ._quick import finish, init, log
from ._run import Run
from ._validate import Histogram
from ._version import __version__

__all__ = [
    "Run",
    "init",
    "log",
    "finish",
    "Client",
    "Histogram",
    "Runs",
    "Attributes",
    "SeriesSet",
    "SextantError",
    "ValidationError",
    "TypeConflictError",
    "RunClosedError",
    "ApiError",
    "UnreachableError",
    "accelerated",
    "__version__",
]
