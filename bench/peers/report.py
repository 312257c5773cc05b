"""Turns run.py's raw results into the Markdown section of docs/benchmarks.md.

Standard library only (the driver imports it); the PNG is plot.py's job.
"""
from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

BEGIN = "<!-- peers:begin (written by bench/peers/run.py; edits here are overwritten) -->"
END = "<!-- peers:end -->"

Getter = Callable[[Dict[str, Any]], Optional[float]]


# ------------------------------------------------------------ formatting

def fmt_s(x: Optional[float]) -> str:
    if x is None:
        return "—"
    if x < 1e-3:
        return f"{x * 1e6:.0f} µs"
    if x < 1:
        return f"{x * 1e3:.3g} ms"
    if x < 120:
        return f"{x:.3g} s"
    return f"{x / 60:.1f} min"


def fmt_n(x: Optional[float], unit: str = "") -> str:
    if x is None:
        return "—"
    for div, suf in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suf}{unit}"
    return f"{x:.3g}{' ' + unit if unit else ''}"


def fmt_bytes(x: Optional[float]) -> str:
    if x is None:
        return "—"
    for div, suf in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if x >= div:
            return f"{x / div:.3g} {suf}"
    return f"{x:.3g} B"


def spread(vals: List[float], f: Callable[[float], str]) -> str:
    if not vals:
        return "—"
    med = statistics.median(vals)
    if len(vals) == 1:
        return f(med)
    return f"{f(med)} ({f(min(vals))}–{f(max(vals))})"


def ratio_text(r: Optional[float]) -> str:
    if r is None:
        return "—"
    if r >= 100:
        return f"{r:.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.2f}×"


# ------------------------------------------------------------ extraction

def samples(results: Dict[str, Any], key: str, tool: str) -> List[Dict[str, Any]]:
    return results["runs"].get(key, {}).get(tool, [])


def values(rs: List[Dict[str, Any]], get: Getter) -> List[float]:
    out = []
    for r in rs:
        try:
            v = get(r)
        except (KeyError, TypeError, ZeroDivisionError):
            v = None
        if v is not None:
            out.append(float(v))
    return out


def paired_ratio(results, key: str, tool: str, get: Getter, higher_better: bool) -> Optional[float]:
    """Median over rounds of (peer / Sextant), oriented so that > 1 means
    Sextant did better. Rounds pair up by index (they were interleaved)."""
    mine, theirs = samples(results, key, "sextant"), samples(results, key, tool)
    ratios = []
    for a, b in zip(mine, theirs):
        va, vb = values([a], get), values([b], get)
        if va and vb and va[0] > 0 and vb[0] > 0:
            ratios.append(va[0] / vb[0] if higher_better else vb[0] / va[0])
    return statistics.median(ratios) if ratios else None


def why_missing(rs: List[Dict[str, Any]], sub: Optional[str] = None) -> Optional[str]:
    for r in rs:
        if "skipped" in r:
            return f"skipped: {r['skipped']}"
        if "error" in r:
            return f"failed: {r['error']}"
        if "na" in r:
            return f"n/a: {r['na']}"
        if sub and isinstance(r.get(sub), dict) and "na" in r[sub]:
            return f"n/a: {r[sub]['na']}"
    return None


# ------------------------------------------------------------ the document

def markdown(results: Dict[str, Any]) -> str:
    tools = results["tools"]
    m = results["machine"]
    date = results["started"][:10]
    foot: List[str] = []
    losses: List[str] = []
    L: List[str] = []

    def note(text: str) -> str:
        if text not in foot:
            foot.append(text)
        return f"[^{foot.index(text) + 1}]"

    def versions() -> str:
        vs = []
        for t in tools:
            for key in results["runs"]:
                v = next((r.get("version") for r in samples(results, key, t) if r.get("version")), None)
                if v:
                    vs.append(f"{t} {v}")
                    break
        return ", ".join(vs)

    L.append(f"## Side by side with other trackers, {date}")
    L.append("")
    L.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
             f"Python {m['python']}; load average before the run {tuple(round(x, 2) for x in m['load_before'])}. "
             f"Sextant commit {m['commit']}. Versions: {versions()}. "
             f"The whole suite took {results['elapsed_s'] / 60:.0f} min "
             f"(`python3 bench/peers/run.py`; see bench/peers/README.md).")
    L.append("")
    L.append(f"Figures are median (min–max) over {results['rounds']} interleaved rounds where a workload has "
             "rounds, or over repeated reads and queries. **× Sextant** is the median of the per-round ratios, "
             "oriented so that above 1× Sextant did better (faster, smaller) and below 1× the peer did. "
             "Each tool was used through its own client as its documentation shows (details at the end). "
             "A tool still busy when its workload's time budget ran out was stopped there and is measured "
             "on what it finished (marked †).")
    L.append("")

    def row_missing(t: str, rs, cols: int, sub: Optional[str] = None) -> Optional[str]:
        why = why_missing(rs, sub)
        if why and not any(("error" not in r and "na" not in r and "skipped" not in r) for r in rs):
            return f"| {t} | " + " | ".join(["—"] * (cols - 2)) + f" | {note(f'{t}: {why}')} |"
        return None

    # 1 -------------------------------------------------------------- per call
    s = results["sizes"]["percall"]
    tools_pc = tools if "percall" in results["runs"] else []
    L.append(f"### 1. Per-call overhead: a dict of 10 floats per step, {s['steps']:,} steps")
    L.append("")
    L.append("Time inside the logging call, as the training loop sees it. \"Longest call\" and \"calls "
             "> 10 ms\" say whether the loop ever blocked; `close()` is the wait at the end of training.")
    L.append("")
    calmer: List[str] = []
    mine_max = values(samples(results, "percall", "sextant"), lambda r: r["max_ms"])
    L.append("| tool | µs per call | × Sextant | p99 | longest call | calls > 10 ms | close() | |")
    L.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for t in tools_pc:
        rs = samples(results, "percall", t)
        miss = row_missing(t, rs, 9)
        if miss:
            L.append(miss)
            continue
        us = values(rs, lambda r: r["us_per_call"])
        r_ = paired_ratio(results, "percall", t, lambda r: r["us_per_call"], False)
        mark = ""
        if any(not r.get("complete", True) for r in rs if "calls" in r):
            mark = note(f"{t}: stopped at the {s['budget_s']} s budget after "
                        f"{fmt_n(statistics.median(values(rs, lambda r: r['calls'])))} calls; µs per call is over those")
        closes = values(rs, lambda r: r["close_s"])
        stuck = [r for r in rs if "calls" in r and r.get("close_s") is None]
        cmark = ""
        if stuck:
            cmark = note(f"{t}: close() had not returned after {stuck[0]['close_budget_s']:.0f} s in "
                         f"{len(stuck)} of {len(rs)} rounds (still sending what the loop queued); it was abandoned")
        if any("error" in r for r in rs):
            cmark = note(f"{t}: " + next(r["error"] for r in rs if "error" in r))
        L.append(f"| {t} | {spread(us, lambda x: f'{x:.3g}')}{mark} | {ratio_text(r_)} | "
                 f"{spread(values(rs, lambda r: r['p99_us']), lambda x: f'{x:.3g} µs')} | "
                 f"{spread(values(rs, lambda r: r['max_ms'] / 1e3), fmt_s)} | "
                 f"{spread(values(rs, lambda r: r['calls_over_10ms']), lambda x: f'{x:.0f}')} | "
                 f"{spread(closes, fmt_s) if closes or not stuck else '> ' + fmt_s(stuck[0]['close_budget_s'])}"
                 f"{cmark} | |")
        if t != "sextant" and r_ is not None and r_ < 1:
            losses.append(f"per-call overhead: {t} is {1 / r_:.2g}× faster per call")
        theirs_max = values(rs, lambda r: r["max_ms"])
        if t != "sextant" and mine_max and theirs_max and statistics.median(theirs_max) < statistics.median(mine_max) \
                and statistics.median(mine_max) > 10:
            calmer.append(f"{t} {statistics.median(theirs_max):.0f} ms")
    if calmer:
        mine = samples(results, "percall", "sextant")
        losses.append(f"the longest logging call: {statistics.median(mine_max):.0f} ms for "
                      f"Sextant (its loop waited over 10 ms {statistics.median(values(mine, lambda r: r['calls_over_10ms'])):.0f} "
                      f"times in {s['steps']:,} calls), against " + ", ".join(calmer))
    L.append("")

    # 2 -------------------------------------------------------------- ingest
    s = results["sizes"]["ingest"]
    tools_in = tools if "ingest" in results["runs"] else []
    total = s["runs"] * s["series"] * s["steps"]
    L.append(f"### 2. Ingest: {s['runs']} runs × {s['series']} series × {s['steps']:,} steps "
             f"({fmt_n(total)} points), until durable and read back")
    L.append("")
    L.append("From the first log call until the tool's finish/close returned (the data is on disk) and one "
             "series of the last run was read back and counted. W&B and neptune-scale run offline: their "
             "figure is the client writing its local files, with no server and no readback.")
    L.append("")
    L.append("| tool | points/s | × Sextant | points written | time | readback |")
    L.append("| --- | --- | --- | --- | --- | --- |")
    for t in tools_in:
        rs = samples(results, "ingest", t)
        miss = row_missing(t, rs, 7)
        if miss:
            L.append(miss)
            continue
        pps = values(rs, lambda r: r["points_per_s"])
        r_ = paired_ratio(results, "ingest", t, lambda r: r["points_per_s"], True)
        mark = ""
        if any(not r.get("complete", True) for r in rs if "points" in r):
            mark = note(f"{t}: stopped at the {s['budget_s']} s ingest budget")
        rb = {str(r.get("readback")) for r in rs if "readback" in r}
        rb_txt = "yes" if rb == {"True"} else ("n/a" if all(x.startswith("n/a") for x in rb) else ", ".join(sorted(rb)))
        L.append(f"| {t} | {spread(pps, lambda x: fmt_n(x))} | {ratio_text(r_)} | "
                 f"{spread(values(rs, lambda r: r['points']), fmt_n)}{mark} | "
                 f"{spread(values(rs, lambda r: r['total_s']), fmt_s)} | {rb_txt} |")
        if t != "sextant" and r_ is not None and r_ < 1:
            losses.append(f"ingest: {t} writes {1 / r_:.2g}× more points per second")
    L.append("")

    # 3 -------------------------------------------------------------- long series
    longs = [k for k in results["runs"] if k.startswith("long-")]
    longs.sort(key=lambda k: int(k.split("-")[1]))
    if longs:
        L.append("### 3. Long series: read it all, and fetch what a chart needs")
        L.append("")
        L.append("One series written with each tool's fastest documented write path, then read back in full "
                 "(every point) and through the tool's own chart path (what its UI requests: Sextant 1,000 "
                 "min/max/mean buckets, MLflow 320 sampled points, TensorBoard's 1,000-point reservoir, "
                 "Aim's and trackio's UI sampling). Reads are repeated; the write is not.")
        L.append("")
        L.append("| tool | points | write | full read | × Sextant | chart read | × Sextant | chart points |")
        L.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for key in longs:
            for t in tools:
                rs = samples(results, key, t)
                n = int(key.split("-")[1])
                why = why_missing(rs)
                if why and not any("points" in r for r in rs):
                    L.append(f"| {t} | {fmt_n(n)} | — | — | — | — | — | {note(f'{t}: {why}')} |")
                    continue
                r0 = rs[-1]
                mark = ""
                if not r0.get("complete", True):
                    mark = note(f"{t}: wrote {fmt_n(r0['points'])} of {fmt_n(n)} points within the "
                                f"{r0.get('budget_s', '')} s budget; reads are of those".replace(" the  s", " the"))
                cells = []
                for kind in ("full", "chart"):
                    sub = r0.get(kind, {})
                    if "na" in sub:
                        cells += [note(f"{t}: {sub['na']}"), "—"]
                        continue
                    ts = sub.get("samples_s", [])
                    rr, per_point = None, False
                    mine = samples(results, key, "sextant")
                    if mine and kind in mine[-1] and "samples_s" in mine[-1][kind] and ts:
                        base = statistics.median(mine[-1][kind]["samples_s"])
                        if r0.get("points") == mine[-1].get("points"):
                            rr = statistics.median(ts) / base
                        elif kind == "full" and r0.get("points"):
                            # a full read is linear in the points: compare seconds per point
                            rr = (statistics.median(ts) / r0["points"]) / (base / mine[-1]["points"])
                            per_point = True
                    cells += [spread(ts, fmt_s), (ratio_text(rr) + (" per point" if per_point and rr else ""))
                              if t != "sextant" else "1×"]
                    if t != "sextant" and rr is not None and rr < 1:
                        losses.append(f"{kind} read of {fmt_n(n)} points: {t} is {1 / rr:.2g}× faster")
                chart_pts = r0.get("chart", {}).get("returned")
                L.append(f"| {t} | {fmt_n(r0.get('points'))}{mark} | {fmt_s(r0.get('write_s'))} | "
                         f"{cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} | "
                         f"{chart_pts if chart_pts is not None else '—'} |")
        L.append("")

    # 4 -------------------------------------------------------------- runs table
    if "runs" in results["runs"]:
        s = results["sizes"]["runs"]
        L.append(f"### 4. Runs table: {s['runs']:,} runs, {s['configs']} configs and {s['series']} series each")
        L.append("")
        L.append(f"The query: optimizer is \"adam\" and the last value of metrics/m01 < 0.25, sorted by the "
                 f"last value of metrics/m00, first {s['page']} runs, through each tool's own query path; "
                 "the answer is checked against the expected run names. The runs are created first, within a "
                 "time budget, with each tool's fastest documented write path (8 threads at once for the tools "
                 "with a server, one after another for in-process stores).")
        L.append("")
        L.append("| tool | runs created | creating them | query | × Sextant |")
        L.append("| --- | --- | --- | --- | --- |")
        mine = samples(results, "runs", "sextant")
        for t in tools:
            rs = samples(results, "runs", t)
            miss = row_missing(t, rs, 6, "query")
            if miss:
                L.append(miss)
                continue
            r0 = rs[-1]
            mark = note(f"{t}: created {r0['runs']:,} of {s['runs']:,} runs within the {s['budget_s']} s budget; "
                        "the query ran over those") if not r0.get("complete", True) else ""
            q = r0.get("query", {})
            if "na" in q:
                qcell, rr = note(f"{t}: {q['na']}"), None
            else:
                qcell = spread(q.get("samples_s", []), fmt_s)
                rr = None
                if mine and "samples_s" in mine[-1].get("query", {}) and q.get("samples_s"):
                    rr = statistics.median(q["samples_s"]) / statistics.median(mine[-1]["query"]["samples_s"])
            L.append(f"| {t} | {r0['runs']:,}{mark} | {fmt_s(r0['create_s'])} "
                     f"({r0['runs'] / r0['create_s']:.3g} runs/s) | {qcell} | "
                     f"{ratio_text(rr) if t != 'sextant' else '1×'} |")
            if t != "sextant" and mine and "create_s" in mine[-1] and \
                    r0["runs"] / r0["create_s"] > mine[-1]["runs"] / mine[-1]["create_s"]:
                losses.append(f"creating runs: {t} made {r0['runs'] / r0['create_s']:.0f} runs/s, Sextant "
                              f"{mine[-1]['runs'] / mine[-1]['create_s']:.0f} runs/s")
            if t != "sextant" and rr is not None and rr < 1:
                losses.append(f"runs query: {t} answers {1 / rr:.2g}× faster"
                              + (" (over fewer runs)" if mark else ""))
        L.append("")

    # 5 -------------------------------------------------------------- disk, memory
    if "ingest" in results["runs"]:
        L.append("### 5. Disk bytes per point and peak memory (during the ingest workload)")
        L.append("")
        L.append("Disk is the tool's whole store after the ingest (allocated blocks). Memory is the peak "
                 "resident set of the server's process tree; for tools without a server it is the logging "
                 "process itself (marked client).")
        L.append("")
        L.append("| tool | bytes per point | × Sextant | peak memory | × Sextant |")
        L.append("| --- | --- | --- | --- | --- |")
        for t in tools:
            rs = samples(results, "ingest", t)
            miss = row_missing(t, rs, 6)
            if miss:
                L.append(miss)
                continue
            bpp = paired_ratio(results, "ingest", t, lambda r: r["bytes_per_point"], False)
            mem = paired_ratio(results, "ingest", t, lambda r: r["peak_rss"], False)
            what = next((r.get("rss_of") for r in rs if r.get("rss_of")), "")
            L.append(f"| {t} | {spread(values(rs, lambda r: r['bytes_per_point']), lambda x: f'{x:.3g}')} | "
                     f"{ratio_text(bpp)} | {spread(values(rs, lambda r: r['peak_rss']), fmt_bytes)}"
                     f"{' (client)' if what == 'client' else ''} | {ratio_text(mem)} |")
            if t != "sextant" and bpp is not None and bpp < 1:
                losses.append(f"disk: {t} uses {1 / bpp:.2g}× fewer bytes per point")
            if t != "sextant" and mem is not None and mem < 1:
                losses.append(f"memory: {t}'s peak is {1 / mem:.2g}× lower"
                              + (" (a client process, not a server)" if what == "client" else ""))
        L.append("")

    # 6 -------------------------------------------------------------- startup
    if "startup" in results["runs"]:
        L.append("### 6. Startup: server ready, then a first run logged")
        L.append("")
        L.append("\"Server ready\" is from starting the server process to its first answer. \"First run\" is "
                 "from starting a fresh Python process (interpreter, imports, server start where there is one) "
                 "to a run with one point finished and durable.")
        L.append("")
        L.append("| tool | server ready | × Sextant | first run logged | × Sextant |")
        L.append("| --- | --- | --- | --- | --- |")
        for t in tools:
            rs = samples(results, "startup", t)
            miss = row_missing(t, rs, 6)
            if miss:
                L.append(miss)
                continue
            ready = values(rs, lambda r: r["server_ready_s"] or None)
            rr = paired_ratio(results, "startup", t, lambda r: r["server_ready_s"] or None, False)
            fr = paired_ratio(results, "startup", t, lambda r: r["first_run_s"], False)
            L.append(f"| {t} | {spread(ready, fmt_s) if ready else 'no server'} | {ratio_text(rr) if ready else '—'} | "
                     f"{spread(values(rs, lambda r: r['first_run_s']), fmt_s)} | {ratio_text(fr)} |")
            if t != "sextant" and fr is not None and fr < 1:
                losses.append(f"startup: {t} logs its first run {1 / fr:.2g}× sooner")
        L.append("")

    # ---------------------------------------------------------------- losses, notes
    L.append("### Where Sextant loses")
    L.append("")
    if losses:
        L += [f"- {x}" for x in losses]
    else:
        L.append("- Nowhere in these workloads on this run.")
    L.append("")
    L.append("### How each tool was used")
    L.append("")
    for t in tools:
        notes = next((r.get("notes") for key in results["runs"] for r in samples(results, key, t)
                      if r.get("notes")), None)
        if notes:
            L.append(f"- **{t}**: " + "; ".join(notes) + ".")
    L.append("")
    L.append("![Sextant and peers, side by side](img/bench-peers.png)")
    L.append("")
    for i, f in enumerate(foot, 1):
        L.append(f"[^{i}]: {f}")
    return "\n".join(L).rstrip() + "\n"


def failures(results: Dict[str, Any]) -> List[str]:
    """What makes run.py exit non-zero: any error in a smoke run (an adapter
    has rotted); in a full run, only Sextant's own errors, including the
    mlflow client's against Sextant (a slow or stopped peer is a result, not
    a failure)."""
    smoke = results["sizes"]["percall"]["steps"] <= 10_000
    out = []
    for key, by_tool in results["runs"].items():
        for tool, rs in by_tool.items():
            for r in rs:
                if "error" in r and (smoke or tool in ("sextant", "mlflow_sextant", "neptune_sextant")):
                    out.append(f"{key}/{tool}: {r['error']}")
    return out


# ------------------------------------------------------------ the MLflow API workload

def _api_part(r: Dict[str, Any], *keys: str) -> Optional[Any]:
    for k in keys:
        if not isinstance(r, dict) or k not in r:
            return None
        r = r[k]
    return r


def _med(r: Dict[str, Any], *keys: str) -> Optional[float]:
    xs = _api_part(r, *keys, "samples_s")
    return statistics.median(xs) if xs else None


def mlflow_api_brief(r: Dict[str, Any]) -> str:
    """One line for run.py's progress output."""
    b, h, s = r.get("batch", {}), r.get("history", {}), r.get("search", {})
    parts = [f"log_batch {fmt_n(b.get('points_per_s'))} points/s"]
    if h:
        parts.append(f"history of {fmt_n(h.get('points'))} points {fmt_s(_med(r, 'history', 'full'))} "
                     f"(written in {fmt_s(h.get('write_s'))})")
    parts.append(f"interval {fmt_s(_med(r, 'interval'))}")
    if s:
        parts.append(f"search {fmt_s(_med(r, 'search', 'filter'))}, scan {fmt_s(_med(r, 'search', 'scan'))} "
                     f"over {s.get('runs', 0):,} runs (created in {fmt_s(s.get('create_s'))})")
    return ", ".join(parts)


def mlflow_api_markdown(results: Dict[str, Any]) -> str:
    """The MLflow API workload's table: the same mlflow client against
    MLflow's server and against Sextant, and the ratio (above 1×: Sextant
    did better)."""
    by_tool = results["runs"].get("mlflow_api", {})
    theirs = (by_tool.get("mlflow") or [{}])[-1]
    mine = (by_tool.get("mlflow_sextant") or [{}])[-1]
    p = results["sizes"]["mlflow_api"]
    L = [f"### The mlflow client against MLflow's server and against Sextant, {results['started'][:10]}", ""]
    for name, r in (("MLflow server", theirs), ("Sextant", mine)):
        why = why_missing([r]) if r else "not run"
        if why:
            L.append(f"- {name}: {why}")
    if L[-1] != "":
        L.append("")
    L += ["| measurement | mlflow client → MLflow server | mlflow client → Sextant | Sextant's advantage |",
          "| --- | --- | --- | --- |"]
    foot: List[str] = []

    def cut(r: Dict[str, Any], part: str, text: str) -> str:
        if not r.get(part) or r[part].get("complete", True):
            return ""
        if text not in foot:
            foot.append(text)
        return f" †{foot.index(text) + 1}"

    def ratio(a: Optional[float], b: Optional[float], per_point: bool = False) -> str:
        return ratio_text(a / b) + (" per point" if per_point else "") if a and b else "—"

    def rate(n: Optional[float], secs: Optional[float]) -> Optional[float]:
        return n / secs if n and secs else None

    def row(what: str, a: str, b: str, r: str) -> None:
        L.append(f"| {what} | {a} | {b} | {r} |")

    # 1. log_batch
    bt, bm = theirs.get("batch", {}), mine.get("batch", {})
    pb = p["batch"]
    mb = cut(theirs, "batch", f"MLflow server: {bt.get('calls', 0):,} of {pb['calls']:,} calls within the "
                              f"{pb['budget_s']} s budget")
    row(f"`log_batch`, 1,000 metrics per call ({pb['series']} series × {pb['steps']} steps), {pb['calls']:,} "
        "calls in a row: points/s", f"{fmt_n(bt.get('points_per_s'))}{mb}", fmt_n(bm.get("points_per_s")),
        ratio(bm.get("points_per_s"), bt.get("points_per_s")))
    rt, rm = bt.get("raw", {}), bm.get("raw", {})
    row(f"… per call, and the same 1,000 metrics POSTed as JSON with `requests` (server + HTTP only; "
        f"{pb['raw_calls']} calls): median ms per call",
        f"{fmt_s((bt.get('call_ms_p50') or 0) / 1e3 or None)}; raw {fmt_s((rt.get('call_ms_p50') or 0) / 1e3 or None)}",
        f"{fmt_s((bm.get('call_ms_p50') or 0) / 1e3 or None)}; raw {fmt_s((rm.get('call_ms_p50') or 0) / 1e3 or None)}",
        f"{ratio(bt.get('call_ms_p50'), bm.get('call_ms_p50'))}; raw {ratio(rt.get('call_ms_p50'), rm.get('call_ms_p50'))}")
    # 2. search
    st, sm = theirs.get("search", {}), mine.get("search", {})
    ps = p["search"]
    ms = cut(theirs, "search", f"MLflow server: {st.get('runs', 0):,} of {ps['runs']:,} runs created within the "
                               f"{ps['create_budget_s']} s budget; its queries ran over those (fewer runs flatter it)")
    n_runs = sm.get("runs") or ps["runs"]
    f_t, f_m = _med(theirs, "search", "filter"), _med(mine, "search", "filter")
    row(f"`search_runs(filter_string=\"metrics.loss < 0.5 and params.opt = 'adam'\", order_by=[\"metrics.loss ASC\"], "
        f"max_results={ps['page']:,})` over {n_runs:,} runs, first page ({_api_part(mine, 'search', 'filter', 'returned') or '?'} "
        f"runs, checked): median of {ps['queries']}", f"{fmt_s(f_t)}{ms}", fmt_s(f_m), ratio(f_t, f_m))
    c_t, c_m = _med(theirs, "search", "scan"), _med(mine, "search", "scan")
    row(f"`search_runs` full paged scan of the {n_runs:,} runs ({_api_part(mine, 'search', 'scan', 'pages') or '?'} "
        f"pages of {ps['page']:,}): median of {ps['scans']}", f"{fmt_s(c_t)}{ms}", fmt_s(c_m), ratio(c_t, c_m))
    # 3. history
    ht, hm = theirs.get("history", {}), mine.get("history", {})
    ph = p["history"]
    mh = cut(theirs, "history", f"MLflow's store: {ht.get('points', 0):,} of {ph['points']:,} points written "
                                f"within the {ph['write_budget_s']} s setup budget; its reads are of those, "
                                "compared per point")
    h_t, h_m = _med(theirs, "history", "full"), _med(mine, "history", "full")
    same = ht.get("points") == hm.get("points")
    n_reads = len(_api_part(theirs, "history", "full", "samples_s") or [])
    fewer = f", {n_reads} reads" if n_reads and n_reads < ph["reads"] else ""
    row(f"`get_metric_history` of a {fmt_n(hm.get('points') or ph['points'])}-point metric, all of it (the client "
        f"pages by 25,000): median of {ph['reads']}, and points/s",
        f"{fmt_s(h_t)} ({fmt_n(rate(ht.get('points'), h_t))}/s{fewer}){mh}",
        f"{fmt_s(h_m)} ({fmt_n(rate(hm.get('points'), h_m))}/s)",
        ratio(h_t, h_m) if same else ratio(rate(hm.get("points"), h_m), rate(ht.get("points"), h_t), True))
    w_t, w_m = ht.get("raw_read_s"), hm.get("raw_read_s")
    row("… the same pages read with `requests` (server + HTTP + JSON decoding, no client objects): one read",
        f"{fmt_s(w_t)}{mh}", fmt_s(w_m),
        ratio(w_t, w_m) if same else ratio(rate(hm.get("points"), w_m), rate(ht.get("points"), w_t), True))
    # 4. interval
    i_t, i_m = _med(theirs, "interval"), _med(mine, "interval")
    row(f"`GET {_api_part(mine, 'interval', 'path') or _api_part(theirs, 'interval', 'path') or 'get-history-bulk-interval'}"
        f"?max_results={p['interval']['max_results']}` on that metric (`requests`): median of "
        f"{p['interval']['requests']}", f"{fmt_s(i_t)}{mh}", fmt_s(i_m), ratio(i_t, i_m))
    L.append("")
    L.append("Setup, not in the figures above:")
    for name, r in (("MLflow server", theirs), ("Sextant", mine)):
        if not r.get("history"):
            continue
        h, s_ = r["history"], r.get("search", {})
        L.append(f"- {name}: written with {r.get('setup_path', '?')}; the {fmt_n(h.get('points'))}-point metric in "
                 f"{fmt_s(h.get('write_s'))} ({fmt_n(rate(h.get('points'), h.get('write_s')))} points/s), "
                 f"{s_.get('runs', 0):,} runs in {fmt_s(s_.get('create_s'))} "
                 f"({fmt_n(rate(s_.get('runs'), s_.get('create_s')))} runs/s); server ready in "
                 f"{fmt_s(r.get('server_ready_s'))}.")
    for i, f in enumerate(foot, 1):
        L.append(f"- †{i} {f}")
    return "\n".join(L).rstrip() + "\n"


# ------------------------------------------------------------ the Neptune API workload

def neptune_api_brief(r: Dict[str, Any]) -> str:
    """One line for run.py's progress output."""
    parts = [f"{fmt_n(r.get('points'))} points, loop {fmt_s(r.get('loop_s'))} "
             f"({fmt_n(r.get('client_points_per_s'))} points/s, {r.get('us_per_call', 0):.4g} µs per call)"]
    if r.get("online"):
        parts.append(f"acknowledged {fmt_s(r.get('wait_s'))} after the loop "
                     f"({fmt_n(r.get('acked_points_per_s'))} points/s from the first call)")
    parts.append(f"close {fmt_s(r.get('close_s'))}")
    return ", ".join(parts)


def neptune_api_markdown(results: Dict[str, Any]) -> str:
    """The Neptune API workload's table: the same neptune-scale logging loop
    offline (client only, the reference) and online against Sextant."""
    by_tool = results["runs"].get("neptune_api", {})
    off = (by_tool.get("neptune") or [{}])[-1]
    on = (by_tool.get("neptune_sextant") or [{}])[-1]
    p = results["sizes"]["neptune_api"]
    L = [f"### The neptune-scale client offline and against Sextant, {results['started'][:10]}", ""]
    for name, r in (("offline", off), ("Sextant", on)):
        why = why_missing([r]) if r else "not run"
        if why:
            L.append(f"- {name}: {why}")
    if L[-1] != "":
        L.append("")
    L += ["| measurement | neptune-scale offline (client only) | neptune-scale → Sextant |", "| --- | --- | --- |"]
    foot: List[str] = []

    def cut(r: Dict[str, Any]) -> str:
        if not r or r.get("complete", True):
            return ""
        text = (f"stopped at the {p['budget_s']} s budget after {r.get('steps', 0):,} of {p['steps']:,} steps; "
                "figures are over those")
        if text not in foot:
            foot.append(text)
        return f" †{foot.index(text) + 1}"

    def row(what: str, f: Callable[[Dict[str, Any]], str], online_only: bool = False) -> None:
        cells = []
        for r in (off, on):
            try:
                cells.append("—" if not r or (online_only and not r.get("online")) else f(r))
            except (KeyError, TypeError):
                cells.append("—")
        L.append(f"| {what} | {cells[0]} | {cells[1]} |")

    row(f"points logged: {p['series']} series × {p['steps']:,} steps, one `log_metrics` call of "
        f"{p['series']} floats per step", lambda r: f"{fmt_n(r['points'])}{cut(r)}")
    row("logging loop: wall time, and points/s of the calls returning (client-side throughput)",
        lambda r: f"{fmt_s(r['loop_s'])}, **{fmt_n(r['client_points_per_s'])} points/s**")
    row("… per call: mean, median, p99, longest; calls > 10 ms",
        lambda r: f"{fmt_s(r['us_per_call'] / 1e6)}, {fmt_s(r['p50_us'] / 1e6)}, {fmt_s(r['p99_us'] / 1e6)}, "
                  f"{fmt_s(r['max_ms'] / 1e3)}; {r['calls_over_10ms']:,}")
    row("points the server had stored when the loop returned (sent while the loop ran)",
        lambda r: f"{fmt_n(r['stored_at_loop_end'])} ({r['stored_at_loop_end'] / r['points']:.0%})", True)
    row("`wait_for_processing()` after the loop: until every operation was acknowledged",
        lambda r: fmt_s(r["wait_s"]), True)
    row("`close()` after that", lambda r: fmt_s(r["close_s"]))
    row("first call → every operation acknowledged (online) / closed (offline): time, points/s",
        lambda r: f"{fmt_s(r['acked_s'])}, **{fmt_n(r['acked_points_per_s'])} points/s**")
    row("CPU: client (the logging process and its sync process); server",
        lambda r: f"{r['client_cpu_s']:.3g} s" + (f"; {r['server_cpu_s']:.3g} s" if r.get("online") else ""))
    row("peak memory: client; server",
        lambda r: fmt_bytes(r["client_peak_rss"]) + (f"; {fmt_bytes(r['server_peak_rss'])}" if r.get("online") else ""))
    row("Sextant's disk after a clean shutdown (bytes per point)",
        lambda r: f"{fmt_bytes(r['disk_bytes'])} ({r['bytes_per_point']:.3g})", True)
    row("readback: first and last series counted through Sextant's native API",
        lambda r: "every step" if r.get("readback") else "—", True)
    if foot:
        L.append("")
    for i, f in enumerate(foot, 1):
        L.append(f"- †{i} {f}")
    return "\n".join(L).rstrip() + "\n"


def replace_section(path: Path, section: str) -> None:
    """Puts `section` between the markers in `path` (at the top, after the
    title, the first time)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{section}{END}\n"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", lambda _: block, text, flags=re.S)
    else:
        lines = text.split("\n", 1)
        rest = lines[1] if len(lines) > 1 else ""
        text = lines[0] + "\n\n" + block + rest
    path.write_text(text)
