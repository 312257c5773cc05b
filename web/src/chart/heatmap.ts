// A histogram series as a heatmap over steps: x = step, y = value (the bins),
// colour = count (on a log scale, so a few outliers stay visible next to the
// bulk). The server returns histograms raw; we fetch up to MAX_POINTS of them
// in the visible step range and rasterize at the canvas's pixel size.

import { api, ApiError } from "../lib/api";
import { h, setChildren } from "../lib/dom";
import { formatNumber, formatStep } from "../lib/format";
import { asHistogram, binAt, rampColor, rasterize, type Heatmap, type Histogram } from "../lib/heatmap";
import type { ChartPrefs } from "../lib/url";
import type { ChartRun } from "./chart";
import { limit } from "./queue";

/** Histograms fetched per chart (one request); a longer series shows its first MAX_POINTS in the range. */
export const MAX_POINTS = 2000;
const PAD_L = 48;
const PAD_B = 18;
const PAD_T = 4;
const PAD_R = 6;

export interface HeatmapSpec {
  project: string;
  path: string;
  runs: ChartRun[];
  prefs: ChartPrefs;
  height: number;
}

export class HeatmapChart {
  private readonly canvas: HTMLCanvasElement;
  private readonly readout: HTMLDivElement;
  private steps: number[] = [];
  private hists: (Histogram | null)[] = [];
  private map: Heatmap | null = null;
  private truncated = false;
  private abort: AbortController | null = null;
  private destroyed = false;
  private readonly ro: ResizeObserver;
  private width: number;

  constructor(private readonly host: HTMLElement, private spec: HeatmapSpec, width: number) {
    this.width = Math.max(120, Math.floor(width));
    this.canvas = h("canvas", { class: "heatmap" });
    this.readout = h("div", { class: "readout" });
    setChildren(host, this.canvas, this.readout);
    this.canvas.addEventListener("mousemove", (e) => this.hover(e));
    this.canvas.addEventListener("mouseleave", () => this.showSummary());
    this.ro = new ResizeObserver(() => {
      const w = Math.floor(host.clientWidth - 8);
      if (w > 0 && Math.abs(w - this.width) > 2) {
        this.width = w;
        this.draw();
      }
    });
    this.ro.observe(host);
  }

  setPrefs(p: ChartPrefs): void {
    const rangeChanged = JSON.stringify(p.range) !== JSON.stringify(this.spec.prefs.range);
    this.spec = { ...this.spec, prefs: p };
    if (rangeChanged) void this.load();
  }

  destroy(): void {
    this.destroyed = true;
    this.abort?.abort();
    this.ro.disconnect();
  }

  async load(): Promise<void> {
    const run = this.spec.runs[0];
    if (!run) return;
    this.abort?.abort();
    const ctl = (this.abort = new AbortController());
    try {
      const res = await limit(() => api.series(this.spec.project, {
        runs: [run.runId], path: this.spec.path, limit: MAX_POINTS, step_range: this.spec.prefs.range,
      }, ctl.signal));
      if (this.destroyed || ctl.signal.aborted) return;
      const s = res[0];
      this.steps = s?.steps ?? [];
      this.hists = (s?.values ?? []).map(asHistogram);
      this.truncated = s?.next_after_step !== null && s?.next_after_step !== undefined;
      this.host.dataset.points = String(this.steps.length);
      this.draw();
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      setChildren(this.host, h("div", { class: "chart-error" }, e instanceof ApiError ? e.message : String(e)));
    }
  }

  private plotBox(): { x: number; y: number; w: number; h: number } {
    return { x: PAD_L, y: PAD_T, w: Math.max(1, this.width - PAD_L - PAD_R), h: Math.max(1, this.spec.height - PAD_T - PAD_B) };
  }

  private draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const W = this.width;
    const H = this.spec.height;
    this.canvas.width = Math.round(W * dpr);
    this.canvas.height = Math.round(H * dpr);
    this.canvas.style.width = `${W}px`;
    this.canvas.style.height = `${H}px`;
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const box = this.plotBox();
    // Rasterize at device resolution in x, and one cell per 2 CSS px in y.
    const cols = Math.max(1, Math.round(box.w * dpr));
    const rows = Math.max(1, Math.round(box.h / 2));
    this.map = rasterize(this.steps, this.hists, cols, rows);
    const m = this.map;
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#667085";
    if (!m) {
      ctx.textAlign = "center";
      ctx.fillText(this.steps.length ? "no valid histograms" : "no points", W / 2, H / 2);
      this.showSummary();
      return;
    }
    const img = new ImageData(m.w, m.h);
    const lmax = Math.log1p(m.max);
    for (let k = 0; k < m.cells.length; k++) {
      const v = m.cells[k];
      if (!(v > 0)) continue;
      const [r, g, b] = rampColor(0.08 + 0.92 * (Math.log1p(v) / lmax));
      img.data[4 * k] = r;
      img.data[4 * k + 1] = g;
      img.data[4 * k + 2] = b;
      img.data[4 * k + 3] = 255;
    }
    const off = document.createElement("canvas");
    off.width = m.w;
    off.height = m.h;
    off.getContext("2d")!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, box.x, box.y, box.w, box.h);
    ctx.strokeStyle = "#eaecf0";
    ctx.strokeRect(box.x - 0.5, box.y - 0.5, box.w + 1, box.h + 1);
    // Axes: a few labels on each.
    ctx.fillStyle = "#667085";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let i = 0; i <= 4; i++) {
      const v = m.y[1] - ((m.y[1] - m.y[0]) * i) / 4;
      ctx.fillText(formatNumber(v, 3), box.x - 4, box.y + (box.h * i) / 4);
    }
    ctx.textBaseline = "top";
    const span = m.x[1] - m.x[0];
    const inc = niceStep(span / Math.max(2, Math.min(8, Math.floor(box.w / 70))));
    for (let v = Math.ceil(m.x[0] / inc) * inc; v <= m.x[1]; v += inc) {
      const px = box.x + ((v - m.x[0]) / span) * box.w;
      ctx.textAlign = px < box.x + 16 ? "left" : px > box.x + box.w - 16 ? "right" : "center";
      ctx.fillText(formatStep(v), px, box.y + box.h + 3);
    }
    this.showSummary();
  }

  private showSummary(): void {
    const n = this.steps.length;
    const last = n ? this.steps[n - 1] : null;
    setChildren(this.readout,
      h("span", { class: "muted" }, `${n.toLocaleString()} histogram${n === 1 ? "" : "s"}`),
      last !== null ? h("span", null, h("span", { class: "muted" }, "last step "), formatStep(last)) : null,
      this.truncated ? h("span", { class: "muted", title: "Zoom in to see later steps" }, `first ${MAX_POINTS.toLocaleString()} shown`) : null);
  }

  private hover(e: MouseEvent): void {
    const m = this.map;
    if (!m) return;
    const rect = this.canvas.getBoundingClientRect();
    const box = this.plotBox();
    const fx = (e.clientX - rect.left - box.x) / box.w;
    const fy = (e.clientY - rect.top - box.y) / box.h;
    if (fx < 0 || fx >= 1 || fy < 0 || fy > 1) return this.showSummary();
    const hi = m.colHist[Math.min(m.w - 1, Math.floor(fx * m.w))];
    const g = hi >= 0 ? this.hists[hi] : null;
    if (!g) return this.showSummary();
    const y = m.y[1] - fy * (m.y[1] - m.y[0]);
    const b = binAt(g, y);
    setChildren(this.readout,
      h("span", null, h("span", { class: "muted" }, "step "), formatStep(this.steps[hi])),
      b >= 0
        ? h("span", null, h("span", { class: "muted" }, `[${formatNumber(g.edges[b], 4)}, ${formatNumber(g.edges[b + 1], 4)}) `), h("b", null, formatNumber(g.counts[b], 6)))
        : h("span", { class: "muted" }, "outside the bins"),
      h("span", { class: "muted" }, `total ${formatNumber(g.counts.reduce((a, c) => a + c, 0), 6)}`));
  }
}

/** 1, 2 or 5 × 10^k, at least `raw` and at least 1 (steps are integers). */
function niceStep(raw: number): number {
  if (!(raw > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
