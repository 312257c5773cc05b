// Grouping the runs table by one attribute: computed in the browser over the
// rows of the current query (fetched whole, up to GROUP_LIMIT runs).

import type { Run } from "./api";
import { cellValue } from "./columns";
import { formatValue } from "./format";

/** Grouping fetches at most this many rows of the query; further runs are not grouped. */
export const GROUP_LIMIT = 5000;

export interface RunGroup { key: string; label: string; runs: Run[] }

/** A stable key for a value: missing values share one group. */
export function groupKey(v: unknown): string {
  if (v === undefined || v === null) return "\u0000none";
  if (Array.isArray(v)) return JSON.stringify(v.map(String).sort());
  return typeof v === "string" ? "s:" + v : JSON.stringify(v);
}

function groupLabel(v: unknown): string {
  if (v === undefined || v === null) return "(no value)";
  if (Array.isArray(v)) return v.length ? v.map(String).sort().join(", ") : "(none)";
  return formatValue(v);
}

/** Groups runs by `path`, groups in order of first appearance (so the table's sort orders them). */
export function groupRuns(runs: readonly Run[], path: string): RunGroup[] {
  const by = new Map<string, RunGroup>();
  for (const r of runs) {
    const v = cellValue(r, path);
    const k = groupKey(v);
    let g = by.get(k);
    if (!g) by.set(k, (g = { key: k, label: groupLabel(v), runs: [] }));
    g.runs.push(r);
  }
  return Array.from(by.values());
}

export type TableItem =
  | { kind: "group"; key: string; label: string; count: number; collapsed: boolean }
  | { kind: "run"; run: Run | undefined };

/** The flat list of rows to draw: each group's header, then its runs unless collapsed. */
export function groupItems(groups: readonly RunGroup[], collapsed: ReadonlySet<string>): TableItem[] {
  const out: TableItem[] = [];
  for (const g of groups) {
    const c = collapsed.has(g.key);
    out.push({ kind: "group", key: g.key, label: g.label, count: g.runs.length, collapsed: c });
    if (!c) for (const r of g.runs) out.push({ kind: "run", run: r });
  }
  return out;
}
