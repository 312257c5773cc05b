// Sweeps: the runs of the runs table's filter on a parallel-coordinates chart
// (an axis per config or aggregate) and a scatter (a config against an
// aggregate). Brushing axes or clicking points sets the selection, which is
// the runs table's (`sel` in both URLs).

import { href, navigate, setCrumbs, setTitle, type Page } from "../app";
import { ParCoords, type PCRow } from "../chart/parcoords";
import { Scatter } from "../chart/scatter";
import { api, ApiError, type ProjectAttribute, type Run } from "../lib/api";
import { h, setChildren } from "../lib/dom";
import { formatNumber } from "../lib/format";
import type { Route } from "../lib/url";
import {
  aggregatePaths, axisValue, brushed, configPaths, defaultMetric, makeScale, varyingConfigs, type Brushes,
} from "../lib/sweeps";

type SweepsRoute = Extract<Route, { page: "sweeps" }>;

/** Runs read at most. */
export const SWEEP_LIMIT = 2000;
/** Config columns asked for while choosing default axes. */
const MAX_CONFIG_COLUMNS = 200;

export function sweepsPage(root: HTMLElement, initial: Route): Page {
  let route = initial as SweepsRoute;
  const project = route.project;
  const ctl = new AbortController();
  let destroyed = false;
  let attrs: ProjectAttribute[] = [];
  let runs: Run[] = [];
  let brushes: Brushes = new Map();
  let queryGen = 0;

  setCrumbs([["Projects", { page: "projects" }], [project, tableRoute()], ["Sweeps", null]]);
  setTitle(`Sweeps · ${project}`);

  const note = h("div", { class: "sweeps-note muted" });
  const message = h("div", { class: "dash-message", role: "status" });
  const axesEl = h("div", { class: "sweeps-axes" });
  const axisInput = h("input", { class: "input sweeps-axis-input", list: "sweeps-paths", placeholder: "Add an axis: config or min(series)",
    onkeydown: (e: KeyboardEvent) => {
      const v = axisInput.value.trim();
      if (e.key === "Enter" && v) {
        axisInput.value = "";
        setRoute({ ...route, axes: [...axes().filter((a) => a !== v), v] }, true);
      }
    } });
  const sxInput = h("input", { class: "input sweeps-sx", list: "sweeps-configs", "aria-label": "Scatter x", onchange: () => setRoute({ ...route, sx: sxInput.value.trim() || undefined }, true) });
  const syInput = h("input", { class: "input sweeps-sy", list: "sweeps-paths", "aria-label": "Scatter y", onchange: () => setRoute({ ...route, sy: syInput.value.trim() || undefined }, true) });
  const lists = h("div", { hidden: true });
  const selEl = h("div", { class: "sweeps-selection" });
  const pcBox = h("div", { class: "sweeps-pc" });
  const scBox = h("div", { class: "sweeps-scatter" });
  const pc = new ParCoords({ scales: [], rows: [], selected: new Set(), brushes, onBrush: (b) => onBrush(b), onPick: (id) => toggle(id) });
  const sc = new Scatter();
  pcBox.appendChild(pc.el);
  scBox.appendChild(sc.el);
  root.appendChild(h("div", { class: "sweeps-page" },
    h("div", { class: "compare-head" }, h("h1", null, "Sweeps"), note),
    h("section", { class: "run-main" },
      h("div", { class: "chart-controls sweeps-controls" }, h("span", { class: "muted" }, "Axes"), axesEl, axisInput, lists),
      message,
      h("div", { class: "card sweeps-card" }, h("div", { class: "card-head" }, h("div", { class: "card-title" }, "Parallel coordinates"),
        h("span", { class: "card-note" }, "drag along an axis to select runs; click an axis to clear it")), pcBox),
      h("div", { class: "sweeps-bottom" },
        h("div", { class: "card sweeps-card" }, h("div", { class: "card-head" }, h("div", { class: "card-title" }, "Scatter"),
          h("span", { class: "ctl" }, "x", sxInput), h("span", { class: "ctl" }, "y", syInput)), scBox),
        h("div", { class: "card sweeps-card" }, h("div", { class: "card-head" }, h("div", { class: "card-title" }, "Selected runs")), selEl))),
  ));
  const ro = new ResizeObserver(() => {
    pc.setWidth(pcBox.clientWidth - 4);
    sc.setWidth(scBox.clientWidth - 4);
  });
  ro.observe(pcBox);
  ro.observe(scBox);

  function tableRoute(): Route {
    return { page: "runs", project, filter: route.filter, sort: null, columns: null, selected: route.selected };
  }

  /** The axes: the URL's, else the configs that vary and the default metric. */
  function axes(): string[] {
    if (route.axes.length) return route.axes;
    const metric = defaultMetric(attrs);
    return [...varyingConfigs(configPaths(attrs), runs), ...(metric ? [metric] : [])];
  }
  const scatterX = () => route.sx ?? varyingConfigs(configPaths(attrs), runs, 1)[0] ?? configPaths(attrs)[0] ?? "";
  const scatterY = () => route.sy ?? defaultMetric(attrs) ?? "";

  function setRoute(next: SweepsRoute, refetch: boolean): void {
    route = next;
    navigate(route, true);
    if (refetch) void loadRuns();
    else draw();
  }

  function onBrush(b: Brushes): void {
    brushes = b;
    const ids = b.size ? brushed(rowsFor(axes()), axes().map((p) => scaleFor(p)), b) : [];
    setRoute({ ...route, selected: ids }, false);
  }

  function toggle(id: string): void {
    const sel = route.selected.includes(id) ? route.selected.filter((x) => x !== id) : [...route.selected, id];
    setRoute({ ...route, selected: sel }, false);
  }

  const scaleFor = (path: string) => makeScale(path, runs.map((r) => axisValue(r, path)));
  function rowsFor(paths: string[]): PCRow[] {
    return runs.map((r) => ({ id: r.run_id, label: r.name || r.run_id, values: paths.map((p) => axisValue(r, p)) }));
  }

  function draw(): void {
    if (destroyed) return;
    const list = axes();
    setChildren(axesEl, list.map((a) => h("span", { class: "tag removable sweeps-axis", dataset: { axis: a } }, a,
      h("button", { class: "tag-remove", title: `Remove axis ${a}`, onclick: () => {
        brushes.delete(a);
        setRoute({ ...route, axes: list.filter((x) => x !== a) }, false);
      } }, "×"))));
    const configs = configPaths(attrs);
    setChildren(lists,
      h("datalist", { id: "sweeps-configs" }, configs.map((p) => h("option", { value: p }))),
      h("datalist", { id: "sweeps-paths" }, [...configs, ...aggregatePaths(attrs)].map((p) => h("option", { value: p }))));
    const selected = new Set(route.selected);
    pc.draw({ scales: list.map(scaleFor), rows: rowsFor(list), selected, brushes, onBrush: (b) => onBrush(b), onPick: (id) => toggle(id) });
    const sx = scatterX();
    const sy = scatterY();
    if (document.activeElement !== sxInput) sxInput.value = sx;
    if (document.activeElement !== syInput) syInput.value = sy;
    sc.draw({
      xScale: scaleFor(sx), yScale: scaleFor(sy), selected, onPick: (id) => toggle(id),
      points: runs.map((r) => ({ id: r.run_id, label: r.name || r.run_id, x: axisValue(r, sx), y: axisValue(r, sy) })),
    });
    drawSelection(list);
    setCrumbs([["Projects", { page: "projects" }], [project, tableRoute()], ["Sweeps", null]]);
  }

  /** The selected runs with their values on the axes, and where to take the selection. */
  function drawSelection(list: string[]): void {
    const n = route.selected.length;
    const byId = new Map(runs.map((r) => [r.run_id, r]));
    const cell = (v: number | string | null) => h("td", { class: typeof v === "number" ? "num" : "" }, v === null ? "—" : typeof v === "number" ? formatNumber(v) : v);
    setChildren(selEl,
      h("div", { class: "sweeps-selection-bar" },
        h("span", { class: "sweeps-selected-count" }, n === 0 ? "No runs selected" : n === 1 ? "1 run selected" : `${n} runs selected`),
        h("a", { class: "btn sweeps-to-table", href: href(tableRoute()) }, "Show in runs table"),
        n ? h("a", { class: "btn primary", href: href({ page: "compare", project, runs: route.selected, search: "", chart: { log: false, smooth: 0, range: null } }) }, `Compare ${n}`) : null,
        n ? h("button", { class: "btn ghost sweeps-clear", onclick: () => { brushes = new Map(); setRoute({ ...route, selected: [] }, false); } }, "Clear") : null),
      n ? h("div", { class: "diff-scroll" }, h("table", { class: "diff-table sweeps-table" },
        h("thead", null, h("tr", null, h("th", null, "run"), list.map((a) => h("th", null, a)))),
        h("tbody", null, route.selected.map((id) => {
          const r = byId.get(id);
          return h("tr", { dataset: { run: id } },
            h("td", null, h("a", { href: href({ page: "run", project, runId: id, search: "", chart: { log: false, smooth: 0, range: null } }) }, r?.name || id)),
            list.map((a) => cell(r ? axisValue(r, a) : null)));
        })))) : h("div", { class: "muted pad" }, "Drag along an axis, or click a line or a point."));
  }

  async function loadRuns(): Promise<void> {
    const gen = ++queryGen;
    const want = new Set([...configPaths(attrs).slice(0, MAX_CONFIG_COLUMNS), ...route.axes, ...(route.sx ? [route.sx] : []), ...(route.sy ? [route.sy] : [])]);
    const metric = defaultMetric(attrs);
    if (metric) want.add(metric);
    try {
      const page = await api.queryRuns(project, { filter: route.filter || undefined, limit: SWEEP_LIMIT, offset: 0, columns: Array.from(want) }, ctl.signal);
      if (gen !== queryGen || destroyed) return;
      runs = page.runs;
      const what = route.filter ? `matching ${route.filter}` : "in the project";
      note.textContent = page.total > runs.length ? `The first ${runs.length.toLocaleString()} of ${page.total.toLocaleString()} runs ${what}` : `${runs.length} run${runs.length === 1 ? "" : "s"} ${what}`;
      message.textContent = "";
      message.classList.remove("error");
      if (!runs.length) message.textContent = route.filter ? "No runs match the filter." : "No runs in this project yet.";
      draw();
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      message.textContent = e instanceof ApiError ? e.message : String(e);
      message.classList.add("error");
    }
  }

  async function load(): Promise<void> {
    try {
      attrs = await api.projectAttributes(project, ctl.signal);
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      message.textContent = e instanceof ApiError ? e.message : String(e);
      message.classList.add("error");
      return;
    }
    await loadRuns();
  }

  void load();

  return {
    update(next: Route): boolean {
      // The selection and axes written here apply in place; a new filter remounts.
      return next.page === "sweeps" && next.project === project && next.filter === route.filter &&
        next.selected.join("\n") === route.selected.join("\n") && next.axes.join("\n") === route.axes.join("\n") && next.sx === route.sx && next.sy === route.sy;
    },
    destroy() {
      destroyed = true;
      ctl.abort();
      ro.disconnect();
    },
  };
}
