// A histogram series as a heatmap: x = step, y = bin value, colour = count.
// Pure rasterization (no DOM), so it is unit-tested.

export interface Histogram { edges: number[]; counts: number[] }

export interface Heatmap {
  /** columns (x) and rows (y, row 0 at the top = the highest value) */
  w: number;
  h: number;
  /** mass per cell, row-major */
  cells: Float64Array;
  max: number;
  /** step domain [first, last + 1) and value domain [lo, hi] */
  x: [number, number];
  y: [number, number];
  /** which histogram (index into the input) each column shows, -1 for none */
  colHist: Int32Array;
}

/** Accepts `{edges, counts}` from the wire; anything malformed is null (drawn as a gap). */
export function asHistogram(v: unknown): Histogram | null {
  if (!v || typeof v !== "object") return null;
  const o = v as { edges?: unknown; counts?: unknown };
  if (!Array.isArray(o.edges) || !Array.isArray(o.counts) || o.edges.length !== o.counts.length + 1 || o.counts.length === 0) return null;
  const edges = o.edges.map(Number);
  const counts = o.counts.map(Number);
  if (!edges.every(Number.isFinite)) return null;
  return { edges, counts };
}

/**
 * Rasterizes histograms logged at `steps` (ascending) into w×h cells. A
 * histogram covers the steps up to the next one; several histograms falling
 * in one column are averaged. A bin's count is spread over the rows it
 * overlaps, in proportion to the overlap.
 */
export function rasterize(steps: readonly number[], hists: readonly (Histogram | null)[], w: number, h: number): Heatmap | null {
  let lo = Infinity;
  let hi = -Infinity;
  const idx: number[] = [];
  hists.forEach((g, i) => {
    if (!g) return;
    idx.push(i);
    lo = Math.min(lo, g.edges[0]);
    hi = Math.max(hi, g.edges[g.edges.length - 1]);
  });
  if (!idx.length || w < 1 || h < 1) return null;
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const x0 = steps[idx[0]];
  const x1 = steps[idx[idx.length - 1]] + 1;
  const cells = new Float64Array(w * h);
  const colHist = new Int32Array(w).fill(-1);
  const colN = new Int32Array(w);
  const col = (s: number) => Math.min(w - 1, Math.max(0, Math.floor(((s - x0) / (x1 - x0)) * w)));
  // Each histogram adds to the column of its step; a column with none of its
  // own repeats the one before (a histogram stands until the next one).
  for (const i of idx) {
    const c = col(steps[i]);
    colN[c]++;
    colHist[c] = i;
    addColumn(cells, c, w, h, hists[i]!, lo, hi);
  }
  for (let c = 0; c < w; c++) {
    if (colN[c] > 1) for (let r = 0; r < h; r++) cells[r * w + c] /= colN[c];
    else if (colN[c] === 0 && c > 0) {
      colHist[c] = colHist[c - 1];
      for (let r = 0; r < h; r++) cells[r * w + c] = cells[r * w + c - 1];
    }
  }
  let max = 0;
  for (let k = 0; k < cells.length; k++) max = Math.max(max, cells[k]);
  return { w, h, cells, max, x: [x0, x1], y: [lo, hi], colHist };
}

function addColumn(cells: Float64Array, c: number, w: number, h: number, g: Histogram, lo: number, hi: number): void {
  const span = hi - lo;
  for (let b = 0; b < g.counts.length; b++) {
    const n = g.counts[b];
    if (!(n > 0)) continue;
    const a = g.edges[b];
    const z = g.edges[b + 1];
    // rows from the top: value hi is row 0
    const ya = ((hi - z) / span) * h;
    const yz = ((hi - a) / span) * h;
    if (yz - ya <= 1e-12) {
      const r = Math.min(h - 1, Math.max(0, Math.floor(ya)));
      cells[r * w + c] += n;
      continue;
    }
    for (let r = Math.max(0, Math.floor(ya)); r < Math.min(h, Math.ceil(yz)); r++) {
      const overlap = Math.min(yz, r + 1) - Math.max(ya, r);
      if (overlap > 0) cells[r * w + c] += (n * overlap) / (yz - ya);
    }
  }
}

/** Colour for t in [0, 1]: a perceptual ramp from pale to dark blue-violet; 0 is transparent. */
const STOPS: [number, number, number][] = [[247, 251, 255], [158, 202, 225], [66, 146, 198], [33, 84, 160], [63, 0, 125]];
export function rampColor(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** The bin of `g` holding value y, or -1. */
export function binAt(g: Histogram, y: number): number {
  for (let b = 0; b < g.counts.length; b++) {
    if (y >= g.edges[b] && (y < g.edges[b + 1] || (b === g.counts.length - 1 && y <= g.edges[b + 1]))) return b;
  }
  return -1;
}
