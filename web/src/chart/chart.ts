// One series chart: asks the server for as many buckets as the chart is wide,
// draws each run's mean line over a min/max band (so a spike inside a bucket
// is never averaged away), marks NaN and ±Inf, and reports drag-zoom.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, ApiError } from "../lib/api";
import { xAxisSize } from "../lib/axis";
import { alpha, h, setChildren } from "../lib/dom";
import { ema } from "../lib/ema";
import { formatDuration, formatNumber, formatStep, formatTime } from "../lib/format";
import { chartRange, chartXAxis, isMonitoring, stepsAreTimes } from "../lib/monitoring";
import {
  alignColumns, bucketsToPlot, emptyPlotData, pointsToPlot, positiveOnly,
  type Column, type RunPlotData,
} from "../lib/plotdata";
import type { ChartPrefs, XAxis } from "../lib/url";
import { limit } from "./queue";

export interface ChartRun {
  runId: string;
  label: string;
  color: string;
}

export interface StepMarker {
  step: number;
  label: string;
}

export interface ChartSpec {
  project: string;
  path: string;
  runs: ChartRun[];
  prefs: ChartPrefs;
  height: number;
  markers?: StepMarker[];
  /** a drag selected [from, to] steps; null on double click (reset) */
  onZoom(range: [number, number] | null): void;
  /** called after each load with what the chart found */
  onInfo?(info: ChartInfo): void;
}

export interface ChartInfo {
  points: number;
  nanCount: number;
  infCount: number;
  lastStep: number | null;
}

const NAN_COLOR = "#d92d20";

/** Axis tick increments from 1e-30 to 1e300: uPlot's defaults stop near 1e16, and a diverged loss goes far beyond. */
const NUM_INCRS: number[] = [];
for (let e = -30; e <= 300; e++) for (const m of [1, 2, 2.5, 5]) NUM_INCRS.push(Number(`${m}e${e}`));
const INF_COLOR = "#b54708";
/** A time x axis needs raw points (buckets carry no times): at most this many per run, else the chart stays on steps. */
export const RAW_TIME_LIMIT = 10_000;
/** Tick increments for a relative-time axis, in seconds. */
const DURATION_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 432000, 864000, 2592000];

/** Series layout per run in the uPlot data: max, min, mean[, smoothed]. */
interface Layout {
  perRun: number;
  lineIdx: number[]; // the series a readout reads, per run
}

export class SeriesChart {
  private u: uPlot | null = null;
  private data: RunPlotData[] = [];
  private abort: AbortController | null = null;
  private fetchedWidth = 0;
  private destroyed = false;
  private layout: Layout = { perRun: 3, lineIdx: [] };
  /** the x axis drawn (step when a time axis was asked for but the series is too long) */
  private xMode: XAxis = "step";
  private renderedMode: XAxis = "step";
  private renderedStepTime = false;
  private fallback = false;
  /** buckets drawn on a wall-time axis because their steps are Unix seconds (monitoring/ too long for raw points) */
  private stepTime = false;
  /** a monitoring/ chart's own zoom (the page's zoom is in training steps) */
  private ownRange: [number, number] | null = null;
  /** per run, in time mode: x value and step of each point (zoom and readout map time back to steps) */
  private xSteps: { x: number[]; steps: number[] }[] = [];
  private readonly plotEl: HTMLDivElement;
  private readonly readout: HTMLDivElement;
  private readonly resize: ResizeObserver;

  /** CSS px; measured by the caller (batched, to avoid layout thrash) and then by a ResizeObserver. */
  private knownWidth: number;

  constructor(private readonly host: HTMLElement, private spec: ChartSpec, initialWidth?: number) {
    this.plotEl = h("div", { class: "plot" });
    this.readout = h("div", { class: "readout" });
    setChildren(host, this.plotEl, this.readout);
    this.plotEl.style.height = `${spec.height}px`;
    this.knownWidth = Math.floor(initialWidth ?? host.clientWidth);
    this.resize = new ResizeObserver((entries) => {
      const w = entries[entries.length - 1]?.contentRect.width;
      if (w) this.knownWidth = Math.floor(w);
      this.onResize();
    });
    this.resize.observe(this.plotEl);
    this.plotEl.addEventListener("dblclick", () => {
      if (this.ownRange) {
        this.ownRange = null;
        void this.load();
      } else if (this.spec.prefs.range) this.spec.onZoom(null);
    });
  }

  /** Fetches and draws; resolves when drawn (or failed, shown in place). */
  async load(): Promise<void> {
    this.abort?.abort();
    const ctl = new AbortController();
    this.abort = ctl;
    const width = this.width();
    const { project, path, runs, prefs } = this.spec;
    const stepRange = this.range();
    try {
      const want = chartXAxis(path, prefs.x);
      this.fallback = false;
      this.stepTime = false;
      if (want !== "step") {
        const raw = await limit(() => api.series(project, { runs: runs.map((r) => r.runId), path, limit: RAW_TIME_LIMIT, step_range: stepRange }, ctl.signal));
        if (this.destroyed || ctl.signal.aborted) return;
        const complete = raw.every((s) => s.next_after_step == null && (s.timestamps?.length ?? 0) === (s.steps?.length ?? 0));
        if (complete) {
          this.xMode = want;
          this.fetchedWidth = width;
          this.xSteps = [];
          this.data = runs.map((r) => {
            const s = raw.find((x) => x.run_id === r.runId);
            if (!s?.steps || !s.values || !s.timestamps || s.steps.length === 0) {
              this.xSteps.push({ x: [], steps: [] });
              return emptyPlotData();
            }
            const t0 = s.timestamps[0];
            let order = s.steps.map((_, i) => i);
            const xs0 = s.timestamps.map((t) => (want === "wall" ? t : t - t0));
            if (xs0.some((v, i) => i > 0 && v < xs0[i - 1])) order = order.sort((a, b) => xs0[a] - xs0[b]);
            const xs = order.map((i) => xs0[i]);
            const steps = order.map((i) => s.steps![i]);
            this.xSteps.push({ x: xs, steps });
            const d = pointsToPlot(xs, order.map((i) => s.values![i]) as never);
            d.lastStep = s.steps[s.steps.length - 1];
            return d;
          });
          this.render();
          return;
        }
        this.fallback = true;
      }
      this.xSteps = [];
      const res = await limit(() =>
        api.series(project, {
          runs: runs.map((r) => r.runId),
          path,
          buckets: width,
          step_range: stepRange,
        }, ctl.signal),
      );
      if (this.destroyed || ctl.signal.aborted) return;
      // Monitoring steps are Unix seconds: buckets of them still draw on a time axis.
      this.stepTime = want === "wall" && res.every((s) => !s.buckets?.first_step.length || stepsAreTimes(s.buckets.first_step[0]));
      if (this.stepTime) this.fallback = false;
      this.xMode = this.stepTime ? "wall" : "step";
      this.fetchedWidth = width;
      this.data = runs.map((r) => {
        const s = res.find((x) => x.run_id === r.runId);
        if (s?.buckets) return bucketsToPlot(s.buckets);
        if (s?.steps && s.values) return pointsToPlot(s.steps, s.values as never);
        return emptyPlotData();
      });
      this.render();
    } catch (e) {
      if ((e as Error).name === "AbortError" || this.destroyed) return;
      this.showError(e instanceof ApiError ? e.message : String(e));
    }
  }

  /** New preferences: log/smoothing redraw locally, a new range refetches. */
  setPrefs(prefs: ChartPrefs): void {
    const old = this.spec.prefs;
    this.spec = { ...this.spec, prefs };
    const sameRange = old.range?.[0] === prefs.range?.[0] && old.range?.[1] === prefs.range?.[1];
    if (!sameRange || (old.x ?? "step") !== (prefs.x ?? "step")) void this.load();
    else if (old.log !== prefs.log || old.smooth !== prefs.smooth) this.render(true);
  }

  destroy(): void {
    this.destroyed = true;
    this.abort?.abort();
    this.resize.disconnect();
    this.u?.destroy();
    this.u = null;
  }

  private range(): [number, number] | null {
    return chartRange(this.spec.path, this.spec.prefs.range, this.ownRange);
  }

  /** A drag: zooms every chart of the page, or only this one for monitoring/ (its steps are times). */
  private zoom(range: [number, number]): void {
    if (!isMonitoring(this.spec.path)) {
      this.spec.onZoom(range);
      return;
    }
    this.ownRange = range;
    void this.load();
  }

  private width(): number {
    return Math.max(32, this.knownWidth || 400);
  }

  private onResize(): void {
    if (!this.u) return;
    const w = this.width();
    if (w === this.u.width) return;
    this.u.setSize({ width: w, height: this.spec.height });
    // Refetch when the resolution is noticeably off.
    if (Math.abs(w - this.fetchedWidth) > Math.max(48, this.fetchedWidth * 0.25)) void this.load();
  }

  private showError(msg: string): void {
    this.u?.destroy();
    this.u = null;
    setChildren(this.plotEl, h("div", { class: "chart-error" }, msg));
  }

  private columns(): { x: number[]; cols: Column[][] } {
    const { log, smooth } = this.spec.prefs;
    const fix = (c: Column) => (log ? positiveOnly(c) : c);
    const perRun = this.data.map((d) => {
      const mean = fix(d.mean);
      const cols: Column[] = [fix(d.max), fix(d.min), mean];
      if (smooth > 0) cols.push(ema(mean, smooth));
      return cols;
    });
    return alignColumns(this.data.map((d) => d.x), perRun);
  }

  private render(rebuild = false): void {
    if (this.destroyed) return;
    const { runs, prefs } = this.spec;
    const { x, cols } = this.columns();
    const aligned: uPlot.AlignedData = [x, ...cols.flat()] as uPlot.AlignedData;
    const perRun = prefs.smooth > 0 ? 4 : 3;
    const info: ChartInfo = { points: 0, nanCount: 0, infCount: 0, lastStep: null };
    for (const d of this.data) {
      info.points += d.points;
      info.nanCount += d.nanCount;
      info.infCount += d.posInfSteps.length + d.negInfSteps.length;
      if (d.lastStep !== null) info.lastStep = Math.max(info.lastStep ?? -Infinity, d.lastStep);
    }
    this.host.dataset.points = String(info.points);
    this.host.dataset.lastStep = info.lastStep === null ? "" : String(info.lastStep);
    this.host.dataset.x = this.xMode;
    this.spec.onInfo?.(info);

    if (x.length === 0) {
      this.u?.destroy();
      this.u = null;
      setChildren(this.plotEl, h("div", { class: "chart-empty" }, "no points"));
      this.setReadout(null);
      return;
    }
    if (this.u && !rebuild && this.layout.perRun === perRun && this.u.series.length === aligned.length && this.renderedMode === this.xMode && this.renderedStepTime === this.stepTime) {
      this.u.setData(aligned);
      this.setReadout(null);
      return;
    }
    this.u?.destroy();
    this.plotEl.textContent = "";
    this.renderedMode = this.xMode;
    this.renderedStepTime = this.stepTime;
    const mode = this.xMode;
    // x values are steps (zoom and the zoom range apply directly), whatever the labels.
    const xIsStep = mode === "step" || this.stepTime;
    this.layout = { perRun, lineIdx: runs.map((_, i) => 1 + i * perRun + (perRun === 4 ? 3 : 2)) };

    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    const single = runs.length === 1;
    runs.forEach((r, i) => {
      const base = 1 + i * perRun;
      const hidden = { stroke: "transparent", width: 0, points: { show: false } };
      series.push({ label: `${r.label} max`, ...hidden });
      series.push({ label: `${r.label} min`, ...hidden });
      series.push({
        label: r.label,
        stroke: perRun === 4 ? alpha(r.color, 0.3) : r.color,
        width: 1.25,
        points: { show: (u: uPlot) => u.data[0].length < 60, size: 4, fill: r.color },
      } as uPlot.Series);
      if (perRun === 4) series.push({ label: `${r.label} (smoothed)`, stroke: r.color, width: 1.5, points: { show: false } });
      bands.push({ series: [base, base + 1], fill: alpha(r.color, single ? 0.16 : 0.09) });
    });

    const lineIdx = new Set(this.layout.lineIdx);
    const axisStyle = { stroke: "#667085", font: "11px system-ui, sans-serif", ticks: { show: false }, grid: { stroke: "#eef0f3", width: 1 } };
    const opts: uPlot.Options = {
      width: this.width(),
      height: this.spec.height,
      legend: { show: false },
      padding: [8, 18, 0, 0],
      series,
      bands,
      scales: {
        x: {
          time: mode === "wall",
          range: (_u, min, max) => {
            const r = this.range();
            if (r && xIsStep) return [r[0], r[1]];
            return min === max ? [min - 1, max + 1] : [min, max];
          },
        },
        y: prefs.log ? { distr: 3, log: 10 } : { distr: 1 },
      },
      axes: [
        mode === "wall" ? { ...axisStyle, size: (_u, values) => xAxisSize(values), space: 80 }
          : mode === "relative" ? { ...axisStyle, size: 24, space: 60, incrs: DURATION_INCRS, values: (_u, splits) => splits.map((v) => formatDuration(v)) }
          : { ...axisStyle, size: 24, space: 60, values: (_u, splits) => splits.map((v) => compactStep(v)) },
        { ...axisStyle, size: 48, incrs: NUM_INCRS, values: (_u, splits) => splits.map((v) => (v == null ? "" : formatNumber(v, 3))) },
      ],
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { size: (_u, si) => (lineIdx.has(si) ? 6 : 0), width: 1.5 },
        focus: { prox: -1 },
      },
      hooks: {
        setSelect: [(u) => {
          const sel = u.select;
          if (sel.width > 3) {
            const a = u.posToVal(sel.left, "x");
            const b = u.posToVal(sel.left + sel.width, "x");
            if (xIsStep) {
              if (b > a) this.zoom([roundStep(a), roundStep(b)]);
            } else {
              // Time axis: zoom to the steps of the points inside the selection.
              let lo = Infinity;
              let hi = -Infinity;
              for (const r of this.xSteps) r.x.forEach((x, i) => {
                if (x >= a && x <= b) { lo = Math.min(lo, r.steps[i]); hi = Math.max(hi, r.steps[i]); }
              });
              if (hi > lo) this.zoom([lo, hi]);
            }
          }
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        }],
        setCursor: [(u) => this.setReadout(u.cursor.idx ?? null)],
        draw: [(u) => this.drawMarkers(u)],
      },
    };
    this.u = new uPlot(opts, aligned, this.plotEl);
    this.setReadout(null);
  }

  /** NaN as red ticks on the bottom edge, ±Inf as triangles on the top/bottom edges. */
  private drawMarkers(u: uPlot): void {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const pr = uPlot.pxRatio;
    ctx.save();
    const xAt = (s: number) => u.valToPos(s, "x", true);
    const inView = (px: number) => px >= left - 1 && px <= left + width + 1;
    for (const m of this.xMode === "step" ? this.spec.markers ?? [] : []) {
      const px = Math.round(xAt(m.step));
      if (!inView(px)) continue;
      ctx.strokeStyle = "#98a2b3";
      ctx.lineWidth = pr;
      ctx.setLineDash([4 * pr, 3 * pr]);
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, top + height);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    for (const d of this.data) {
      ctx.fillStyle = NAN_COLOR;
      for (const s of d.nanSteps) {
        const px = xAt(s);
        if (inView(px)) ctx.fillRect(px - 1 * pr, top + height - 7 * pr, 2 * pr, 7 * pr);
      }
      ctx.fillStyle = INF_COLOR;
      for (const s of d.posInfSteps) {
        const px = xAt(s);
        if (inView(px)) triangle(ctx, px, top, 5 * pr, 1);
      }
      for (const s of d.negInfSteps) {
        const px = xAt(s);
        if (inView(px)) triangle(ctx, px, top + height, 5 * pr, -1);
      }
    }
    ctx.restore();
  }

  /** The line under the chart: values at the hovered step, or the last values. */
  private setReadout(idx: number | null): void {
    const { runs } = this.spec;
    const u = this.u;
    const parts: (HTMLElement | string)[] = [];
    if (u && idx !== null && idx !== undefined) {
      const x = u.data[0][idx];
      if (this.xMode === "step") parts.push(h("span", { class: "ro-step" }, `step ${formatStep(x)}`));
      else {
        // A monitoring step is a Unix time: the time already says it.
        const step = runs.length === 1 && !isMonitoring(this.spec.path) ? this.xSteps[0]?.steps[idx] : undefined;
        parts.push(h("span", { class: "ro-step" }, this.xMode === "wall" ? formatTime(x) : `+${formatDuration(x)}`,
          step !== undefined ? h("span", { class: "ro-dim" }, ` step ${formatStep(step)}`) : null));
      }
      runs.forEach((r, i) => {
        const si = this.layout.lineIdx[i];
        const di = u.cursor.idxs?.[si] ?? idx;
        const v = di === null || di === undefined ? undefined : (u.data[si][di] as number | null | undefined);
        const base = 1 + i * this.layout.perRun;
        const lo = di == null ? undefined : (u.data[base + 1][di] as number | null | undefined);
        const hi = di == null ? undefined : (u.data[base][di] as number | null | undefined);
        parts.push(readoutItem(r, v, runs.length === 1 ? lo : undefined, runs.length === 1 ? hi : undefined, runs.length > 1));
      });
    } else {
      runs.forEach((r, i) => {
        const d = this.data[i];
        if (!d) return;
        const v = d.lastValue;
        const item = readoutItem(r, v ?? undefined, undefined, undefined, runs.length > 1);
        if (d.lastStep !== null && runs.length === 1) item.append(h("span", { class: "ro-dim" }, ` @${this.stepLabel(d.lastStep)}`));
        parts.push(item);
      });
    }
    if (this.fallback) parts.push(h("span", { class: "ro-dim x-fallback", title: `A time axis needs raw points; this series has more than ${RAW_TIME_LIMIT.toLocaleString()} in the range. Zoom in to use time.` }, "x: step (too many points for time)"));
    setChildren(this.readout, parts);
  }

  /** A step as the readout shows it: monitoring/ steps are Unix seconds, shown as a time. */
  private stepLabel(step: number): string {
    return isMonitoring(this.spec.path) && stepsAreTimes(step) ? formatTime(step) : formatStep(step);
  }
}

function readoutItem(r: ChartRun, v: number | null | undefined, lo: number | null | undefined, hi: number | null | undefined, named: boolean): HTMLElement {
  const val = v === undefined ? "–" : v === null ? "gap" : formatNumber(v);
  // Several runs: each value with its run's name (cut short; whole in the tooltip).
  return h("span", { class: "ro-item", title: named ? r.label : undefined, dataset: { run: r.runId } },
    h("i", { class: "swatch", style: `background:${r.color}` }),
    named ? h("span", { class: "ro-name" }, r.label) : null,
    h("b", null, val),
    typeof lo === "number" && typeof hi === "number" && lo !== hi
      ? h("span", { class: "ro-dim" }, ` [${formatNumber(lo)}, ${formatNumber(hi)}]`) : null,
  );
}

function triangle(ctx: CanvasRenderingContext2D, x: number, y: number, s: number, dir: 1 | -1): void {
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x - s, y + dir * s * 1.6);
  ctx.lineTo(x + s, y + dir * s * 1.6);
  ctx.closePath();
  ctx.fill();
}

function roundStep(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** Axis labels for steps: 500, 12k, 1.5M. */
export function compactStep(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return trim(v / 1e9) + "G";
  if (a >= 1e6) return trim(v / 1e6) + "M";
  if (a >= 1e4) return trim(v / 1e3) + "k";
  return formatStep(v);
}

function trim(v: number): string {
  return String(Number(v.toFixed(2)));
}
