// Paths a runs query names that no run of the project has (the server's
// `unknown_paths`), and the edit that swaps one for the server's suggestion.

import { quotePath } from "./autocomplete";
import { parseAggregate } from "./aggregates";
import type { UnknownPath } from "./api";
import type { Route } from "./url";

/** A path (or a series aggregate such as `min(val/loss)`) as a filter writes it. */
export function filterText(path: string): string {
  const agg = parseAggregate(path);
  return agg ? `${agg.fn}(${quotePath(agg.path)})` : quotePath(path);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `filter` with every mention of `from` replaced by `to`: the bare path at
 * token boundaries (not part of a longer path), and its backquoted spelling.
 */
export function replacePath(filter: string, from: string, to: string): string {
  const repl = filterText(to);
  const quoted = "`" + from.replace(/[\\`]/g, (m) => "\\" + m) + "`";
  let out = filter.split(quoted).join(repl);
  const bare = new RegExp(`(^|[^A-Za-z0-9_./\`-])${escapeRe(filterText(from))}(?![A-Za-z0-9_./-])`, "g");
  out = out.replace(bare, (_m, pre: string) => pre + repl);
  return out;
}

/** "No run has config/lr" — the sentence before any suggestion. */
export function unknownText(u: UnknownPath): string {
  return `No run has ${u.path}`;
}

type RunsRoute = Extract<Route, { page: "runs" }>;

/** `route` with the suggestion for `u` in place of it: in the filter, the sort and the columns. */
export function applySuggestion(route: RunsRoute, u: UnknownPath & { did_you_mean: string }): RunsRoute {
  const to = u.did_you_mean;
  const next: RunsRoute = { ...route, filter: replacePath(route.filter, u.path, to) };
  if (route.sort?.path === u.path) next.sort = { ...route.sort, path: to };
  if (route.columns?.includes(u.path)) next.columns = route.columns.map((c) => (c === u.path ? to : c));
  return next;
}
