// Saved views of the runs table: the part of the table's state worth naming
// (filter, sort, columns, grouping, archived/trash listing), stored on the server as a JSON object
// under `PUT …/views/{name}`. Selection is not part of a view.
// Dashboards are stored through the same API with `"kind": "dashboard"` in
// their state (lib/dashboard.ts); each menu lists only its own kind.

import { clampWidth, type Route, type RunsShow, type SortState } from "./url";

type RunsRoute = Extract<Route, { page: "runs" }>;

export const VIEW_VERSION = 1;
/** The server's limit on a view's state. */
export const MAX_VIEW_BYTES = 64 * 1024;

export interface ViewState {
  version: number;
  filter: string;
  sort: SortState | null;
  /** null: the default columns */
  columns: string[] | null;
  group: string | null;
  /** user-set column widths, CSS px */
  widths?: Record<string, number>;
  /** which runs are listed besides the active ones; absent: the active ones only */
  show?: RunsShow;
}

export type ViewKind = "table" | "dashboard" | "other";

/** What a saved state is: a runs-table view (no `kind`), a dashboard, or something a newer UI wrote (listed by neither menu). */
export function viewKind(state: unknown): ViewKind {
  const o = state && typeof state === "object" && !Array.isArray(state) ? (state as Record<string, unknown>) : {};
  return o.kind === undefined ? "table" : o.kind === "dashboard" ? "dashboard" : "other";
}

/** The saved entries of one kind, in the listing's order. */
export function viewsOfKind<T extends { state: unknown }>(list: readonly T[], kind: ViewKind): T[] {
  return list.filter((v) => viewKind(v.state) === kind);
}

/** The view state of a runs-table route. */
export function viewFromRoute(r: RunsRoute): ViewState {
  return {
    version: VIEW_VERSION,
    filter: r.filter,
    sort: r.sort ? { path: r.sort.path, order: r.sort.order } : null,
    columns: r.columns ? r.columns.slice() : null,
    group: r.group ?? null,
    ...(r.widths && Object.keys(r.widths).length ? { widths: { ...r.widths } } : {}),
    ...(r.show ? { show: r.show } : {}),
  };
}

/**
 * Reads a stored state tolerantly: unknown keys are ignored and a missing or
 * mistyped field falls back to its default, so views written by another
 * version of the UI still open.
 */
export function parseView(raw: unknown): ViewState {
  const o = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  let sort: SortState | null = null;
  const s = o.sort as Record<string, unknown> | null | undefined;
  if (s && typeof s === "object" && typeof s.path === "string" && s.path) {
    sort = { path: s.path, order: s.order === "desc" ? "desc" : "asc" };
  }
  const columns = Array.isArray(o.columns) ? o.columns.filter((c): c is string => typeof c === "string" && c !== "") : null;
  const widths: Record<string, number> = {};
  if (o.widths && typeof o.widths === "object" && !Array.isArray(o.widths)) {
    for (const [k, v] of Object.entries(o.widths as Record<string, unknown>)) if (typeof v === "number" && Number.isFinite(v)) widths[k] = clampWidth(v);
  }
  return {
    ...(Object.keys(widths).length ? { widths } : {}),
    ...(o.show === "archived" || o.show === "trash" ? { show: o.show as RunsShow } : {}),
    version: typeof o.version === "number" ? o.version : VIEW_VERSION,
    filter: str(o.filter),
    sort,
    columns,
    group: typeof o.group === "string" && o.group ? o.group : null,
  };
}

/** `route` with the view applied (the selection is kept, unless the view lists other runs: archived, trash). */
export function applyView(route: RunsRoute, v: ViewState): RunsRoute {
  const next: RunsRoute = {
    page: "runs", project: route.project, filter: v.filter, sort: v.sort, columns: v.columns,
    selected: (v.show ?? null) === (route.show ?? null) ? route.selected : [],
  };
  if (v.show) next.show = v.show;
  if (v.group) next.group = v.group;
  if (v.widths && Object.keys(v.widths).length) next.widths = { ...v.widths };
  return next;
}

/** Why a view name cannot be used, or null. The server takes one path segment. */
export function viewNameError(name: string): string | null {
  const n = name.trim();
  if (!n) return "Enter a name";
  if (n.includes("/")) return "A name cannot contain '/'";
  if (n.length > 200) return "Name too long";
  return null;
}

/** The state as the server stores it, or an error when it is too large. */
export function serializeView(v: ViewState): Record<string, unknown> {
  const state = { ...v } as unknown as Record<string, unknown>;
  if (new TextEncoder().encode(JSON.stringify(state)).length > MAX_VIEW_BYTES) throw new Error("view too large (64 KiB at most)");
  return state;
}
