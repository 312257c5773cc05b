// A project dashboard: the runs of the runs table's filter (or its
// selection) on panels arranged in sections. The layout lives in the URL
// (`layout`), so a link shares it; it can be saved by name (views API,
// `kind: "dashboard"`) and opened again (`d`).

import { href, navigate, setCrumbs, setTitle, type Page } from "../app";
import type { ChartRun } from "../chart/chart";
import { api, ApiError, type Run, type SavedView } from "../lib/api";
import { parseDashboard, serializeDashboard, type Dashboard } from "../lib/dashboard";
import { defaultDashboard } from "../lib/dashboard-layout";
import { decodeDashboard, encodeDashboard } from "../lib/dashboard-url";
import { h, runColor, setChildren } from "../lib/dom";
import type { Route } from "../lib/url";
import { MAX_VIEW_BYTES, viewKind, viewNameError, viewsOfKind } from "../lib/views";
import { DashboardSections } from "./dashboard_sections";
import { stateBadge } from "./widgets";

type DashboardRoute = Extract<Route, { page: "dashboard" }>;

/** Runs drawn at most: each panel draws a line per run and metric. */
export const MAX_DASHBOARD_RUNS = 20;

export function dashboardPage(root: HTMLElement, initial: Route): Page {
  let route = initial as DashboardRoute;
  const project = route.project;
  const ctl = new AbortController();
  let destroyed = false;
  let dash: Dashboard = { version: 1, sections: [] };
  let paths: string[] = [];
  let runs: Run[] = [];
  let saved: SavedView[] = [];

  setCrumbs([["Projects", { page: "projects" }], [project, { page: "runs", project, filter: route.filter, sort: null, columns: null, selected: route.selected }], ["Dashboard", null]]);
  setTitle(`Dashboard · ${project}`);

  const chartRuns = (): ChartRun[] => runs.map((r, i) => ({ runId: r.run_id, label: r.name || r.run_id, color: runColor(i) }));
  const sections = new DashboardSections({ project, runs: [], paths: [], change: (next) => setDashboard(next) });
  const runsNote = h("div", { class: "dash-runs-note muted" });
  const legend = h("div", { class: "compare-legend dash-legend" });
  const message = h("div", { class: "dash-message", role: "status" });
  const openSel = h("select", { class: "input dash-open", "aria-label": "Open a saved dashboard", onchange: () => {
    const name = openSel.value;
    if (name) navigate(withLayout({ ...route, name }, undefined));
  } });
  const nameInput = h("input", { class: "input dash-name", placeholder: "Dashboard name", maxlength: 200, value: route.name ?? "",
    onkeydown: (e: KeyboardEvent) => { if (e.key === "Enter") void save(); } });
  const newSection = h("input", { class: "input dash-new-section", placeholder: "New section", maxlength: 200,
    onkeydown: (e: KeyboardEvent) => { if (e.key === "Enter") addSection(); } });
  root.appendChild(h("div", { class: "dashboard-page" },
    h("div", { class: "compare-head dash-head" }, h("h1", null, "Dashboard"), runsNote, legend),
    h("section", { class: "run-main" },
      h("div", { class: "chart-controls dash-toolbar" },
        openSel,
        nameInput,
        h("button", { class: "btn primary dash-save", onclick: () => void save() }, "Save"),
        h("button", { class: "btn dash-share", title: "Copy a link to this dashboard (its layout is in the link)", onclick: () => void share() }, "Copy link"),
        h("button", { class: "btn ghost dash-refresh", title: "Read every chart again (charts do not follow running runs on their own)", onclick: () => sections.draw(dash) }, "Refresh"),
        h("button", { class: "btn ghost dash-reset", title: "Back to the default layout", onclick: () => navigate(withLayout({ ...route, name: undefined }, undefined)) }, "Default layout"),
        h("span", { class: "spacer" }),
        newSection,
        h("button", { class: "btn dash-add-section", onclick: () => addSection() }, "Add section"),
      ),
      message,
      sections.el),
  ));

  function say(text: string, error = false): void {
    message.textContent = text;
    message.classList.toggle("error", error);
  }

  /** A layout change: drawn, and written to the URL so the link carries it. */
  function setDashboard(next: Dashboard): void {
    dash = next;
    route = withLayout(route, encodeDashboard(next));
    navigate(route, true);
    sections.draw(dash);
  }

  function addSection(): void {
    const name = newSection.value.trim();
    if (!name) return;
    newSection.value = "";
    setDashboard({ ...dash, sections: [{ name, panels: [], collapsed: false, pinned: false }, ...dash.sections] });
  }

  async function share(): Promise<void> {
    // The link always holds the layout, even when it is the default or a saved one.
    const link = location.href.split("#")[0] + href(withLayout(route, encodeDashboard(dash)));
    try {
      await navigator.clipboard.writeText(link);
      say("Link copied.");
    } catch {
      say(`Copy this link: ${link}`);
    }
  }

  async function save(): Promise<void> {
    const name = nameInput.value.trim();
    const bad = viewNameError(name);
    if (bad) return say(bad, true);
    const state = serializeDashboard(dash);
    if (new TextEncoder().encode(JSON.stringify(state)).length > MAX_VIEW_BYTES) return say("This dashboard is too large to save (64 KiB at most).", true);
    try {
      const all = await api.views(project, ctl.signal);
      if (all.some((v) => v.name === name && viewKind(v.state) !== "dashboard")) return say(`A runs-table view is saved as "${name}": choose another name.`, true);
      await api.putView(project, name, state);
      route = { ...route, name };
      navigate(route, true);
      say(`Saved as "${name}".`);
      await loadSaved();
    } catch (e) {
      if ((e as Error).name !== "AbortError") say(e instanceof ApiError ? e.message : String(e), true);
    }
  }

  async function loadSaved(): Promise<void> {
    saved = viewsOfKind(await api.views(project, ctl.signal), "dashboard").sort((a, b) => a.name.localeCompare(b.name));
    if (destroyed) return;
    setChildren(openSel, h("option", { value: "" }, saved.length ? "Open saved…" : "No saved dashboards"),
      saved.map((v) => h("option", { value: v.name, selected: v.name === route.name }, v.name)));
    openSel.value = saved.some((v) => v.name === route.name) ? route.name! : "";
  }

  /** The runs: the selection if any, else the filter's first MAX_DASHBOARD_RUNS. */
  async function loadRuns(): Promise<void> {
    if (route.selected.length) {
      const ids = route.selected.slice(0, MAX_DASHBOARD_RUNS);
      runs = (await Promise.all(ids.map((id) => api.run(project, id, ctl.signal).catch((e) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e))))))
        .filter((r): r is Run => r !== null);
      const more = route.selected.length - ids.length;
      runsNote.textContent = `${runs.length} selected run${runs.length === 1 ? "" : "s"}` + (more > 0 ? ` (the first ${MAX_DASHBOARD_RUNS}; ${more} more selected are not drawn)` : "");
      return;
    }
    const page = await api.queryRuns(project, { filter: route.filter || undefined, limit: MAX_DASHBOARD_RUNS, offset: 0, columns: ["sys/tags"] }, ctl.signal);
    runs = page.runs;
    const what = route.filter ? `matching ${route.filter}` : "in the project";
    runsNote.textContent = page.total > runs.length
      ? `The first ${runs.length} of ${page.total.toLocaleString()} runs ${what} (select runs in the table to choose others)`
      : `${runs.length} run${runs.length === 1 ? "" : "s"} ${what}`;
  }

  /** The layout: the URL's, else the saved one named in the URL, else the default. */
  async function loadLayout(): Promise<void> {
    if (route.layout) {
      const d = decodeDashboard(route.layout);
      if ("dashboard" in d) {
        dash = d.dashboard;
        return;
      }
      say(`${d.error}; showing the default layout.`, true);
    } else if (route.name) {
      const v = saved.find((x) => x.name === route.name);
      const d = v ? parseDashboard(v.state) : null;
      if (d) {
        dash = d;
        return;
      }
      say(`No saved dashboard "${route.name}"; showing the default layout.`, true);
    }
    dash = defaultDashboard(paths);
  }

  function drawLegend(): void {
    setChildren(legend, chartRuns().map((c, i) => h("span", { class: "legend-chip", dataset: { run: c.runId } },
      h("i", { class: "swatch", style: `background:${c.color}` }),
      h("a", { href: href({ page: "run", project, runId: c.runId, search: "", chart: { log: false, smooth: 0, range: null } }) }, c.label),
      stateBadge(runs[i].state))));
  }

  async function load(): Promise<void> {
    try {
      const [attrs] = await Promise.all([api.projectAttributes(project, ctl.signal), loadRuns(), loadSaved()]);
      if (destroyed) return;
      paths = attrs.filter((a) => (a.types.float_series ?? 0) > 0).map((a) => a.path).sort();
      await loadLayout();
      drawLegend();
      sections.setRuns(chartRuns(), paths);
      sections.draw(dash);
      if (!runs.length) say(route.filter ? "No runs match the filter." : "No runs in this project yet.");
      else if (!dash.sections.length) say("No float series in this project yet: add a section and a panel naming the series to come.");
    } catch (e) {
      if ((e as Error).name !== "AbortError") say(e instanceof ApiError ? e.message : String(e), true);
    }
  }

  void load();

  return {
    update(next: Route): boolean {
      // Only a change made here (the layout written to the URL) is applied in place; anything else remounts.
      return next.page === "dashboard" && next.project === project && next.filter === route.filter &&
        next.selected.join("\n") === route.selected.join("\n") && next.name === route.name && next.layout === route.layout;
    },
    destroy() {
      destroyed = true;
      ctl.abort();
      sections.destroy();
    },
  };
}

function withLayout(r: DashboardRoute, layout: string | undefined): DashboardRoute {
  const { layout: _old, name, ...rest } = r;
  return { ...rest, ...(name ? { name } : {}), ...(layout ? { layout } : {}) };
}
