// URL state: every page's visible state lives in the location hash, so a URL
// can be shared and reloaded. Hash routing keeps the server ignorant of the
// UI's routes and lets the built files live under any path.
//
//   #/                                    projects
//   #/p/{ws}/{project}?q=&sort=&order=&col=&group=&w=&show=&sel=   runs table
//   #/p/{ws}/{project}/r/{run}?s=&log=&smooth=&from=&to=&x=   run page
//   #/p/{ws}/{project}/compare?run=&s=&log=&smooth=&from=&to=   compare
//   #/p/{ws}/{project}/dashboard?q=&sel=&d=&layout=   dashboard of the filtered (or selected) runs
//   #/p/{ws}/{project}/sweeps?q=&sel=&axis=&sx=&sy=   parallel coordinates and scatter of the filtered runs
//   #/p/{ws}/{project}/members            project members
//   #/login?next=                         sign in, then go to `next` (a hash)
//   #/tokens                              the caller's API tokens

export interface ChartPrefs {
  /** y axis on a log scale */
  log: boolean;
  /** EMA weight in [0, 1) */
  smooth: number;
  /** zoomed step range, or null for the whole series */
  range: [number, number] | null;
  /** x axis: absent = step; wall clock or time since the series' first point */
  x?: XAxis;
}

export type XAxis = "step" | "wall" | "relative";

/** Which runs the table lists besides the active ones. */
export type RunsShow = "archived" | "trash";

export interface SortState { path: string; order: "asc" | "desc" }

export type Route =
  | { page: "projects" }
  | {
      page: "runs";
      project: string;
      filter: string;
      sort: SortState | null;
      /** null: the default columns */
      columns: string[] | null;
      selected: string[];
      /** group rows by this attribute path (absent: no grouping) */
      group?: string;
      /** column widths in CSS px set by the user (absent: defaults) */
      widths?: Record<string, number>;
      /** also archived runs, or the trash (absent: neither) */
      show?: RunsShow;
    }
  | { page: "run"; project: string; runId: string; search: string; chart: ChartPrefs }
  | { page: "compare"; project: string; runs: string[]; search: string; chart: ChartPrefs }
  | {
      page: "dashboard";
      project: string;
      /** the runs table's filter: the runs shown (unless some are selected) */
      filter: string;
      selected: string[];
      /** the saved dashboard this one was opened from (absent: none) */
      name?: string;
      /** the layout, base64url (lib/dashboard-url.ts); absent: the saved one, else the default */
      layout?: string;
    }
  | {
      page: "sweeps";
      project: string;
      filter: string;
      selected: string[];
      /** parallel-coordinates axes: configs or aggregates such as min(val/loss) (empty: chosen from the project) */
      axes: string[];
      /** scatter x (a config) and y (an aggregate); absent: chosen from the project */
      sx?: string;
      sy?: string;
    }
  | { page: "members"; project: string }
  /** `next`: the hash to return to after signing in (absent: the projects page) */
  | { page: "login"; next?: string }
  | { page: "tokens" }
  | { page: "notfound"; path: string };

export const DEFAULT_CHART: ChartPrefs = { log: false, smooth: 0, range: null };

function seg(s: string): string {
  return encodeURIComponent(s);
}

function parseChart(q: URLSearchParams): ChartPrefs {
  const smooth = Number(q.get("smooth") ?? "0");
  const from = q.get("from");
  const to = q.get("to");
  let range: [number, number] | null = null;
  if (from !== null && to !== null) {
    const a = Number(from);
    const b = Number(to);
    if (Number.isFinite(a) && Number.isFinite(b) && a < b) range = [a, b];
  }
  const x = q.get("x");
  return {
    log: q.get("log") === "1",
    smooth: Number.isFinite(smooth) ? Math.min(Math.max(smooth, 0), 0.999) : 0,
    range,
    ...(x === "wall" || x === "relative" ? { x: x as XAxis } : {}),
  };
}

function writeChart(q: URLSearchParams, c: ChartPrefs): void {
  if (c.log) q.set("log", "1");
  if (c.smooth > 0) q.set("smooth", String(c.smooth));
  if (c.range) {
    q.set("from", String(c.range[0]));
    q.set("to", String(c.range[1]));
  }
  if (c.x && c.x !== "step") q.set("x", c.x);
}

/** Parses a location hash ("#/p/a/b?q=x" or "" ) into a route. */
export function parseRoute(hash: string): Route {
  let h = hash.startsWith("#") ? hash.slice(1) : hash;
  if (!h.startsWith("/")) h = "/" + h;
  const qi = h.indexOf("?");
  const path = qi < 0 ? h : h.slice(0, qi);
  const q = new URLSearchParams(qi < 0 ? "" : h.slice(qi + 1));
  let parts: string[];
  try {
    parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
  } catch {
    return { page: "notfound", path };
  }
  if (parts.length === 0) return { page: "projects" };
  if (parts.length === 1 && parts[0] === "login") {
    const next = q.get("next");
    return next ? { page: "login", next } : { page: "login" };
  }
  if (parts.length === 1 && parts[0] === "tokens") return { page: "tokens" };
  if (parts[0] !== "p" || parts.length < 3) return { page: "notfound", path };
  const project = `${parts[1]}/${parts[2]}`;
  const rest = parts.slice(3);
  if (rest.length === 0) {
    const sortPath = q.get("sort");
    const cols = q.getAll("col");
    return {
      page: "runs",
      project,
      filter: q.get("q") ?? "",
      sort: sortPath ? { path: sortPath, order: q.get("order") === "desc" ? "desc" : "asc" } : null,
      columns: cols.length > 0 || q.get("cols") === "none" ? cols : null,
      selected: q.getAll("sel"),
      ...(q.get("group") ? { group: q.get("group")! } : {}),
      ...(q.get("show") === "archived" || q.get("show") === "trash" ? { show: q.get("show") as RunsShow } : {}),
      ...parseWidths(q.getAll("w")),
    };
  }
  if (rest[0] === "r" && rest.length === 2) {
    return { page: "run", project, runId: rest[1], search: q.get("s") ?? "", chart: parseChart(q) };
  }
  if (rest[0] === "members" && rest.length === 1) return { page: "members", project };
  if (rest[0] === "dashboard" && rest.length === 1) {
    return {
      page: "dashboard", project, filter: q.get("q") ?? "", selected: q.getAll("sel"),
      ...(q.get("d") ? { name: q.get("d")! } : {}),
      ...(q.get("layout") ? { layout: q.get("layout")! } : {}),
    };
  }
  if (rest[0] === "sweeps" && rest.length === 1) {
    return {
      page: "sweeps", project, filter: q.get("q") ?? "", selected: q.getAll("sel"), axes: q.getAll("axis"),
      ...(q.get("sx") ? { sx: q.get("sx")! } : {}),
      ...(q.get("sy") ? { sy: q.get("sy")! } : {}),
    };
  }
  if (rest[0] === "compare" && rest.length === 1) {
    return { page: "compare", project, runs: q.getAll("run"), search: q.get("s") ?? "", chart: parseChart(q) };
  }
  return { page: "notfound", path };
}

/** Formats a route as a location hash; parseRoute(formatRoute(r)) equals r. */
export function formatRoute(r: Route): string {
  const q = new URLSearchParams();
  let path: string;
  switch (r.page) {
    case "projects":
      return "#/";
    case "notfound":
      return "#" + r.path;
    case "tokens":
      return "#/tokens";
    case "login":
      path = "/login";
      if (r.next) q.set("next", r.next);
      break;
    case "members": {
      const [ws, name] = splitOnce(r.project);
      path = `/p/${seg(ws)}/${seg(name)}/members`;
      break;
    }
    case "dashboard": {
      const [ws, name] = splitOnce(r.project);
      path = `/p/${seg(ws)}/${seg(name)}/dashboard`;
      if (r.filter) q.set("q", r.filter);
      for (const s of r.selected) q.append("sel", s);
      if (r.name) q.set("d", r.name);
      if (r.layout) q.set("layout", r.layout);
      break;
    }
    case "sweeps": {
      const [ws, name] = splitOnce(r.project);
      path = `/p/${seg(ws)}/${seg(name)}/sweeps`;
      if (r.filter) q.set("q", r.filter);
      for (const s of r.selected) q.append("sel", s);
      for (const a of r.axes) q.append("axis", a);
      if (r.sx) q.set("sx", r.sx);
      if (r.sy) q.set("sy", r.sy);
      break;
    }
    case "runs": {
      const [ws, name] = splitOnce(r.project);
      path = `/p/${seg(ws)}/${seg(name)}`;
      if (r.filter) q.set("q", r.filter);
      if (r.sort) {
        q.set("sort", r.sort.path);
        if (r.sort.order === "desc") q.set("order", "desc");
      }
      if (r.columns) {
        if (r.columns.length === 0) q.set("cols", "none");
        for (const c of r.columns) q.append("col", c);
      }
      if (r.group) q.set("group", r.group);
      if (r.show) q.set("show", r.show);
      for (const [c, w] of Object.entries(r.widths ?? {})) q.append("w", `${c}:${w}`);
      for (const s of r.selected) q.append("sel", s);
      break;
    }
    case "run": {
      const [ws, name] = splitOnce(r.project);
      path = `/p/${seg(ws)}/${seg(name)}/r/${seg(r.runId)}`;
      if (r.search) q.set("s", r.search);
      writeChart(q, r.chart);
      break;
    }
    case "compare": {
      const [ws, name] = splitOnce(r.project);
      path = `/p/${seg(ws)}/${seg(name)}/compare`;
      for (const id of r.runs) q.append("run", id);
      if (r.search) q.set("s", r.search);
      writeChart(q, r.chart);
      break;
    }
  }
  const qs = q.toString();
  return "#" + path + (qs ? "?" + qs : "");
}

/** Column widths are clamped to this range. */
export const MIN_COL_W = 40;
export const MAX_COL_W = 1000;

export function clampWidth(w: number): number {
  return Math.round(Math.min(MAX_COL_W, Math.max(MIN_COL_W, w)));
}

/** `w=path:px` entries (the path may itself hold colons: the last one splits). */
function parseWidths(list: string[]): { widths?: Record<string, number> } {
  const out: Record<string, number> = {};
  for (const e of list) {
    const i = e.lastIndexOf(":");
    const n = Number(e.slice(i + 1));
    if (i > 0 && Number.isFinite(n)) out[e.slice(0, i)] = clampWidth(n);
  }
  return Object.keys(out).length ? { widths: out } : {};
}

function splitOnce(project: string): [string, string] {
  const i = project.indexOf("/");
  return i < 0 ? [project, ""] : [project.slice(0, i), project.slice(i + 1)];
}
