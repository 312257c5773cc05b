"""TensorBoard: event files written with tensorboardX's SummaryWriter, read
with the `tensorboard` package's own loaders (the ones its server uses)."""
from __future__ import annotations

import json
import math
import os
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Optional

from tensorboardX import SummaryWriter

from adapters.base import BaseAdapter

CHART_POINTS = 1000    # the scalars plugin's default downsampling (and the data server's reservoir)
LOAD_TIMEOUT_S = 600   # how long a read waits for the data server to load the logdir


class _Run:
    def __init__(self, writer: SummaryWriter, hparams: Optional[Dict[str, Any]]):
        self.writer = writer
        self.hparams = hparams
        self.last: Dict[str, float] = {}   # last value per tag, for the HParams session
        self.closed = False


class Adapter(BaseAdapter):
    name = "tensorboard"
    version = f"tensorboardX {version('tensorboardX')}, tensorboard {version('tensorboard')}"
    notes = [
        "writes: `tensorboardX.SummaryWriter(logdir=logs/<project>/<run>)` with its defaults "
        "(queue of 10 events, background writer thread, flush every 120 s); no server",
        "per-step writes: `writer.add_scalar(tag, v, global_step=i)` for each key of the dict",
        "configs: `writer.add_hparams(configs, {tag: last value})` at close, as the tensorboardX docs "
        "show; it writes the HParams session into a child run `<run>/<time>` (the last-value dict "
        "is kept only for runs that have configs)",
        "close: `writer.close()`: drains the queue, flushes and fsyncs the event file",
        "full read: `event_accumulator.EventAccumulator(run_dir, size_guidance={scalars: 0})`, "
        "`Reload()`, `Scalars(tag)`: tensorboard's Python loader, no TensorFlow installed (pure-Python "
        "record reader); each read loads the event file again (there is no index)",
        "chart and query reads go to the data server `tensorboard --logdir logs/<project> "
        "--reload_interval 0` starts by default (Rust, `--load_fast=auto`), started at the first "
        "such read and kept, so the first sample includes loading the event files",
        f"chart read: `read_scalars(downsample={CHART_POINTS})`, what the scalars plugin asks for "
        "(the server keeps a reservoir of 1,000 points per scalar tag)",
        "runs query: the HParams plugin's ListSessionGroups handler (POST "
        "/data/plugin/hparams/session_groups, without HTTP) over that server: discrete filter on "
        "cfg/optimizer, interval filter metrics/m01 <= nextafter(0.25, -inf) (its intervals are "
        "closed), ORDER_ASC on metrics/m00, sliceSize=page; filter, sort and slice run server-side",
    ]

    def __init__(self, workdir: Path, options: Dict[str, Any]):
        super().__init__(workdir, options)
        self.logdir = workdir / "logs"
        self.open_runs: Dict[int, _Run] = {}   # id -> run not closed yet
        self.ingesters: Dict[str, Any] = {}   # project -> tensorboard's data server ingester
        self.server_children: List[int] = []  # their pids, to reap them at stop()

    def storage_paths(self) -> List[Path]:
        return [self.logdir]

    def stop(self) -> None:
        for run in list(self.open_runs.values()):
            self.close_run(run)
        for ingester in self.ingesters.values():
            # started with --die-after-stdin, as tensorboard starts it: closing stdin stops it
            ingester._stdin_handle.close()
        self.ingesters.clear()
        for pid in self.server_children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.server_children.clear()

    # -------------------------------------------------------- writing
    def open_run(self, project: str, name: str, configs: Optional[Dict[str, Any]] = None) -> Any:
        run = _Run(SummaryWriter(logdir=str(self.logdir / project / name)),
                   dict(configs) if configs else None)
        self.open_runs[id(run)] = run
        return run

    def logger(self, run: Any):
        add = run.writer.add_scalar
        if run.hparams is None:
            def log(values: Dict[str, float], step: Optional[int] = None) -> None:
                for k, v in values.items():
                    add(k, v, global_step=step)
            return log
        last = run.last

        def log_and_keep(values: Dict[str, float], step: Optional[int] = None) -> None:
            for k, v in values.items():
                add(k, v, global_step=step)
            last.update(values)
        return log_and_keep

    def close_run(self, run: Any) -> None:
        if run.closed:
            return
        if run.hparams is not None:
            # tensorboardX opens, writes and closes its own writer for the session here
            run.writer.add_hparams(run.hparams, dict(run.last))
        run.writer.close()
        run.closed = True
        self.open_runs.pop(id(run), None)

    # -------------------------------------------------------- reading
    def _run_dir(self, project: str, name: str) -> str:
        return str(self.logdir / project / name)

    def count_points(self, project: str, name: str, path: str) -> int:
        return self.read_full(project, name, path)

    def read_full(self, project: str, name: str, path: str) -> int:
        from tensorboard.backend.event_processing import event_accumulator as ea

        acc = ea.EventAccumulator(self._run_dir(project, name), size_guidance={ea.SCALARS: 0})
        acc.Reload()
        return len(acc.Scalars(path))

    def _provider(self, project: str):
        """The data server that `tensorboard --logdir logs/<project> --reload_interval 0` starts
        (its default `--load_fast=auto` loader), started at the first chart or query read of
        the project and kept: the first read pays for loading the event files."""
        if project not in self.ingesters:
            from tensorboard.data import server_ingester
            from tensorboard.util import grpc_util

            ingester = server_ingester.SubprocessServerDataIngester(
                server_ingester.get_server_binary(), str(self.logdir / project), reload_interval=0,
                channel_creds_type=grpc_util.ChannelCredsType.LOCAL)
            before = _children()
            ingester.start()
            self.server_children += sorted(_children() - before)
            self.ingesters[project] = ingester
        return self.ingesters[project].data_provider

    def read_chart(self, project: str, name: str, path: str) -> int:
        from tensorboard.context import RequestContext
        from tensorboard.data import provider

        data, run = self._provider(project), name
        # What the scalars plugin asks the data server for: downsample=1000, its default.
        # The server loads a run's file completely before it shows any of it, so the first
        # answer that has the tag is the whole (sampled) series.
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while True:
            got = data.read_scalars(RequestContext(), experiment_id="", plugin_name="scalars",
                                    downsample=CHART_POINTS,
                                    run_tag_filter=provider.RunTagFilter(runs=[run], tags=[path]))
            points = got.get(run, {}).get(path)
            if points:
                return len(points)
            if time.monotonic() > deadline:
                raise RuntimeError(f"data server did not load {run}/{path}")
            time.sleep(0.01)

    def query_runs(self, project: str, page: int) -> List[str]:
        from google.protobuf import json_format
        from tensorboard.context import RequestContext
        from tensorboard.plugins.base_plugin import TBContext
        from tensorboard.plugins.hparams import api_pb2, backend_context, list_session_groups

        data = self._provider(project)
        # Wait until the server has loaded every HParams session on disk (<run>/<time>/).
        sessions = {f"{p.parent.name}/{p.name}"
                    for p in (self.logdir / project).glob("*/*") if p.is_dir()}
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while not sessions <= set(data.list_tensors(RequestContext(), experiment_id="",
                                                    plugin_name="hparams")):
            if time.monotonic() > deadline:
                raise RuntimeError("data server did not load the HParams sessions")
            time.sleep(0.01)
        # The body the HParams dashboard posts to /data/plugin/hparams/session_groups; the
        # plugin filters, sorts and slices on the server. Its interval filter is closed, so
        # "< 0.25" is the closed interval up to the float just below 0.25.
        body = {
            "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
                                "STATUS_RUNNING"],
            "colParams": [
                {"hparam": "cfg/optimizer", "filterDiscrete": ["adam"]},
                {"metric": {"group": "", "tag": "metrics/m01"},
                 "filterInterval": {"minValue": "-Infinity",
                                    "maxValue": math.nextafter(0.25, -math.inf)}},
                {"metric": {"group": "", "tag": "metrics/m00"}, "order": "ORDER_ASC"},
            ],
            "startIndex": 0,
            "sliceSize": page,
        }
        request = json_format.Parse(json.dumps(body), api_pb2.ListSessionGroupsRequest())
        context = backend_context.Context(
            TBContext(data_provider=data, logdir=str(self.logdir / project)))
        response = list_session_groups.Handler(RequestContext(), context, "", request).run()
        # a session group is named after the child run "<run>/<time>" that add_hparams wrote
        return [group.name.split("/")[0] for group in response.session_groups]


def _children() -> set:
    """Pids of this process's direct children (from /proc)."""
    me, out = os.getpid(), set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                        out.add(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out
