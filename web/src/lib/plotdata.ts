// Converting the server's downsampled buckets into chart columns.
//
// A bucket summarises the points of one step interval: mean, min, max, count
// and nan_count. NaN points never enter mean/min/max on the server, and
// ±Infinity do. A chart must not hide either, so every non-finite value
// becomes a marker at its step instead of a silently dropped point.

import { toNumber, type Buckets, type WireFloat } from "./api";

/** One run's series, ready to plot. Arrays are parallel to `x`. */
export interface RunPlotData {
  /** step at the centre of each bucket (exact step for single points) */
  x: number[];
  /** mean line; null where the bucket has no finite value (a gap) */
  mean: (number | null)[];
  /** band edges; null where unknown */
  min: (number | null)[];
  max: (number | null)[];
  /** steps of buckets holding NaN points, and how many NaNs in all */
  nanSteps: number[];
  nanCount: number;
  /** steps of buckets reaching +Infinity / -Infinity */
  posInfSteps: number[];
  negInfSteps: number[];
  /** number of points summarised */
  points: number;
  /** last step seen and the value logged there */
  lastStep: number | null;
  lastValue: number | null;
}

export function emptyPlotData(): RunPlotData {
  return {
    x: [], mean: [], min: [], max: [], nanSteps: [], nanCount: 0,
    posInfSteps: [], negInfSteps: [], points: 0, lastStep: null, lastValue: null,
  };
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Converts a bucketed series response into plot columns. */
export function bucketsToPlot(b: Buckets): RunPlotData {
  const out = emptyPlotData();
  const n = b.index.length;
  for (let i = 0; i < n; i++) {
    const count = b.count[i] ?? 0;
    const nans = b.nan_count[i] ?? 0;
    const x = (b.first_step[i] + b.last_step[i]) / 2;
    const mean = toNumber(b.mean[i]);
    let lo = toNumber(b.min[i]);
    let hi = toNumber(b.max[i]);
    out.x.push(x);
    out.points += count;
    if (nans > 0) {
      out.nanSteps.push(x);
      out.nanCount += nans;
    }
    if (count - nans <= 0) {
      // Only NaN points: min/max hold the empty sentinels (+Inf, -Inf).
      out.mean.push(null);
      out.min.push(null);
      out.max.push(null);
      continue;
    }
    if (hi === Infinity || lo === Infinity) out.posInfSteps.push(x);
    if (lo === -Infinity || hi === -Infinity) out.negInfSteps.push(x);
    const m = finite(mean);
    lo = finite(lo) ?? m ?? finite(hi) ?? NaN;
    hi = finite(hi) ?? m ?? finite(lo) ?? NaN;
    out.mean.push(m);
    out.min.push(finite(lo));
    out.max.push(finite(hi));
  }
  if (n > 0) {
    out.lastStep = b.last_step[n - 1];
    out.lastValue = toNumber(b.last[n - 1]);
  }
  return out;
}

/** Converts raw points (no `buckets` in the request) into plot columns. */
export function pointsToPlot(steps: number[], values: WireFloat[]): RunPlotData {
  const out = emptyPlotData();
  for (let i = 0; i < steps.length; i++) {
    const x = steps[i];
    const v = toNumber(values[i]);
    out.x.push(x);
    out.points++;
    if (Number.isNaN(v)) {
      out.nanSteps.push(x);
      out.nanCount++;
    } else if (v === Infinity) out.posInfSteps.push(x);
    else if (v === -Infinity) out.negInfSteps.push(x);
    const f = finite(v);
    out.mean.push(f);
    out.min.push(f);
    out.max.push(f);
  }
  if (steps.length > 0) {
    out.lastStep = steps[steps.length - 1];
    out.lastValue = toNumber(values[values.length - 1]);
  }
  return out;
}

/** For a log-scale axis: non-positive values cannot be drawn and become gaps. */
export function positiveOnly(v: (number | null | undefined)[]): (number | null | undefined)[] {
  return v.map((y) => (typeof y === "number" && !(y > 0) ? null : y));
}

export type Column = (number | null | undefined)[];

/**
 * Aligns several runs onto one shared x column (the sorted union of their
 * steps). A step that a run lacks becomes `undefined` (the line continues
 * across it); a real gap stays `null` (the line breaks), as uPlot draws them.
 */
export function alignColumns(xs: number[][], ys: Column[][]): { x: number[]; cols: Column[][] } {
  const sameX = xs.every((x) => x.length === xs[0].length && x.every((v, i) => v === xs[0][i]));
  if (xs.length > 0 && sameX) return { x: xs[0].slice(), cols: ys.map((cs) => cs.map((c) => c.slice())) };
  const all = new Set<number>();
  for (const x of xs) for (const v of x) all.add(v);
  const x = Array.from(all).sort((a, b) => a - b);
  const pos = new Map<number, number>();
  x.forEach((v, i) => pos.set(v, i));
  const cols = ys.map((cs, r) =>
    cs.map((c) => {
      const out: Column = new Array(x.length).fill(undefined);
      const rx = xs[r];
      for (let i = 0; i < rx.length; i++) out[pos.get(rx[i])!] = c[i];
      return out;
    }),
  );
  return { x, cols };
}
