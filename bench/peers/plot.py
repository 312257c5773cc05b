"""Draws the side-by-side PNG from run.py's results JSON.

    python plot.py results.json out.png

Runs in the `report` virtualenv (matplotlib). One panel per workload, one
bar per tool (the median), log scale, Sextant in its own colour; a tool that
could not do a workload gets a label instead of a bar, and a figure measured
on a partial workload (stopped at its time budget) gets a dagger.
"""
from __future__ import annotations

import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from report import values  # noqa: E402  (same folder; the report's tolerant getter)


def median_of(rs, get):
    vals = [v for v in values(rs, get) if v]  # a zero cannot be drawn on a log scale
    return statistics.median(vals) if vals else None


def panels(res):
    runs = res["runs"]
    longs = sorted((k for k in runs if k.startswith("long-")), key=lambda k: int(k.split("-")[1]))
    big = longs[0] if longs else None  # the size every tool got to (or got partway into)
    out = [
        ("percall", "µs per log call (10 floats)", "lower is better", lambda r: r["us_per_call"],
         lambda r: r.get("complete", True)),
        ("ingest", "ingest, points/s", "higher is better", lambda r: r["points_per_s"],
         lambda r: r.get("complete", True)),
    ]
    if big:
        n = int(big.split("-")[1])
        label = f"{n / 1e6:g} M" if n >= 1e6 else f"{n:,}"
        out.append((big, f"full read of up to {label} points,\nµs per point", "lower is better",
                    lambda r: statistics.median(r["full"]["samples_s"]) / r["points"] * 1e6,
                    lambda r: r.get("complete", True)))
        out.append((big, f"chart of up to {label} points, s", "lower is better",
                    lambda r: statistics.median(r["chart"]["samples_s"]), lambda r: r.get("complete", True)))
    out += [
        ("runs", "runs query (filter+sort+page), s", "lower is better",
         lambda r: statistics.median(r["query"]["samples_s"]), lambda r: r.get("complete", True)),
        ("ingest", "disk bytes per point", "lower is better", lambda r: r["bytes_per_point"],
         lambda r: r.get("complete", True)),
        ("ingest", "peak memory, MiB", "lower is better", lambda r: r["peak_rss"] / 2**20,
         lambda r: True),
        ("startup", "first run logged, s", "lower is better", lambda r: r["first_run_s"], lambda r: True),
    ]
    return out


def main() -> int:
    res = json.load(open(sys.argv[1]))
    tools = res["tools"]
    ps = panels(res)
    cols = 4
    rows = (len(ps) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 0.45 * len(tools) * rows + 1.6 * rows))
    axes = [ax for row in (axes if rows > 1 else [axes]) for ax in row]
    for ax, (key, title, better, get, complete) in zip(axes, ps):
        by_tool = res["runs"].get(key, {})
        ys = list(range(len(tools)))[::-1]
        vals = []
        for t in tools:
            rs = [r for r in by_tool.get(t, []) if "error" not in r and "na" not in r and "skipped" not in r]
            v = median_of(rs, get)
            partial = any(not complete(r) for r in rs)
            vals.append((v, partial))
        present = [v for v, _ in vals if v]
        ax.set_title(f"{title}\n({better})", fontsize=9)
        ax.set_ylim(-0.6, len(tools) - 0.4)
        ax.set_yticks(ys)
        ax.set_yticklabels(tools, fontsize=8)
        if not present:
            ax.set_xticks([])
            continue
        ax.set_xscale("log")
        lo, hi = min(present), max(present)
        ax.set_xlim(lo / 3, hi * 6)
        for y, t, (v, partial) in zip(ys, tools, vals):
            if v is None:
                ax.text(0.02, y, "n/a", va="center", fontsize=7, color="#888",
                        transform=ax.get_yaxis_transform())
                continue
            ax.barh(y, v, color="#d9480f" if t == "sextant" else "#748ffc", height=0.6)
            ax.text(v * 1.1, y, f"{v:.3g}{' †' if partial else ''}", va="center", fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes[len(ps):]:
        ax.axis("off")
    m = res["machine"]
    fig.suptitle(f"Sextant and peers, {res['started'][:10]} — {m['cores']} cores, {m['cpu']}"
                 "   († stopped at the time budget; measured on what it finished)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(sys.argv[2], dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
