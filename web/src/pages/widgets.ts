// Small shared pieces of UI.

import type { RunState } from "../lib/api";
import { h } from "../lib/dom";
import type { ChartPrefs } from "../lib/url";
import { formatStep } from "../lib/format";

export function stateBadge(state: RunState | string): HTMLElement {
  return h("span", { class: `state state-${state}`, title: state }, h("i", { class: "dot" }), state);
}

/** Tag chips; `onClick` filters by a tag, `onRemove` gives each chip a × that removes it. */
export function tagChips(tags: string[], onClick?: (tag: string) => void, onRemove?: (tag: string) => void): HTMLElement {
  return h("span", { class: "tags", title: tags.join(", ") }, tags.map((t) =>
    h("span", {
      class: "tag" + (onClick ? " clickable" : "") + (onRemove ? " removable" : ""),
      title: onClick ? `Filter by tag "${t}"` : t,
      dataset: { tag: t },
      onclick: onClick ? (e: Event) => { e.preventDefault(); e.stopPropagation(); onClick(t); } : undefined,
    }, t, onRemove ? h("button", {
      class: "tag-remove", title: `Remove tag "${t}"`, "aria-label": `Remove tag ${t}`,
      onclick: (e: Event) => { e.preventDefault(); e.stopPropagation(); onRemove(t); },
    }, "×") : null)));
}

export interface ChartControls {
  el: HTMLElement;
  search: HTMLInputElement;
  set(prefs: ChartPrefs, search: string): void;
  setCount(shown: number, total: number): void;
}

/** Search box, log toggle, smoothing slider and zoom chip shared by the run and compare pages. */
export function chartControls(
  prefs: ChartPrefs,
  searchText: string,
  onPrefs: (p: ChartPrefs) => void,
  onSearch: (s: string) => void,
): ChartControls {
  let cur = prefs;
  const search = h("input", {
    class: "input search", type: "search", placeholder: "Search series (words or /regex/)",
    "aria-label": "Search series", value: searchText, oninput: () => onSearch(search.value),
  });
  const log = h("input", { type: "checkbox", checked: prefs.log, onchange: () => onPrefs({ ...cur, log: log.checked }) });
  const smoothVal = h("span", { class: "smooth-val" });
  const smooth = h("input", {
    type: "range", min: "0", max: "0.99", step: "0.01", value: String(prefs.smooth), "aria-label": "Smoothing",
    oninput: () => {
      smoothVal.textContent = Number(smooth.value).toFixed(2);
      onPrefs({ ...cur, smooth: Number(smooth.value) });
    },
  });
  const range = h("span", { class: "range-chip" });
  const xAxis = h("select", { class: "input x-axis", "aria-label": "x axis", title: "x axis: step, wall-clock time, or time since the series' first point",
    onchange: () => onPrefs({ ...cur, x: xAxis.value === "step" ? undefined : (xAxis.value as ChartPrefs["x"]) }) },
    h("option", { value: "step" }, "x: Step"), h("option", { value: "wall" }, "x: Wall time"), h("option", { value: "relative" }, "x: Relative time"));
  const count = h("span", { class: "muted series-count" });
  const el = h("div", { class: "chart-controls" },
    search, count,
    h("span", { class: "spacer" }),
    range,
    xAxis,
    h("label", { class: "ctl", title: "Logarithmic y axis" }, log, "Log y"),
    h("label", { class: "ctl", title: "Exponential moving average of the mean line" }, "Smoothing", smooth, smoothVal),
  );
  const set = (p: ChartPrefs, s: string) => {
    cur = p;
    log.checked = p.log;
    xAxis.value = p.x ?? "step";
    smooth.value = String(p.smooth);
    smoothVal.textContent = p.smooth.toFixed(2);
    if (search.value !== s && document.activeElement !== search) search.value = s;
    range.textContent = "";
    range.hidden = !p.range;
    if (p.range) {
      range.append(`steps ${formatStep(p.range[0])} – ${formatStep(p.range[1])}`,
        h("button", { class: "icon-btn", title: "Reset zoom (or double-click a chart)", onclick: () => onPrefs({ ...cur, range: null }) }, "×"));
    }
  };
  set(prefs, searchText);
  return {
    el, search, set,
    setCount(shown, total) {
      count.textContent = shown === total ? `${total} series` : `${shown} of ${total} series`;
    },
  };
}

const ICONS: Record<string, string> = {
  filter: "M2 3h12l-4.5 5.5V13l-3 1.5V8.5z",
  fork: "M5 2.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm6 0a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zM5 10.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zM5 5.5v5M11 5.5c0 3-6 2-6 5",
};

/** A small stroked SVG icon (currentColor). */
export function icon(name: keyof typeof ICONS | string): SVGSVGElement {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "13");
  svg.setAttribute("height", "13");
  svg.setAttribute("class", `icon icon-${name}`);
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(NS, "path");
  path.setAttribute("d", ICONS[name] ?? "");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.4");
  path.setAttribute("stroke-linejoin", "round");
  path.setAttribute("stroke-linecap", "round");
  svg.appendChild(path);
  return svg;
}
