#!/usr/bin/env python3
"""Sextant against the trackers users would otherwise pick, side by side.

    python3 bench/peers/run.py            # every tool, full sizes; writes the report
    python3 bench/peers/run.py --smoke    # tiny sizes, every tool; checks, writes nothing
    python3 bench/peers/run.py --tools sextant,mlflow --rounds 1
    python3 bench/peers/run.py --tools mlflow,mlflow_sextant --workloads mlflow_api   # the mlflow client
    python3 bench/peers/run.py --tools neptune --workloads neptune_api   # neptune-scale: Sextant, offline

Each tool runs in its own virtualenv under ~/.cache/sextant/peer-venvs/ ($SEXTANT_CACHE), built from
the pinned lock file requirements/<tool>.txt (rebuilt when the file
changes). Every measurement is a fresh worker process (worker.py) with a
fresh data folder; rounds interleave the tools (round 1: every tool, round
2: every tool, ...) so that a noisy machine hits them alike, and the report
gives each figure as median (min-max) plus the median of the per-round
ratios to Sextant.

Slow tools are bounded, not skipped: each workload has a time budget, and a
tool that has not finished in it is stopped where it is and measured on what
it did (the report says how far it got). See README.md.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from common import process_tree  # noqa: E402
from adapters import TOOLS  # noqa: E402
import report  # noqa: E402

# The virtualenvs live outside the checkout, in the cache every script shares
# (scripts/lib/venv.sh), so a fresh clone reuses them while their key matches.
VENVS = Path(os.environ.get("SEXTANT_CACHE")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sextant") / "peer-venvs"

# Workload sizes. "full" is the definition; "smoke" only proves that
# every adapter and the report still work.
SIZES: Dict[str, Dict[str, Any]] = {
    "full": {
        "percall": {"steps": 100_000, "budget_s": 4, "close_budget_s": 10},
        "ingest": {"runs": 10, "series": 100, "steps": 10_000, "budget_s": 18, "close_budget_s": 30},
        "long": [{"points": 1_000_000, "reads": 3, "budget_s": 15},
                 {"points": 10_000_000, "reads": 3, "budget_s": 120}],
        "runs": {"runs": 10_000, "configs": 50, "series": 20, "steps": 10, "queries": 5,
                 "page": 50, "budget_s": 30, "threads": 8},
        "mlflow_api": {
            "batch": {"calls": 100, "series": 10, "steps": 100, "budget_s": 150, "raw_calls": 20},
            "history": {"points": 1_000_000, "chunk": 1000, "reads": 3, "write_budget_s": 900,
                        "read_budget_s": 600},
            "interval": {"requests": 5, "max_results": 320},
            "search": {"runs": 10_000, "page": 1000, "queries": 5, "scans": 3, "threads": 8,
                       "create_budget_s": 900},
        },
        # 10 M points: 100 series x 100 k steps, one log_metrics call per step.
        "neptune_api": {"series": 100, "steps": 100_000, "budget_s": 600, "ack_budget_s": 600},
    },
    "smoke": {
        "percall": {"steps": 2_000, "budget_s": 5, "close_budget_s": 20},
        "ingest": {"runs": 2, "series": 10, "steps": 100, "budget_s": 20, "close_budget_s": 20},
        "long": [{"points": 3_000, "reads": 2, "budget_s": 20}],
        "runs": {"runs": 12, "configs": 50, "series": 20, "steps": 3, "queries": 2, "page": 10,
                 "budget_s": 30, "threads": 4},
        "mlflow_api": {
            "batch": {"calls": 3, "series": 10, "steps": 100, "budget_s": 30, "raw_calls": 2},
            "history": {"points": 10_000, "chunk": 1000, "reads": 2, "write_budget_s": 30, "read_budget_s": 30},
            "interval": {"requests": 2, "max_results": 320},
            "search": {"runs": 50, "page": 20, "queries": 2, "scans": 2, "threads": 4, "create_budget_s": 30},
        },
        "neptune_api": {"series": 10, "steps": 200, "budget_s": 30, "ack_budget_s": 60},
    },
}

# A worker that runs past its budgets + this is killed (a read that takes
# forever, a server that never answers); the report says so.
GRACE_S = {"round": 300, "long": 400, "runs": 200, "mlflow_api": 1800, "neptune_api": 300}

# The tools whose client is the mlflow client. mlflow_sextant (the mlflow
# client against `sextant serve`) is the Sextant side of the MLflow API
# workload and takes part in nothing else; it runs in the mlflow virtualenv.
MLFLOW_API_TOOLS = ["mlflow", "mlflow_sextant"]
# The tools whose client is neptune-scale: offline (neptune, the client-side
# reference) and online against `sextant serve` (neptune_sextant, in the
# neptune virtualenv). neptune_sextant also runs the generic workloads, but
# only when --tools names it (each of its runs spawns the client's sync
# process, seconds apiece on 2 cores; and it is Sextant, not a peer).
NEPTUNE_API_TOOLS = ["neptune", "neptune_sextant"]
VENV_OF = {"mlflow_sextant": "mlflow", "neptune_sextant": "neptune"}
API_ONLY = {"mlflow_sextant"}       # never in the generic workloads
OPT_IN = {"neptune_sextant"}        # in the generic workloads only when --tools names it
API_WORKLOADS = {"mlflow_api": MLFLOW_API_TOOLS, "neptune_api": NEPTUNE_API_TOOLS}
SEXTANT_SIDE = {"mlflow_api": "mlflow_sextant", "neptune_api": "neptune_sextant"}
BASE_WORKLOADS = "percall,ingest,long,runs,startup"


def budget_of(workload: str, params: Dict[str, Any]) -> float:
    if workload == "round":
        return sum(params[w]["budget_s"] + params[w]["close_budget_s"] for w in ("percall", "ingest"))
    if workload == "mlflow_api":
        return (params["batch"]["budget_s"] + params["history"]["write_budget_s"]
                + params["history"]["read_budget_s"] + params["search"]["create_budget_s"])
    if workload == "neptune_api":
        return params["budget_s"] + params["ack_budget_s"]
    return params.get("budget_s", 0)


# ------------------------------------------------------------ virtualenvs

def venv_python(tool: str) -> str:
    tool = VENV_OF.get(tool, tool)
    if tool == "sextant":
        return sys.executable  # the SDK is pure Python and imported from the checkout
    return str(VENVS / tool / "bin" / "python")


def ensure_venv(tool: str) -> str:
    """Builds .venvs/<tool> from requirements/<tool>.txt unless it is current."""
    if tool == "sextant":
        return "sextant: uses this checkout's SDK"
    req = HERE / "requirements" / f"{tool}.txt"
    want = hashlib.sha256(req.read_bytes() + sys.version.encode()).hexdigest()
    target = VENVS / tool
    stamp = target / ".lock-sha256"
    if stamp.exists() and stamp.read_text() == want:
        return f"{tool}: up to date"
    shutil.rmtree(target, ignore_errors=True)
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    pip = [str(target / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    r = subprocess.run(pip + ["install", "--no-input", "-r", str(req)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"installing {tool} from {req} failed:\n{r.stdout}\n{r.stderr}")
    stamp.write_text(want)
    return f"{tool}: installed in {time.monotonic() - t0:.0f} s"


def ensure_venvs(tools: List[str]) -> None:
    wanted = list(dict.fromkeys(VENV_OF.get(t, t) for t in tools + ["report"]))  # one build per virtualenv
    with concurrent.futures.ThreadPoolExecutor(3) as ex:
        for line in ex.map(ensure_venv, wanted):
            print("  " + line, flush=True)


# ------------------------------------------------------------ workers

def run_worker(tool: str, workload: str, params: Dict[str, Any], tmp: Path) -> Dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"{tool}-{workload}-", dir=tmp))
    params = dict(params, t_spawn=time.time())
    limit = budget_of(workload, params) + GRACE_S[workload]
    env = dict(os.environ, PYTHONUNBUFFERED="1", HOME=str(workdir / "home"),
               XDG_CACHE_HOME=str(workdir / "cache"), TMPDIR=str(workdir))
    (workdir / "home").mkdir()
    log_path = workdir / "worker.log"
    t0 = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([venv_python(tool), str(HERE / "worker.py"), tool, workload,
                                 json.dumps(params), str(workdir)],
                                stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=str(workdir))
        try:
            out, _ = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid)
            out, _ = proc.communicate()
            out += "\nRESULT " + json.dumps({"error": f"stopped after {limit:.0f} s: still busy"})
    kill_tree(proc.pid)  # anything the tool left running (daemons, services)
    result: Dict[str, Any] = {"error": "the worker printed no result"}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
    result["wall_s"] = time.monotonic() - t0
    if "error" in result:
        tail = log_path.read_text(errors="replace")[-1500:]
        print(f"    {tool}/{workload} error: {result['error']}\n" + "      " + tail.replace("\n", "\n      "),
              flush=True)
    shutil.rmtree(workdir, ignore_errors=True)
    return result


def kill_tree(pid: int) -> None:
    for p in reversed(process_tree(pid)):
        try:
            os.kill(p, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def brief(r: Dict[str, Any]) -> str:
    if "error" in r:
        return "ERROR"
    if "na" in r:
        return "n/a"
    if "batch" in r:
        return report.mlflow_api_brief(r)
    if "loop_s" in r:
        return report.neptune_api_brief(r)
    flat = dict(r)
    for part in ("startup", "ingest", "percall"):
        flat.update(r.get(part) or {})
    keys = ("first_run_s", "points_per_s", "us_per_call", "close_s", "write_s", "create_s")
    return ", ".join(f"{k}={flat[k]:.4g}" for k in keys if isinstance(flat.get(k), (int, float)))


# ------------------------------------------------------------ plan

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes; checks every adapter, writes no report")
    ap.add_argument("--tools", default=",".join(t for t in TOOLS if t not in OPT_IN),
                    help="comma-separated subset (sextant is always in; neptune_sextant only when named)")
    ap.add_argument("--workloads", default=None,
                    help=f"comma-separated subset of {BASE_WORKLOADS},mlflow_api,neptune_api (default: "
                         f"{BASE_WORKLOADS}; --smoke adds mlflow_api,neptune_api)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved repetitions of percall, ingest, startup")
    ap.add_argument("--json", default=None, help="write raw results here (default: results/latest.json "
                                                 "for a full run)")
    ap.add_argument("--report", default=str(REPO / "docs" / "benchmarks.md"),
                    help="Markdown file whose peers section is replaced (full runs only)")
    ap.add_argument("--plot", default=str(REPO / "docs" / "img" / "bench-peers.png"))
    ap.add_argument("--no-report", action="store_true", help="measure and print, change no file")
    ap.add_argument("--tmp", default=None, help="where the tools' data goes (a real disk, not tmpfs)")
    ap.add_argument("--render", metavar="JSON", help="only rewrite the report and plot from saved results")
    args = ap.parse_args()
    if args.render:
        results = json.loads(Path(args.render).read_text())
        report.replace_section(Path(args.report), report.markdown(results))
        subprocess.run([venv_python("report"), str(HERE / "plot.py"), args.render, args.plot], check=True)
        return 0

    tools = ["sextant"] + [t for t in args.tools.split(",") if t and t != "sextant"]
    for t in tools:
        if t not in TOOLS:
            raise SystemExit(f"unknown tool {t!r}; known: {', '.join(TOOLS)}")
    workloads = [w for w in (args.workloads or BASE_WORKLOADS + (",mlflow_api,neptune_api" if args.smoke else ""))
                 .split(",") if w]  # percall, ingest and startup go together
    for w in workloads:
        if w not in BASE_WORKLOADS.split(",") + list(API_WORKLOADS):
            raise SystemExit(f"unknown workload {w!r}; known: {BASE_WORKLOADS},{','.join(API_WORKLOADS)}")
    # The API workloads: a peer's client against Sextant (always, as sextant
    # is always in) and its reference (when that tool is chosen). The MLflow
    # API workload: the mlflow client against MLflow's server, not in a
    # plain --smoke, where it would add about 1.5 min, a fifth start of
    # MLflow's server, for the same client code. The Neptune API workload:
    # neptune-scale offline (no server, a few seconds).
    plain_smoke = args.smoke and args.workloads is None
    api_tools = {w: [t for t in API_WORKLOADS[w] if t == SEXTANT_SIDE[w]
                     or (t in tools and not (plain_smoke and w == "mlflow_api"))]
                 for w in API_WORKLOADS if w in workloads}
    generic = [w for w in workloads if w not in API_WORKLOADS]
    tools = [t for t in tools if t not in API_ONLY] if generic else []
    sizes = SIZES["smoke" if args.smoke else "full"]
    rounds = 1 if args.smoke else args.rounds
    binary = os.environ.get("SEXTANT_BIN", str(REPO / "build" / "src" / "sextant"))
    if not Path(binary).exists():
        raise SystemExit(f"no server binary at {binary}: build it first (scripts/bootstrap.sh) or set SEXTANT_BIN")
    tmp = Path(args.tmp or tempfile.gettempdir()) / f"sextant-peers-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    options = {"sextant_bin": str(Path(binary).resolve())}

    started = time.monotonic()
    print(f"virtualenvs ({VENVS}):", flush=True)
    ensure_venvs([t for t in tools + sum(api_tools.values(), []) if t != "sextant"])
    results: Dict[str, Any] = {"sizes": sizes, "rounds": rounds, "tools": tools,
                               "mlflow_api_tools": api_tools.get("mlflow_api", []),
                               "neptune_api_tools": api_tools.get("neptune_api", []),
                               "machine": machine(), "started": datetime.datetime.now().isoformat(timespec="seconds"),
                               "runs": {}}

    def record(workload: str, key: str, tool: str, params: Dict[str, Any]) -> Dict[str, Any]:
        p = dict(params, options=options)
        print(f"  {key:<14} {tool:<12}", end=" ", flush=True)
        r = run_worker(tool, workload, p, tmp)
        print(f"{r['wall_s']:6.1f} s  {brief(r)}", flush=True)
        results["runs"].setdefault(key, {}).setdefault(tool, []).append(r)
        return r

    try:
        if {"percall", "ingest", "startup"} & set(workloads):
            for rnd in range(rounds):
                print(f"startup + ingest + per-call overhead, round {rnd + 1}/{rounds}:", flush=True)
                for tool in tools:
                    r = record("round", "round", tool, {"percall": sizes["percall"], "ingest": sizes["ingest"]})
                    for part in ("startup", "ingest", "percall"):
                        sub = r.get(part, {"error": r.get("error", "not reached")})
                        for k in ("version", "notes"):
                            if k in r:
                                sub.setdefault(k, r[k])
                        results["runs"].setdefault(part, {}).setdefault(tool, []).append(sub)
        results["runs"].pop("round", None)
        if "long" in workloads:
            for spec in sizes["long"]:
                key = f"long-{spec['points']}"
                print(f"{key}:", flush=True)
                for tool in tools:
                    prev = results["runs"].get(f"long-{spec['points'] // 10}", {}).get(tool)
                    skip = predicted_too_slow(prev, spec) if prev else None
                    if skip:
                        print(f"  {key:<14} {tool:<12} skipped: {skip}", flush=True)
                        results["runs"].setdefault(key, {}).setdefault(tool, []).append({"skipped": skip})
                        continue
                    record("long", key, tool, spec)
        if "runs" in workloads:
            print("runs table:", flush=True)
            for tool in tools:
                record("runs", "runs", tool, sizes["runs"])
        if api_tools.get("mlflow_api"):
            print("MLflow API (the mlflow client against each server):", flush=True)
            for tool in api_tools["mlflow_api"]:
                record("mlflow_api", "mlflow_api", tool, sizes["mlflow_api"])
        if api_tools.get("neptune_api"):
            s = sizes["neptune_api"]
            print(f"Neptune API (the neptune-scale client, {s['series']} series x {s['steps']:,} steps; "
                  "offline, and online against Sextant):", flush=True)
            for tool in api_tools["neptune_api"]:
                record("neptune_api", "neptune_api", tool, s)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["elapsed_s"] = time.monotonic() - started
    print(f"done in {results['elapsed_s'] / 60:.1f} min", flush=True)

    failures = report.failures(results)
    if not tools:  # only the API workloads: their own tables and file; the peers section stays
        return finish_api(results, args, failures)
    out_json = None
    if not args.smoke and not args.no_report:
        out_json = Path(args.json) if args.json else HERE / "results" / "latest.json"
    elif args.json or args.smoke:  # a smoke run still draws its plot (so plot.py can't rot)
        out_json = Path(args.json) if args.json else \
            Path(tempfile.mkdtemp(prefix="sextant-peers-smoke-")) / "smoke.json"
    if out_json is not None:  # first, so that nothing measured is lost
        out_json.parent.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps(results, indent=1) + "\n")
    md = report.markdown(results)
    print(md)
    print(api_markdown(results))
    if not args.smoke and not args.no_report:
        report.replace_section(Path(args.report), md)
        subprocess.run([venv_python("report"), str(HERE / "plot.py"), str(out_json), args.plot], check=True)
        print(f"wrote {args.report}, {args.plot} and {out_json}")
    elif args.smoke:
        subprocess.run([venv_python("report"), str(HERE / "plot.py"), str(out_json),
                        str(out_json.with_suffix(".png"))], check=True)
        print(f"smoke results and plot: {out_json.parent}")
    for f in failures:
        print("FAILED: " + f)
    return 1 if failures else 0


def api_markdown(results: Dict[str, Any]) -> str:
    parts = []
    if results.get("mlflow_api_tools"):
        parts.append(report.mlflow_api_markdown(results))
    if results.get("neptune_api_tools"):
        parts.append(report.neptune_api_markdown(results))
    return "\n".join(parts)


def finish_api(results: Dict[str, Any], args, failures: List[str]) -> int:
    """A run of the API workloads alone: prints their tables and saves the
    raw numbers (results/mlflow-api-latest.json, neptune-api-latest.json, or
    mlflow-neptune-api-latest.json for both, for a full run); the peers
    section of docs/benchmarks.md is left as it is."""
    results["machine"]["load_after"] = os.getloadavg()
    out_json = Path(args.json) if args.json else None
    if out_json is None and not args.smoke and not args.no_report:
        which = [w.split("_")[0] for w in API_WORKLOADS if results.get(f"{w}_tools")]
        out_json = HERE / "results" / f"{'-'.join(which)}-api-latest.json"
    if out_json is not None:
        out_json.parent.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps(results, indent=1) + "\n")
        print(f"raw results: {out_json}")
    print(api_markdown(results))
    for f in failures:
        print("FAILED: " + f)
    return 1 if failures else 0


def predicted_too_slow(prev: List[Dict[str, Any]], spec: Dict[str, Any]) -> Optional[str]:
    """Skip the 10x larger long series when the smaller one shows it can't be
    written within the budget (it would only burn the budget to say so)."""
    r = prev[-1]
    if "write_s" not in r or not r.get("points"):
        return "the smaller series failed"
    need = r["write_s"] / r["points"] * spec["points"]
    if need > spec["budget_s"] * 1.5:
        return (f"writing {r['points']:,} points took {r['write_s']:.0f} s, so {spec['points']:,} "
                f"would take about {need / 60:.0f} min (budget {spec['budget_s']} s)")
    return None


def machine() -> Dict[str, Any]:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 2**30, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "load_before": os.getloadavg(), "commit": git_commit()}


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    sys.exit(main())
