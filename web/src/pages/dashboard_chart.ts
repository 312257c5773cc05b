// One dashboard panel: several metrics × several runs on one uPlot chart.
// Data comes from the same series API as the run and compare charts:
// downsampled to the panel's width on a step axis; raw points (at most
// RAW_TIME_LIMIT per run) for a time axis; and for an x axis that is another
// series, both series bucketed and joined on step (lib/dashboard-xjoin.ts).

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, ApiError, toNumber, type SeriesResult } from "../lib/api";
import { xAxisSize } from "../lib/axis";
import { xIsSeries, type PanelX } from "../lib/dashboard";
import { joinOnStep, type StepPoints } from "../lib/dashboard-xjoin";
import { runColor } from "../lib/colors";
import { h, setChildren } from "../lib/dom";
import { ema } from "../lib/ema";
import { formatDuration, formatNumber, formatStep, formatTime } from "../lib/format";
import { isMonitoring, stepsAreTimes } from "../lib/monitoring";
import { alignColumns, bucketsToPlot, pointsToPlot, positiveOnly, type Column } from "../lib/plotdata";
import { compactStep, RAW_TIME_LIMIT, type ChartRun } from "../chart/chart";
import { limit } from "../chart/queue";

export interface PanelChartSpec {
  project: string;
  runs: ChartRun[];
  /** resolved series paths */
  metrics: string[];
  x: PanelX;
  smooth: number;
  log: boolean;
  height: number;
}

interface Line {
  run: ChartRun;
  path: string;
  color: string;
  dash: number[];
  x: number[];
  y: (number | null)[];
}

/** Dash patterns telling a panel's metrics apart when colours tell its runs apart. */
const DASHES = [[], [6, 3], [2, 3], [8, 3, 2, 3], [1, 6]];
const DURATION_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 432000, 864000];

export class PanelChart {
  private u: uPlot | null = null;
  private lines: Line[] = [];
  private abort: AbortController | null = null;
  private destroyed = false;
  /** the x axis drawn: the one asked for, or step when a time axis had too many points */
  private mode: "step" | "wall" | "relative" | "series" = "step";
  private fallback = false;
  private readonly plotEl: HTMLDivElement;
  private readonly readout: HTMLDivElement;
  private readonly resize: ResizeObserver;
  private knownWidth: number;

  constructor(private readonly host: HTMLElement, private spec: PanelChartSpec, width: number) {
    this.plotEl = h("div", { class: "plot" });
    this.readout = h("div", { class: "readout" });
    setChildren(host, this.plotEl, this.readout);
    this.plotEl.style.height = `${spec.height}px`;
    this.knownWidth = Math.floor(width);
    this.resize = new ResizeObserver((entries) => {
      const w = entries[entries.length - 1]?.contentRect.width;
      if (!w || !this.u || Math.floor(w) === this.u.width) return;
      this.knownWidth = Math.floor(w);
      this.u.setSize({ width: this.knownWidth, height: this.spec.height });
    });
    this.resize.observe(this.plotEl);
  }

  async load(): Promise<void> {
    this.abort?.abort();
    const ctl = new AbortController();
    this.abort = ctl;
    const { project, runs, metrics, x } = this.spec;
    const ids = runs.map((r) => r.runId);
    const width = Math.max(32, this.knownWidth || 400);
    const buckets = (path: string, exact = false) =>
      limit(() => api.series(project, { runs: ids, path, buckets: width, ...(exact ? { exact_buckets: true } : {}) }, ctl.signal));
    const raw = (path: string) => limit(() => api.series(project, { runs: ids, path, limit: RAW_TIME_LIMIT }, ctl.signal));
    /** Per metric, per run: (step, mean) of the bucketed series. */
    const byStep = async () => (await Promise.all(metrics.map((m) => buckets(m)))).map((res) => runs.map((r) => {
      const p = stepMeans(res.find((s) => s.run_id === r.runId));
      return { x: p.steps, y: p.values };
    }));
    try {
      this.fallback = false;
      let perMetric: { x: number[]; y: (number | null)[] }[][];
      if (xIsSeries(x)) {
        this.mode = "series";
        // Joined on steps: equal-width buckets end on the same steps in
        // every series, snapped ones only where their blocks line up.
        const [bRes, ...aRes] = await Promise.all([buckets(x, true), ...metrics.map((m) => buckets(m, true))]);
        const bByRun = new Map(bRes.map((s) => [s.run_id, lastPoints(s)]));
        perMetric = aRes.map((res) => runs.map((r) => {
          const a = stepMeans(res.find((s) => s.run_id === r.runId));
          const b = bByRun.get(r.runId);
          return b ? joinOnStep(a, b) : { x: [], y: [] };
        }));
      } else if (x === "wall" || x === "relative") {
        const rawRes = await Promise.all(metrics.map(raw));
        const complete = rawRes.every((res) => res.every((s) => s.next_after_step == null && (s.timestamps?.length ?? 0) === (s.steps?.length ?? 0)));
        if (complete) {
          this.mode = x;
          perMetric = rawRes.map((res) => runs.map((r) => timePoints(res.find((s) => s.run_id === r.runId), x)));
        } else {
          this.fallback = true;
          this.mode = "step";
          perMetric = await byStep();
        }
      } else {
        this.mode = "step";
        perMetric = await byStep();
      }
      if (this.destroyed || ctl.signal.aborted) return;
      // System metrics' steps are Unix seconds: on a step axis they read as wall time.
      const firstX = perMetric.flat().find((d) => d.x.length)?.x[0];
      if (this.mode === "step" && metrics.length && metrics.every(isMonitoring) && stepsAreTimes(firstX)) {
        this.mode = "wall";
        if (x === "wall") this.fallback = false;
      }
      const byRun = runs.length > 1;
      this.lines = [];
      metrics.forEach((path, mi) => runs.forEach((run, ri) => {
        const d = perMetric[mi][ri];
        if (!d.x.length) return;
        this.lines.push({
          run, path, x: d.x, y: d.y,
          // One run: a colour per metric; several: the run's colour, a dash per metric.
          color: byRun ? run.color : runColor(mi),
          dash: byRun ? DASHES[mi % DASHES.length] : [],
        });
      }));
      this.render();
    } catch (e) {
      if ((e as Error).name === "AbortError" || this.destroyed) return;
      this.u?.destroy();
      this.u = null;
      setChildren(this.plotEl, h("div", { class: "chart-error" }, e instanceof ApiError ? e.message : String(e)));
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.abort?.abort();
    this.resize.disconnect();
    this.u?.destroy();
    this.u = null;
  }

  private render(): void {
    const { log, smooth } = this.spec;
    const points = this.lines.reduce((n, l) => n + l.x.length, 0);
    const xs = this.lines.flatMap((l) => [l.x[0], l.x[l.x.length - 1]]);
    Object.assign(this.host.dataset, {
      points: String(points), lines: String(this.lines.length), x: this.mode,
      xmin: xs.length ? String(Math.min(...xs)) : "", xmax: xs.length ? String(Math.max(...xs)) : "",
    });
    this.u?.destroy();
    this.u = null;
    if (!points) {
      setChildren(this.plotEl, h("div", { class: "chart-empty" }, this.spec.metrics.length ? "no points" : "no series match"));
      this.drawReadout(null);
      return;
    }
    this.plotEl.textContent = "";
    const fix = (c: (number | null)[]): Column => (log ? positiveOnly(c) : c);
    const perLine = this.lines.map((l) => [fix(smooth > 0 ? (ema(l.y, smooth) as (number | null)[]) : l.y)]);
    const { x, cols } = alignColumns(this.lines.map((l) => l.x), perLine);
    const data = [x, ...cols.map((c) => c[0])] as uPlot.AlignedData;
    const axisStyle = { stroke: "#667085", font: "11px system-ui, sans-serif", ticks: { show: false }, grid: { stroke: "#eef0f3", width: 1 } };
    const mode = this.mode;
    const opts: uPlot.Options = {
      width: Math.max(32, this.knownWidth || 400),
      height: this.spec.height,
      legend: { show: false },
      padding: [8, 18, 0, 0],
      series: [{}, ...this.lines.map((l): uPlot.Series => ({
        label: `${l.run.label} ${l.path}`, stroke: l.color, width: 1.4, dash: l.dash, spanGaps: false,
        points: { show: (u: uPlot) => u.data[0].length < 60, size: 4, fill: l.color },
      }))],
      scales: {
        x: { time: mode === "wall", range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
        y: log ? { distr: 3, log: 10 } : { distr: 1 },
      },
      axes: [
        mode === "wall" ? { ...axisStyle, size: (_u, values) => xAxisSize(values), space: 80 }
          : mode === "relative" ? { ...axisStyle, size: 24, space: 60, incrs: DURATION_INCRS, values: (_u, splits) => splits.map((v) => formatDuration(v)) }
          : mode === "series" ? { ...axisStyle, size: 24, space: 60, values: (_u, splits) => splits.map((v) => formatNumber(v, 3)) }
          : { ...axisStyle, size: 24, space: 60, values: (_u, splits) => splits.map((v) => compactStep(v)) },
        { ...axisStyle, size: 48, values: (_u, splits) => splits.map((v) => (v == null ? "" : formatNumber(v, 3))) },
      ],
      // Drag zooms this panel only (double-click resets), without asking the server again.
      cursor: { drag: { x: true, y: false, setScale: true }, focus: { prox: -1 } },
      hooks: { setCursor: [(u) => this.drawReadout(u.cursor.idx ?? null)] },
    };
    this.u = new uPlot(opts, data, this.plotEl);
    this.drawReadout(null);
  }

  /** Under the chart: the x of the hovered point and each line's value there (or its last value). */
  private drawReadout(idx: number | null): void {
    const u = this.u;
    const parts: (HTMLElement | string)[] = [];
    const xLabel = (v: number) => this.mode === "wall" ? formatTime(v) : this.mode === "relative" ? `+${formatDuration(v)}`
      : this.mode === "series" ? `${this.spec.x} ${formatNumber(v)}` : `step ${formatStep(v)}`;
    if (u && idx != null) parts.push(h("span", { class: "ro-step" }, xLabel(u.data[0][idx])));
    const named = this.lines.length > 1;
    this.lines.slice(0, 12).forEach((l, i) => {
      const v = u && idx != null ? (u.data[i + 1][idx] as number | null | undefined) : l.y[l.y.length - 1];
      const name = this.spec.runs.length > 1 ? (this.spec.metrics.length > 1 ? `${l.run.label} · ${l.path}` : l.run.label) : l.path;
      parts.push(h("span", { class: "ro-item", title: name, dataset: { run: l.run.runId, path: l.path } },
        h("i", { class: "swatch", style: `background:${l.color}` }),
        named ? h("span", { class: "ro-name" }, name) : null,
        h("b", null, v == null ? "–" : formatNumber(v))));
    });
    if (this.lines.length > 12) parts.push(h("span", { class: "ro-dim" }, `+${this.lines.length - 12} more lines`));
    if (this.fallback) parts.push(h("span", { class: "ro-dim x-fallback", title: `A time axis needs raw points; a series here has more than ${RAW_TIME_LIMIT.toLocaleString()}.` }, "x: step (too many points for time)"));
    setChildren(this.readout, parts);
  }
}

/** A series as (step, mean) points: bucket centres, or raw points when the server sent those. */
function stepMeans(s: SeriesResult | undefined): StepPoints {
  if (s?.buckets) {
    const d = bucketsToPlot(s.buckets);
    return { steps: d.x, values: d.mean };
  }
  if (s?.steps && s.values) {
    const d = pointsToPlot(s.steps, s.values as never);
    return { steps: d.x, values: d.mean };
  }
  return { steps: [], values: [] };
}

/** The x-axis series as exact points: each bucket's last point (its step and value), or the raw points. */
function lastPoints(s: SeriesResult): StepPoints {
  if (s.buckets) return { steps: s.buckets.last_step.slice(), values: s.buckets.last.map((v) => toNumber(v)) };
  if (s.steps && s.values) return { steps: s.steps.slice(), values: s.values.map((v) => toNumber(v)) };
  return { steps: [], values: [] };
}

/** Raw points on a time axis: wall-clock seconds, or seconds since the series' first point. */
function timePoints(s: SeriesResult | undefined, x: "wall" | "relative"): { x: number[]; y: (number | null)[] } {
  if (!s?.steps || !s.values || !s.timestamps || !s.steps.length) return { x: [], y: [] };
  const t0 = s.timestamps[0];
  const order = s.timestamps.map((_, i) => i).sort((a, b) => s.timestamps![a] - s.timestamps![b]);
  const d = pointsToPlot(order.map((i) => (x === "wall" ? s.timestamps![i] : s.timestamps![i] - t0)), order.map((i) => s.values![i]) as never);
  return { x: d.x, y: d.mean };
}
