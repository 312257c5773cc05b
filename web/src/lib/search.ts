// Which series a chart grid shows, and how it groups them.

export interface GridItem {
  path: string;
  kind: "float" | "string";
}

export function groupOf(path: string): string {
  const i = path.indexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** Items grouped by first segment; groups and items in path order, root-level paths first. */
export function groupItems(items: readonly GridItem[]): Map<string, GridItem[]> {
  const sorted = items.slice().sort((a, b) => (a.kind === b.kind ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : a.kind === "float" ? -1 : 1));
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
