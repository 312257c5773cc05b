// A project dashboard's layout: sections of chart panels, each panel several
// metrics (exact paths or /regex/) over the dashboard's runs on one chart.
// The same JSON is kept in the URL (base64url, see dashboard-url.ts) and saved
// through the views API with `kind: "dashboard"` (see views.ts).

export const DASHBOARD_KIND = "dashboard";
export const DASHBOARD_VERSION = 1;

export type PanelSize = "S" | "M" | "L";
export const PANEL_SIZES: PanelSize[] = ["S", "M", "L"];

/** x axis: "step", "wall", "relative", or the path of another float series. */
export type PanelX = string;

export interface Panel {
  /** exact series paths, or `/regex/` patterns matched against every float series */
  metrics: string[];
  x: PanelX;
  /** EMA weight in [0, 1) */
  smooth: number;
  log: boolean;
  size: PanelSize;
}

export interface Section {
  name: string;
  panels: Panel[];
  collapsed: boolean;
  pinned: boolean;
}

export interface Dashboard {
  version: number;
  sections: Section[];
}

/** Panels per dashboard and metrics per panel, at most: a bound on what a URL or a saved state can ask for. */
export const MAX_PANELS = 500;
export const MAX_METRICS = 50;

export function newPanel(metrics: string[], x: PanelX = "step"): Panel {
  return { metrics, x, smooth: 0, log: false, size: "M" };
}

const TIME_X = new Set(["step", "wall", "relative"]);

/** Whether the x axis is another series (joined on step) rather than step or time. */
export function xIsSeries(x: PanelX): boolean {
  return !TIME_X.has(x);
}

/** A metric entry that is a regex: `/…/` (at least one character inside). */
export function isRegex(m: string): boolean {
  return m.length > 2 && m.startsWith("/") && m.endsWith("/");
}

/** The series a panel draws: exact entries as given (even if no run has them yet), then regex matches, in path order, without repeats. */
export function matchMetrics(metrics: string[], paths: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    if (!seen.has(p)) { seen.add(p); out.push(p); }
  };
  for (const m of metrics) {
    if (!isRegex(m)) {
      add(m);
      continue;
    }
    const re = compileRegex(m);
    if (!re) continue;
    for (const p of [...paths].sort()) if (re.test(p)) add(p);
  }
  return out;
}

/** The RegExp of a `/…/` entry, or null when it does not compile. */
export function compileRegex(m: string): RegExp | null {
  try {
    return new RegExp(m.slice(1, -1));
  } catch {
    return null;
  }
}

/** Why a metric entry is unusable, or null. */
export function metricError(m: string): string | null {
  if (!m.trim()) return "empty metric";
  if (isRegex(m) && !compileRegex(m)) return `not a valid regex: ${m}`;
  return null;
}

/** Metric entries from an editor's text: one per line or comma-separated (a regex keeps its commas). */
export function parseMetricList(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t) continue;
    if (isRegex(t)) out.push(t);
    else for (const part of t.split(",")) if (part.trim()) out.push(part.trim());
  }
  return out;
}

/** Sections as drawn: pinned ones first, each group in its own order. */
export function displayOrder(d: Dashboard): number[] {
  const idx = d.sections.map((_, i) => i);
  return [...idx.filter((i) => d.sections[i].pinned), ...idx.filter((i) => !d.sections[i].pinned)];
}

export interface PanelRef { section: number; panel: number }

/**
 * Moves a panel to `to.section` before `to.panel` (panel = the section's
 * length appends). Indices are those before the move. Returns a new dashboard.
 */
export function movePanel(d: Dashboard, from: PanelRef, to: PanelRef): Dashboard {
  const sections = d.sections.map((s) => ({ ...s, panels: s.panels.slice() }));
  const src = sections[from.section];
  const dst = sections[to.section];
  if (!src || !dst || !src.panels[from.panel]) return d;
  let at = Math.max(0, Math.min(to.panel, dst.panels.length));
  const [p] = src.panels.splice(from.panel, 1);
  if (from.section === to.section && from.panel < at) at--;
  dst.panels.splice(at, 0, p);
  return { ...d, sections };
}

/** Moves a section to position `to` (indices before the move). */
export function moveSection(d: Dashboard, from: number, to: number): Dashboard {
  const sections = d.sections.slice();
  if (!sections[from]) return d;
  const [s] = sections.splice(from, 1);
  sections.splice(Math.max(0, Math.min(from < to ? to - 1 : to, sections.length)), 0, s);
  return { ...d, sections };
}

/** A new dashboard with section `i` changed by `fn`. */
export function updateSection(d: Dashboard, i: number, fn: (s: Section) => Section): Dashboard {
  return { ...d, sections: d.sections.map((s, k) => (k === i ? fn(s) : s)) };
}

/** A new dashboard with panel `ref` changed by `fn`. */
export function updatePanel(d: Dashboard, ref: PanelRef, fn: (p: Panel) => Panel): Dashboard {
  return updateSection(d, ref.section, (s) => ({ ...s, panels: s.panels.map((p, k) => (k === ref.panel ? fn(p) : p)) }));
}

/** A new dashboard without panel `ref`. */
export function removePanel(d: Dashboard, ref: PanelRef): Dashboard {
  return updateSection(d, ref.section, (s) => ({ ...s, panels: s.panels.filter((_, k) => k !== ref.panel) }));
}

/** The stored form: defaults left out, so URLs stay short. */
export function serializeDashboard(d: Dashboard): Record<string, unknown> {
  return {
    kind: DASHBOARD_KIND,
    version: DASHBOARD_VERSION,
    sections: d.sections.map((s) => ({
      name: s.name,
      ...(s.pinned ? { pinned: true } : {}),
      ...(s.collapsed ? { collapsed: true } : {}),
      panels: s.panels.map((p) => ({
        metrics: p.metrics,
        ...(p.x !== "step" ? { x: p.x } : {}),
        ...(p.smooth > 0 ? { smooth: p.smooth } : {}),
        ...(p.log ? { log: true } : {}),
        ...(p.size !== "M" ? { size: p.size } : {}),
      })),
    })),
  };
}

/**
 * Reads a stored dashboard tolerantly (unknown keys ignored, a mistyped field
 * takes its default); null when `raw` is not a dashboard at all.
 */
export function parseDashboard(raw: unknown): Dashboard | null {
  const o = obj(raw);
  if (!o || o.kind !== DASHBOARD_KIND || !Array.isArray(o.sections)) return null;
  let budget = MAX_PANELS;
  const sections: Section[] = [];
  for (const rs of o.sections) {
    const s = obj(rs);
    if (!s) continue;
    const panels: Panel[] = [];
    for (const rp of Array.isArray(s.panels) ? s.panels : []) {
      const p = obj(rp);
      if (!p || budget <= 0) continue;
      const metrics = (Array.isArray(p.metrics) ? p.metrics : []).filter((m): m is string => typeof m === "string" && m.trim() !== "").slice(0, MAX_METRICS);
      if (!metrics.length) continue;
      budget--;
      const smooth = typeof p.smooth === "number" && Number.isFinite(p.smooth) ? Math.min(Math.max(p.smooth, 0), 0.999) : 0;
      panels.push({
        metrics,
        x: typeof p.x === "string" && p.x ? p.x : "step",
        smooth,
        log: p.log === true,
        size: PANEL_SIZES.includes(p.size as PanelSize) ? (p.size as PanelSize) : "M",
      });
    }
    sections.push({ name: typeof s.name === "string" ? s.name : "", panels, collapsed: s.collapsed === true, pinned: s.pinned === true });
  }
  return { version: typeof o.version === "number" ? o.version : DASHBOARD_VERSION, sections };
}

function obj(v: unknown): Record<string, unknown> | null {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
