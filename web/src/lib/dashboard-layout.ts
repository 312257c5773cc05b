// The dashboard shown before anyone arranges one: a section per first path
// component, train/, val/ and eval/ first, and groups of many similar series
// (per-layer norms and the like) last and collapsed, each family of them on
// one chart by a regex so that fifty layers cost one panel, not fifty.

import { newPanel, type Dashboard, type Section } from "./dashboard";

/** Sections that lead, in this order. */
export const FIRST_SECTIONS = ["train", "val", "eval"];
/** A family with at least this many members is "per-layer-like". */
export const FAMILY_MIN = 4;

export function sectionOf(path: string): string {
  const i = path.indexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** The family of a path: its digit runs replaced by `#` (grads/layer_17 → grads/layer_#). */
export function familyOf(path: string): string {
  return path.replace(/\d+/g, "#");
}

/** A regex (as a `/…/` metric) matching exactly the paths of a family. */
export function familyRegex(family: string): string {
  const esc = family.split("#").map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("\\d+");
  return `/^${esc}$/`;
}

/** Families with at least FAMILY_MIN members among `paths`, and the paths in none. */
export function families(paths: readonly string[]): { families: Map<string, string[]>; single: string[] } {
  const by = new Map<string, string[]>();
  for (const p of paths) {
    const f = familyOf(p);
    let list = by.get(f);
    if (!list) by.set(f, (list = []));
    list.push(p);
  }
  const fams = new Map<string, string[]>();
  const single: string[] = [];
  for (const [f, list] of by) {
    if (f.includes("#") && list.length >= FAMILY_MIN) fams.set(f, list);
    else single.push(...list);
  }
  return { families: fams, single: single.sort() };
}

/**
 * The default dashboard for a project's float series. A section is
 * per-layer-like when families hold most of its series; it then comes last,
 * collapsed, with one regex panel per family. Other sections get a panel per
 * series (a family there also gets one regex panel rather than one per member).
 */
export function defaultDashboard(paths: readonly string[]): Dashboard {
  const bySection = new Map<string, string[]>();
  for (const p of Array.from(new Set(paths)).sort()) {
    const s = sectionOf(p);
    let list = bySection.get(s);
    if (!list) bySection.set(s, (list = []));
    list.push(p);
  }
  const lead: Section[] = [];
  const rest: Section[] = [];
  const layered: Section[] = [];
  for (const [name, list] of bySection) {
    const { families: fams, single } = families(list);
    const inFamilies = list.length - single.length;
    const perLayer = inFamilies > 0 && inFamilies * 2 >= list.length;
    const panels = [
      ...single.map((p) => newPanel([p])),
      ...Array.from(fams.keys()).sort().map((f) => ({ ...newPanel([familyRegex(f)]), size: "L" as const })),
    ];
    const section: Section = { name, panels, collapsed: perLayer, pinned: false };
    if (perLayer) layered.push(section);
    else if (FIRST_SECTIONS.includes(name)) lead.push(section);
    else rest.push(section);
  }
  lead.sort((a, b) => FIRST_SECTIONS.indexOf(a.name) - FIRST_SECTIONS.indexOf(b.name));
  // System metrics after the training ones.
  rest.sort((a, b) => Number(a.name === "monitoring") - Number(b.name === "monitoring") || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { version: 1, sections: [...lead, ...rest, ...layered] };
}
