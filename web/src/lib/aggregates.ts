// Series aggregates (docs/query.md "Series aggregates"): `min(val/loss)` and
// the like name one number per run computed from a float series, and go
// wherever a path goes (columns, sort, filter).

export const AGGREGATES = ["min", "max", "mean", "first", "last", "last_step"] as const;
export type AggregateFn = (typeof AGGREGATES)[number];

/** Short labels for the column picker's buttons. */
export const AGGREGATE_LABELS: Record<AggregateFn, string> = {
  min: "min", max: "max", mean: "mean", first: "first", last: "last", last_step: "step",
};

const RE = /^(min|max|mean|first|last|last_step)\((.+)\)$/;

/** `{fn, path}` for an aggregate column name, null for a plain path. */
export function parseAggregate(name: string): { fn: AggregateFn; path: string } | null {
  const m = RE.exec(name);
  if (!m) return null;
  let path = m[2];
  // `min(`a b`)`: a backquoted series path.
  if (path.length >= 2 && path.startsWith("`") && path.endsWith("`")) path = path.slice(1, -1).replace(/\\(.)/g, "$1");
  return { fn: m[1] as AggregateFn, path };
}

export function aggregateName(fn: AggregateFn, path: string): string {
  return `${fn}(${path})`;
}
