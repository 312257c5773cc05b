// The runs table's columns when the user has chosen none: name, state,
// created, tags, then the configs most runs share (those that differ between
// runs first: a sweep's knobs), then the last values of loss-like series.
// Never file digests or histograms, which say nothing in a cell.

import type { ProjectAttribute, Run } from "./api";
import { DEFAULT_SYS_COLUMNS } from "./columns";

/** Configs shown by default, at most. */
export const DEFAULT_CONFIGS = 6;
/** Loss-like series shown by default, at most. */
export const DEFAULT_SERIES = 4;

const SCALAR = ["float", "int", "bool", "string"];
const typesOf = (a: ProjectAttribute) => Object.keys(a.types).filter((k) => ((a.types as Record<string, number>)[k] ?? 0) > 0);
const isScalar = (a: ProjectAttribute) => { const t = typesOf(a); return t.length > 0 && t.every((k) => SCALAR.includes(k)); };
const isFloatSeries = (a: ProjectAttribute) => { const t = typesOf(a); return t.length === 1 && t[0] === "float_series"; };
const LOSS = /loss/i;

/** How many different values `path` takes in `runs` (a sample: the first page). */
function distinct(runs: readonly Run[], path: string): number {
  const seen = new Set<string>();
  for (const r of runs) {
    const v = r.attributes?.[path];
    if (v !== undefined) seen.add(JSON.stringify(v));
  }
  return seen.size;
}

/**
 * Default columns from the project's paths (`GET …/attributes`) and a sample
 * of its runs with every attribute (to tell configs that vary from constants).
 */
export function chooseDefaultColumns(attrs: readonly ProjectAttribute[], sample: readonly Run[]): string[] {
  const user = attrs.filter((a) => !a.path.startsWith("sys/"));
  const most = Math.max(0, ...user.map((a) => a.runs));
  // "Shared by most runs": at least half as many runs as the most common path.
  const common = (a: ProjectAttribute) => a.runs * 2 >= most;
  const configs = user.filter((a) => isScalar(a) && common(a))
    .map((a) => ({ a, varies: distinct(sample, a.path) > 1 }))
    .sort((x, y) => Number(y.varies) - Number(x.varies) || y.a.runs - x.a.runs || (x.a.path < y.a.path ? -1 : 1))
    .slice(0, DEFAULT_CONFIGS).map((x) => x.a.path);
  const series = user.filter((a) => isFloatSeries(a) && LOSS.test(a.path))
    .sort((x, y) => y.runs - x.runs || (x.path < y.path ? -1 : 1))
    .slice(0, DEFAULT_SERIES).map((a) => a.path);
  return [...DEFAULT_SYS_COLUMNS, ...configs, ...series];
}
