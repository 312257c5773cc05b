// The filter box's example: a condition on paths this project really has
// (a numeric config and a float series), so that copying it shows what the
// language does instead of matching nothing.

import { quotePath } from "./autocomplete";
import type { ProjectAttribute, Run } from "./api";

export const GENERIC_EXAMPLE = 'sys/state = "finished" and sys/tags contains "baseline"';

const onlyTypes = (a: ProjectAttribute, allowed: string[]) => {
  const t = Object.keys(a.types).filter((k) => (a.types as Record<string, number>)[k] > 0);
  return t.length > 0 && t.every((k) => allowed.includes(k));
};
const byUse = (a: ProjectAttribute, b: ProjectAttribute) => b.runs - a.runs || a.path.length - b.path.length || (a.path < b.path ? -1 : 1);

/** A value of `path` in the first run that has a finite number there, to two significant digits. */
function sampleNumber(runs: readonly Run[], path: string): number | null {
  for (const r of runs) {
    const v = r.attributes?.[path];
    if (typeof v === "number" && Number.isFinite(v)) return Number(v.toPrecision(2));
  }
  return null;
}

/** An example filter built from the project's paths, or the generic one when it has neither kind. */
export function filterExample(attrs: readonly ProjectAttribute[], runs: readonly Run[]): string {
  const user = attrs.filter((a) => !a.path.startsWith("sys/"));
  const config = user.filter((a) => onlyTypes(a, ["float", "int"])).sort(byUse)[0];
  const series = user.filter((a) => onlyTypes(a, ["float_series"]))
    .sort((a, b) => Number(/loss/i.test(b.path)) - Number(/loss/i.test(a.path)) || byUse(a, b))[0];
  const parts: string[] = [];
  if (config) {
    const v = sampleNumber(runs, config.path);
    parts.push(v === null ? `${quotePath(config.path)} > 0` : `${quotePath(config.path)} <= ${v}`);
  }
  if (series) {
    const v = sampleNumber(runs, series.path);
    parts.push(`min(${quotePath(series.path)}) < ${v === null ? 1 : v}`);
  }
  return parts.length ? parts.join(" and ") : GENERIC_EXAMPLE;
}

/** The filter box's placeholder for an example. */
export function filterPlaceholder(example: string): string {
  return `Filter: ${example}   (Enter to apply)`;
}
