// Sweep charts' pure logic: an axis per config or aggregate (numeric, on a
// log scale when its values span decades, or categorical), positions on it,
// tick labels, brushing, and the axes chosen when the URL names none.

import { toNumber, type ProjectAttribute, type Run } from "./api";
import { cellValue } from "./columns";
import { formatNumber } from "./format";

export interface AxisScale {
  path: string;
  kind: "num" | "cat";
  /** numeric: drawn on a log10 scale */
  log: boolean;
  min: number;
  max: number;
  /** categorical: the values in order */
  cats: string[];
}

/** A numeric axis goes logarithmic when its positive values span at least this ratio (learning rates). */
export const LOG_RATIO = 100;

/** A run's value on an axis: a finite number, a category (string), or null (missing, NaN). */
export function axisValue(run: Run, path: string): number | string | null {
  const v = cellValue(run, path);
  if (v === undefined || v === null) return null;
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number" || v === "NaN" || v === "Infinity" || v === "-Infinity") {
    const n = toNumber(v);
    return Number.isFinite(n) ? n : null;
  }
  if (Array.isArray(v)) return v.map(String).sort().join(", ");
  return String(v);
}

/** The scale of an axis for these values: numeric when every present value is a number. */
export function makeScale(path: string, values: readonly (number | string | null)[]): AxisScale {
  const present = values.filter((v): v is number | string => v !== null);
  if (present.length && present.every((v) => typeof v === "number")) {
    const nums = present as number[];
    let min = Math.min(...nums);
    let max = Math.max(...nums);
    const log = min > 0 && max / min >= LOG_RATIO;
    if (min === max) {
      const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
      min -= pad;
      max += pad;
    }
    return { path, kind: "num", log, min, max, cats: [] };
  }
  const cats = Array.from(new Set(present.map(String))).sort();
  return { path, kind: "cat", log: false, min: 0, max: Math.max(0, cats.length - 1), cats };
}

/** Position of a value on the axis in [0, 1] (0: the low end), or null when it has none. */
export function toUnit(s: AxisScale, v: number | string | null): number | null {
  if (v === null) return null;
  if (s.kind === "cat") {
    const i = s.cats.indexOf(String(v));
    if (i < 0) return null;
    return s.cats.length === 1 ? 0.5 : i / (s.cats.length - 1);
  }
  if (typeof v !== "number") return null;
  if (s.log) {
    if (!(v > 0)) return null;
    return (Math.log10(v) - Math.log10(s.min)) / (Math.log10(s.max) - Math.log10(s.min));
  }
  return (v - s.min) / (s.max - s.min);
}

export interface Tick { at: number; label: string }

/** Tick positions (in [0, 1]) and labels: round numbers, powers of ten on a log axis, every category. */
export function ticks(s: AxisScale, count = 5): Tick[] {
  if (s.kind === "cat") return s.cats.map((c, i) => ({ at: s.cats.length === 1 ? 0.5 : i / (s.cats.length - 1), label: c }));
  const out: Tick[] = [];
  if (s.log) {
    const lo = Math.ceil(Math.log10(s.min) - 1e-9);
    const hi = Math.floor(Math.log10(s.max) + 1e-9);
    const stepE = Math.max(1, Math.ceil((hi - lo + 1) / count));
    for (let e = lo; e <= hi; e += stepE) out.push({ at: toUnit(s, 10 ** e)!, label: formatNumber(10 ** e, 3) });
    if (out.length < 2) for (const v of [s.min, s.max]) out.push({ at: toUnit(s, v)!, label: formatNumber(v, 3) });
    return out.sort((a, b) => a.at - b.at);
  }
  const step = niceStep((s.max - s.min) / Math.max(1, count));
  for (let v = Math.ceil(s.min / step) * step; v <= s.max + step * 1e-9; v += step) {
    const r = Number(v.toPrecision(12));
    out.push({ at: toUnit(s, r)!, label: formatNumber(r, 3) });
  }
  return out;
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** A brush on an axis: the unit interval [lo, hi] it covers. */
export type Brushes = Map<string, [number, number]>;

/** Ids of the rows whose values fall inside every brush (a row with no value on a brushed axis is out). */
export function brushed(rows: readonly { id: string; values: (number | string | null)[] }[], scales: readonly AxisScale[], brushes: Brushes): string[] {
  const active = scales.map((s, i) => [i, brushes.get(s.path)] as const).filter((x): x is readonly [number, [number, number]] => !!x[1]);
  return rows.filter((r) => active.every(([i, [lo, hi]]) => {
    const u = toUnit(scales[i], r.values[i]);
    return u !== null && u >= lo - 1e-9 && u <= hi + 1e-9;
  })).map((r) => r.id);
}

const CONFIG_TYPES = ["float", "int", "bool", "string"] as const;

/** Configs worth an axis: single values (numbers, booleans, strings) outside sys/. */
export function configPaths(attrs: readonly ProjectAttribute[]): string[] {
  return attrs.filter((a) => !a.path.startsWith("sys/") && CONFIG_TYPES.some((t) => (a.types[t] ?? 0) > 0)).map((a) => a.path).sort();
}

/** Aggregates offered for float series: min/max/last of each. */
export function aggregatePaths(attrs: readonly ProjectAttribute[]): string[] {
  const series = attrs.filter((a) => (a.types.float_series ?? 0) > 0 && !a.path.startsWith("monitoring/")).map((a) => a.path).sort();
  return series.flatMap((p) => [`min(${p})`, `max(${p})`, `last(${p})`]);
}

/** The result a sweep is judged by when none is named: the lowest validation (else eval, else train) loss, else the last value of the first series. */
export function defaultMetric(attrs: readonly ProjectAttribute[]): string | null {
  const series = new Set(attrs.filter((a) => (a.types.float_series ?? 0) > 0).map((a) => a.path));
  for (const p of ["val/loss", "eval/loss", "valid/loss", "validation/loss", "test/loss", "train/loss", "loss"]) if (series.has(p)) return `min(${p})`;
  const first = Array.from(series).filter((p) => !p.startsWith("monitoring/")).sort()[0];
  return first ? `last(${first})` : null;
}

/** Up to `max` configs whose values differ between the runs (a constant config says nothing about a sweep). */
export function varyingConfigs(paths: readonly string[], runs: readonly Run[], max = 6): string[] {
  return paths.filter((p) => new Set(runs.map((r) => JSON.stringify(axisValue(r, p)))).size > 1).slice(0, max);
}
