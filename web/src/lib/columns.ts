// The runs table's column model: which attribute paths are shown, in which
// order, how each cell reads its value from a run, and what to ask the server.

import { parseAggregate } from "./aggregates";
import type { Run } from "./api";

/** Built-in paths the server knows (docs/api/native.md). */
export const SYS_PATHS = [
  "sys/name", "sys/id", "sys/state", "sys/created_at", "sys/updated_at", "sys/experiment", "sys/tags",
] as const;

/** Always shown first unless the user removes them. */
export const DEFAULT_SYS_COLUMNS = ["sys/name", "sys/state", "sys/created_at", "sys/tags"];

/** Bounds the default column set: a run with 5,000 series must not make 5,000 columns. */
export const MAX_DEFAULT_COLUMNS = 24;

const LABELS: Record<string, string> = {
  "sys/name": "Name",
  "sys/id": "ID",
  "sys/state": "State",
  "sys/created_at": "Created",
  "sys/updated_at": "Updated",
  "sys/experiment": "Experiment",
  "sys/tags": "Tags",
};

export function columnLabel(path: string): string {
  return LABELS[path] ?? path;
}

/**
 * A header's two lines: the path's folder above its last segment; a series
 * aggregate keeps its function with the segment (`val` over `min(loss)`).
 */
export function headerParts(path: string): { group: string; name: string } {
  const label = columnLabel(path);
  if (label !== path) return { group: "", name: label };
  const agg = parseAggregate(path);
  const p = agg ? agg.path : path;
  const slash = p.lastIndexOf("/");
  const last = slash < 0 ? p : p.slice(slash + 1);
  return { group: slash < 0 ? "" : p.slice(0, slash), name: agg ? `${agg.fn}(${last})` : last };
}

export type CellKind = "name" | "state" | "time" | "tags" | "text" | "value";

export function cellKind(path: string): CellKind {
  switch (path) {
    case "sys/name": return "name";
    case "sys/state": return "state";
    case "sys/created_at":
    case "sys/updated_at": return "time";
    case "sys/tags": return "tags";
    case "sys/id":
    case "sys/experiment": return "text";
    default: return "value";
  }
}

/** Default pixel width for a column. */
export function columnWidth(path: string): number {
  switch (cellKind(path)) {
    case "name": return 220;
    case "state": return 96;
    case "time": return 132;
    case "tags": return 180;
    case "text": return 160;
    default: return Math.min(190, Math.max(92, 34 + 7.2 * headerParts(path).name.length));
  }
}

const isConfigPath = (p: string) => /^(config|configs|params|parameters|hparams)\//.test(p);

/** Every attribute path present in the given runs, sorted. */
export function attributePaths(runs: readonly Run[]): string[] {
  const seen = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.attributes ?? {})) seen.add(k);
  return Array.from(seen).sort();
}

/** A value worth a default column: not an object (a histogram) nor a file's digest. */
function isPlainValue(v: unknown): boolean {
  if (v === null || v === undefined || typeof v === "number" || typeof v === "boolean") return true;
  return typeof v === "string" && !/^[0-9a-f]{64}$/.test(v);
}

/**
 * Default columns from runs alone (a server without `…/attributes`, which
 * says each path's type): name, state, created, tags, then config/* paths,
 * then the other plain values (series' last values) found in `runs`, capped
 * at MAX_DEFAULT_COLUMNS.
 */
export function defaultColumns(runs: readonly Run[]): string[] {
  const paths = attributePaths(runs).filter((p) => !p.startsWith("sys/") && runs.every((r) => isPlainValue(r.attributes?.[p])));
  const configs = paths.filter(isConfigPath);
  // Metrics: small groups first (train/loss, eval/acc), large families
  // (grads/layer_00 … layer_99) last, so the cap keeps the summary metrics.
  const groupSize = new Map<string, number>();
  const group = (p: string) => (p.includes("/") ? p.slice(0, p.indexOf("/")) : "");
  for (const p of paths) groupSize.set(group(p), (groupSize.get(group(p)) ?? 0) + 1);
  const others = paths.filter((p) => !isConfigPath(p))
    .sort((a, b) => groupSize.get(group(a))! - groupSize.get(group(b))! || (a < b ? -1 : a > b ? 1 : 0));
  const cols = [...DEFAULT_SYS_COLUMNS, ...configs, ...others];
  return cols.slice(0, Math.max(MAX_DEFAULT_COLUMNS, DEFAULT_SYS_COLUMNS.length));
}

export function addColumn(cols: readonly string[], path: string): string[] {
  const p = path.trim();
  if (!p || cols.includes(p)) return cols.slice();
  return [...cols, p];
}

export function removeColumn(cols: readonly string[], path: string): string[] {
  return cols.filter((c) => c !== path);
}

/** Moves `path` to index `to` (clamped). */
export function moveColumn(cols: readonly string[], path: string, to: number): string[] {
  const from = cols.indexOf(path);
  if (from < 0) return cols.slice();
  const out = cols.slice();
  out.splice(from, 1);
  out.splice(Math.max(0, Math.min(to, out.length)), 0, path);
  return out;
}

/** Sort cycle on a header click: none → asc → desc → none. */
export function nextSort(
  current: { path: string; order: "asc" | "desc" } | null,
  path: string,
): { path: string; order: "asc" | "desc" } | null {
  if (!current || current.path !== path) return { path, order: "asc" };
  if (current.order === "asc") return { path, order: "desc" };
  return null;
}

/** A cell's raw value. */
export function cellValue(run: Run, path: string): unknown {
  switch (path) {
    case "sys/name": return run.name || run.run_id;
    case "sys/id": return run.run_id;
    case "sys/state": return run.state;
    case "sys/created_at": return run.created_at;
    case "sys/updated_at": return run.updated_at;
    case "sys/experiment": return run.experiment_name;
    default: return run.attributes?.[path];
  }
}

/** The `columns` to request: attribute paths only, since the run object carries the other sys fields. */
export function requestColumns(cols: readonly string[]): string[] {
  const fromRun = new Set(["sys/name", "sys/id", "sys/state", "sys/created_at", "sys/updated_at", "sys/experiment"]);
  const out = cols.filter((c) => !fromRun.has(c));
  // An empty list would mean "every attribute" to the server; sys/tags is small.
  if (!out.includes("sys/tags")) out.push("sys/tags");
  return out;
}
