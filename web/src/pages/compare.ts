// Compare: the selected runs overlaid on every float series any of them has
// (a chart notes the runs that lack its series), and the configs that differ
// between them.

import { href, navigate, setCrumbs, setTitle, type Page } from "../app";
import { ChartGrid, matchSearch, type GridItem } from "../chart/grid";
import type { ChartRun } from "../chart/chart";
import { api, ApiError, type Attribute, type Run } from "../lib/api";
import { floatSeriesCoverage, lackingNote } from "../lib/compare-series";
import { debounce, h, runColor, setChildren } from "../lib/dom";
import { formatValue } from "../lib/format";
import { live } from "../lib/live";
import type { ChartPrefs, Route } from "../lib/url";
import { textCell } from "./textviewer";
import { chartControls, stateBadge } from "./widgets";

type CompareRoute = Extract<Route, { page: "compare" }>;

const CONFIG_TYPES = new Set(["float", "int", "bool", "string", "datetime", "string_set"]);

export function comparePage(root: HTMLElement, initial: Route): Page {
  let route = initial as CompareRoute;
  const project = route.project;
  const ctl = new AbortController();
  let destroyed = false;
  let runs: (Run | null)[] = [];
  let attrs: Attribute[][] = [];
  let showAllConfigs = false;

  setCrumbs([["Projects", { page: "projects" }], [project, runsRoute(project, route.runs)], ["Compare", null]]);
  setTitle(`Compare ${route.runs.length} runs`);

  let loaded = false;
  /** A run id that the server does not know (after loading). */
  const missing = (i: number): boolean => loaded && runs[i] === null;
  const chartRuns = (): ChartRun[] => route.runs.map((id, i) => ({ runId: id, label: runs[i]?.name || id, color: runColor(i) }));
  /** The runs drawn and diffed: the found ones (colours stay those of the legend). */
  const foundRuns = (): ChartRun[] => chartRuns().filter((_, i) => !missing(i));
  const foundAttrs = (): Attribute[][] => attrs.filter((_, i) => !missing(i));
  const legendEl = h("div", { class: "compare-legend" });
  const diffEl = h("div", { class: "diff-panel" });
  const grid = new ChartGrid({ project, runs: chartRuns(), prefs: route.chart, onZoom: (range) => setPrefs({ ...route.chart, range }), chartHeight: 200, minCardWidth: 420, exportName: "compare" });
  const setSearch = debounce((s: string) => {
    route = { ...route, search: s };
    navigate(route, true);
    drawGrid();
  }, 120);
  const controls = chartControls(route.chart, route.search, (p) => setPrefs(p), setSearch);
  root.appendChild(h("div", { class: "compare-page" },
    h("div", { class: "compare-head" }, h("h1", null, "Compare"), legendEl),
    diffEl,
    h("section", { class: "run-main" }, controls.el, grid.el),
  ));

  function setPrefs(p: ChartPrefs): void {
    route = { ...route, chart: p };
    navigate(route, true);
    controls.set(p, route.search);
    grid.setPrefs(p);
  }

  function removeRun(id: string): void {
    navigate({ ...route, runs: route.runs.filter((r) => r !== id) });
  }

  function drawLegend(): void {
    setChildren(legendEl, chartRuns().map((c, i) => h("span", { class: "legend-chip" + (missing(i) ? " not-found" : ""), dataset: { run: c.runId } },
      h("i", { class: "swatch", style: `background:${missing(i) ? "transparent" : c.color}` }),
      missing(i) ? h("span", { class: "legend-missing", title: `No run ${c.runId} in ${project}` }, c.label) :
        h("a", { href: href({ page: "run", project, runId: c.runId, search: "", chart: route.chart }) }, c.label),
      runs[i] ? stateBadge(runs[i]!.state) : missing(i) ? h("span", { class: "state state-missing not-found-badge" }, "not found") : null,
      route.runs.length > 1 ? h("button", { class: "icon-btn", title: "Remove from comparison", onclick: () => removeRun(c.runId) }, "×") : null,
    )));
  }

  /** Float series of any found run; one that some runs lack draws the others and names those. */
  function floatItems(): GridItem[] {
    const found = foundRuns();
    const label = new Map(found.map((r) => [r.runId, r.label]));
    return floatSeriesCoverage(found.map((r) => r.runId), foundAttrs()).map((c): GridItem => c.lacking.length === 0
      ? { path: c.path, kind: "float" }
      : {
        path: c.path, kind: "float", runs: c.have,
        note: lackingNote(c.lacking.map((id) => label.get(id) ?? id)),
        noteTitle: `Not logged by ${c.lacking.map((id) => label.get(id) ?? id).join(", ")}`,
      });
  }

  /** File series (images) in any run: each run's latest is shown, "no files" for a run without. */
  function fileSeries(): string[] {
    return Array.from(new Set(foundAttrs().flatMap((a) => a.filter((x) => x.type === "file_series").map((x) => x.path)))).sort();
  }

  function drawGrid(): void {
    const all: GridItem[] = [
      ...floatItems(),
      ...fileSeries().map((path): GridItem => ({ path, kind: "files" })),
    ];
    const shown = all.filter((it) => matchSearch(it.path, route.search));
    controls.setCount(shown.length, all.length);
    grid.setItems(shown);
  }

  function drawDiff(): void {
    const rows = configRows(foundAttrs());
    const differing = rows.filter((r) => r.differs);
    const shown = showAllConfigs ? rows : differing;
    const colors = foundRuns();
    setChildren(diffEl,
      h("div", { class: "panel-title" },
        h("span", null, `Configs that differ `, h("span", { class: "count" }, String(differing.length))),
        h("label", { class: "ctl" }, h("input", { type: "checkbox", checked: showAllConfigs, onchange: (e: Event) => {
          showAllConfigs = (e.target as HTMLInputElement).checked;
          drawDiff();
        } }), `show all ${rows.length}`)),
      shown.length === 0 ? h("div", { class: "muted pad" }, rows.length ? "All configs are equal." : "No configs.") :
        h("div", { class: "diff-scroll" }, h("table", { class: "diff-table" + (showAllConfigs ? " all" : "") },
          h("thead", null, h("tr", null, h("th", null, "config"), colors.map((c) =>
            h("th", null, h("i", { class: "swatch", style: `background:${c.color}` }), c.label)))),
          h("tbody", null, shown.map((r) => h("tr", { class: r.differs ? "differs" : "" },
            h("td", { class: "diff-path" }, r.path),
            r.values.map((v) => h("td", { class: v === undefined ? "missing" : "" }, v === undefined ? "—" : textCell(r.path, v, formatValue)))))),
        )),
    );
  }

  async function load(): Promise<void> {
    try {
      const res = await Promise.all(route.runs.map((id) => Promise.all([
        api.run(project, id, ctl.signal).catch((e) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e))),
        api.attributes(project, id, ctl.signal).catch((e) => (e instanceof ApiError && e.status === 404 ? [] : Promise.reject(e))),
      ])));
      if (destroyed) return;
      runs = res.map((r) => r[0]);
      attrs = res.map((r) => r[1]);
      loaded = true;
      setTitle(`Compare ${runs.map((r, i) => r?.name || route.runs[i]).join(", ")}`);
      grid.setRuns(foundRuns());
      drawLegend();
      drawDiff();
      drawGrid();
    } catch (e) {
      if ((e as Error).name !== "AbortError") setChildren(diffEl, h("div", { class: "error-box" }, (e as Error).message));
    }
  }

  // Live: one subscription per run; a notice refreshes that run only.
  const unsubs = route.runs.map((id, i) => {
    let ticks = 0;
    return live().subscribe({ kind: "run", project, runId: id }, async (notice) => {
      ticks++;
      const before = runs[i];
      if (!before || (notice.kind === "tick" && before.state !== "running" && ticks % 5 !== 0)) return;
      // The run object is small; fetch the attribute list only when it changed.
      const r = await api.run(project, id, ctl.signal);
      if (destroyed || (r.updated_at === before.updated_at && r.state === before.state)) return;
      const a = await api.attributes(project, id, ctl.signal);
      if (destroyed) return;
      const old = new Map((attrs[i] ?? []).map((x) => [x.path, x]));
      const changed = new Set<string>();
      for (const x of a) {
        const b = old.get(x.path);
        if (!b || b.count !== x.count || b.last_step !== x.last_step) changed.add(x.path);
      }
      runs[i] = r;
      attrs[i] = a;
      if (r.state !== before.state) drawLegend();
      if (changed.size) {
        drawDiff();
        drawGrid();
        grid.refresh(changed);
      }
    });
  });

  if (route.runs.length === 0) {
    setChildren(diffEl, h("div", { class: "empty-state" }, h("h2", null, "No runs selected"),
      h("p", null, "Tick runs in the ", h("a", { href: href(runsRoute(project, [])) }, "runs table"), " and press Compare.")));
  } else void load();
  drawLegend();

  return {
    update(next: Route): boolean {
      if (next.page !== "compare" || next.project !== project || next.runs.join("\n") !== route.runs.join("\n")) return false;
      route = next;
      controls.set(next.chart, next.search);
      grid.setPrefs(next.chart);
      drawGrid();
      return true;
    },
    destroy() {
      destroyed = true;
      ctl.abort();
      for (const u of unsubs) u();
      setSearch.cancel();
      grid.destroy();
    },
  };
}

function runsRoute(project: string, selected: string[]): Route {
  return { page: "runs", project, filter: "", sort: null, columns: null, selected };
}

export interface ConfigRow {
  path: string;
  values: unknown[];
  differs: boolean;
}

/** One row per config path in any run; `differs` when the runs' values are not all equal (a missing value differs). */
export function configRows(attrs: Attribute[][]): ConfigRow[] {
  const paths = new Set<string>();
  const maps = attrs.map((list) => {
    const m = new Map<string, unknown>();
    for (const a of list) if (CONFIG_TYPES.has(a.type)) { m.set(a.path, a.value); paths.add(a.path); }
    return m;
  });
  return Array.from(paths).sort().map((path) => {
    const values = maps.map((m) => m.get(path));
    const keys = values.map((v) => (v === undefined ? "\u0000missing" : JSON.stringify(v)));
    return { path, values, differs: new Set(keys).size > 1 };
  });
}
