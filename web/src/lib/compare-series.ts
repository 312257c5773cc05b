// Which float series the compare page charts: every one that any of the runs
// has, each with the runs that lack it (they are left out of its chart and
// named in a note, rather than the chart being dropped).

import type { Attribute } from "./api";

export interface SeriesCoverage {
  path: string;
  /** ids of the runs that have the series, in the runs' order */
  have: string[];
  /** ids of the runs that do not */
  lacking: string[];
}

/** Float series of any run, by path; `attrs[i]` are the attributes of `runIds[i]`. */
export function floatSeriesCoverage(runIds: string[], attrs: Attribute[][]): SeriesCoverage[] {
  const sets = attrs.map((a) => new Set(a.filter((x) => x.type === "float_series").map((x) => x.path)));
  const paths = Array.from(new Set(sets.flatMap((s) => Array.from(s)))).sort();
  return paths.map((path) => ({
    path,
    have: runIds.filter((_, i) => sets[i]?.has(path)),
    lacking: runIds.filter((_, i) => !sets[i]?.has(path)),
  }));
}

/** The note on a chart that some runs lack: "not in a, b" (at most `max` names, then "+N more"). */
export function lackingNote(names: string[], max = 3): string {
  if (!names.length) return "";
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `not in ${shown} +${names.length - max} more` : `not in ${shown}`;
}
