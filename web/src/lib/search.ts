// Which series a chart grid shows, and how it groups them.

import { isMonitoring } from "./monitoring";

export interface GridItem {
  path: string;
  /** files: a file series (images with a step slider); file: one file attribute */
  kind: "float" | "string" | "histogram" | "files" | "file";
  /** ids of the grid's runs drawn in this card (default: all of them) */
  runs?: string[];
  /** a line next to the title, e.g. which runs lack the series */
  note?: string;
  /** the note's tooltip (default: the note) */
  noteTitle?: string;
}

const KIND_RANK = { float: 0, histogram: 1, files: 2, file: 3, string: 4 } as const;

export function groupOf(path: string): string {
  const i = path.indexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** Items grouped by first segment; groups and items in path order, system metrics (monitoring/) after the others of their kind. */
export function groupItems(items: readonly GridItem[]): Map<string, GridItem[]> {
  const sorted = items.slice().sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind]
    || Number(isMonitoring(a.path)) - Number(isMonitoring(b.path))
    || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const groups = new Map<string, GridItem[]>();
  for (const it of sorted) {
    const g = it.kind === "string" ? "text logs" : groupOf(it.path);
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(it);
  }
  return groups;
}

/** Filters paths by a search string: space-separated terms, all must match (case-insensitive); `/re/` is a regex. */
export function matchSearch(path: string, search: string): boolean {
  const s = search.trim();
  if (!s) return true;
  if (s.length > 2 && s.startsWith("/") && s.endsWith("/")) {
    try {
      return new RegExp(s.slice(1, -1), "i").test(path);
    } catch {
      return false;
    }
  }
  const p = path.toLowerCase();
  return s.toLowerCase().split(/\s+/).every((t) => p.includes(t));
}

/** Columns of a CSS grid `repeat(auto-fill, minmax(minW, 1fr))` with `gap`, at `width`. */
export function columnsFor(width: number, minW: number, gap: number): number {
  return Math.max(1, Math.floor((width + gap) / (minW + gap)));
}

/**
 * Rows [first, last) of `rows` rows of height `rowH` (gap included) that
 * intersect [top, bottom), in px from the top of the grid.
 */
export function rowWindow(rows: number, rowH: number, top: number, bottom: number): [number, number] {
  const first = Math.max(0, Math.min(rows, Math.floor(top / rowH)));
  const last = Math.max(first, Math.min(rows, Math.ceil(bottom / rowH)));
  return [first, last];
}
