// Rows of the Columns menu: a checkbox per path and, for float series, one
// toggle per series aggregate (min, max, mean, …) that adds `min(path)` as
// a column of its own.

import { AGGREGATE_LABELS, AGGREGATES, aggregateName } from "../lib/aggregates";
import { addColumn, removeColumn } from "../lib/columns";
import { h } from "../lib/dom";

const AGG_TITLES: Record<string, string> = {
  min: "lowest value", max: "highest value", mean: "mean value", first: "value at the first step",
  last: "value at the last step", last_step: "last step logged",
};

export function columnItems(
  paths: readonly string[], cols: readonly string[], floatSeries: ReadonlySet<string>, set: (cols: string[]) => void,
): HTMLElement[] {
  const toggle = (p: string, on: boolean) => set(on ? addColumn(cols, p) : removeColumn(cols, p));
  return paths.map((p) => h("div", { class: "cols-item", dataset: { path: p } },
    h("label", { class: "cols-path" },
      h("input", { type: "checkbox", checked: cols.includes(p), onchange: (e: Event) => toggle(p, (e.target as HTMLInputElement).checked) }),
      " ", p),
    floatSeries.has(p) ? h("span", { class: "cols-aggs" }, AGGREGATES.map((fn) => {
      const name = aggregateName(fn, p);
      const on = cols.includes(name);
      return h("button", {
        class: "cols-agg" + (on ? " on" : ""), dataset: { agg: fn }, "aria-pressed": String(on),
        title: `${on ? "Remove" : "Add"} the column ${name}: the series' ${AGG_TITLES[fn]} per run (sortable)`,
        onclick: () => toggle(name, !on),
      }, AGGREGATE_LABELS[fn]);
    })) : null));
}
