"""`sextant export PROJECT DIR --format csv`: the runs table as DIR/runs.csv
(RFC 4180, UTF-8, CRLF). One row per run: run_id, name, experiment_name,
state, created_at (ISO 8601 UTC), fork_run_id, fork_step, then one column
per attribute path in bytewise order — a config's value, a series' last
value. String sets are joined with ';'. NaN and infinities are written
NaN, Infinity, -Infinity. A text cell that starts with = + - @, a tab or a
carriage return gets a leading ' so that a spreadsheet does not run it
as a formula (OWASP's CSV injection advice); numbers are never changed."""
from __future__ import annotations

import csv
import datetime as _dt
import os
from typing import Any, Dict, List

from .._http import Http
from ._report import Report

FIXED = ["run_id", "name", "experiment_name", "state", "created_at", "fork_run_id", "fork_step"]


def cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v) if isinstance(v, float) else str(v)
    if isinstance(v, list):
        v = ";".join(str(x) for x in v)
    if isinstance(v, dict):
        import json
        v = json.dumps(v, separators=(",", ":"))
    s = str(v)
    if s in ("NaN", "Infinity", "-Infinity"):
        return s
    if s and s[0] in "=+-@\t\r":
        try:
            float(s)
        except ValueError:
            return "'" + s
    return s


def export_runs_csv(http: Http, project: str, out: str, report: Report) -> None:
    runs: List[Dict[str, Any]] = []
    while True:
        page = http.json("POST", f"/projects/{project}/runs/query",
                         {"limit": 1000, "offset": len(runs), "sort": [{"path": "sys/id", "order": "asc"}]})
        runs.extend(page["runs"])
        report.runs = len(runs)
        report.tick()
        if not page["runs"] or len(runs) >= page["total"]:
            break
    paths = sorted({p for r in runs for p in (r.get("attributes") or {})}, key=lambda p: p.encode("utf-8"))
    os.makedirs(out, exist_ok=True)
    target = os.path.join(out, "runs.csv")
    with open(target + ".part", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(FIXED + paths)
        for r in runs:
            created = _dt.datetime.fromtimestamp(r["created_at"], _dt.timezone.utc).isoformat(
                timespec="microseconds").replace("+00:00", "Z")
            attrs = r.get("attributes") or {}
            w.writerow([cell(r["run_id"]), cell(r.get("name")), cell(r.get("experiment_name")),
                        cell(r.get("state")), created, cell(r.get("fork_run_id")), cell(r.get("fork_step"))]
                       + [cell(attrs.get(p)) for p in paths])
    os.replace(target + ".part", target)
    report.line(f"wrote {target}: {len(runs)} runs, {len(paths)} attribute columns")
