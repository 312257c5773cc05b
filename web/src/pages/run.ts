// One run: header with lineage, attribute tree, and every series as a chart.

import { href, navigate, setCrumbs, setTitle, type Page } from "../app";
import { ChartGrid, matchSearch, type GridItem } from "../chart/grid";
import { api, ApiError, type Attribute, type Run } from "../lib/api";
import { debounce, h, runColor, setChildren } from "../lib/dom";
import { formatAgo, formatStep, formatTime, formatValue } from "../lib/format";
import { live } from "../lib/live";
import { runLastStep } from "../lib/monitoring";
import type { ChartPrefs, Route } from "../lib/url";
import { notesEditor } from "./notes";
import { runStateActions, runTitle } from "./run_edit";
import { textCell } from "./textviewer";
import { chartControls, icon, stateBadge, tagChips } from "./widgets";

type RunRoute = Extract<Route, { page: "run" }>;

const SERIES_TYPES = new Set(["float_series", "string_series", "histogram_series", "file_series"]);
/** What the chart grid shows of each attribute type: series, and files (images inline). */
const GRID_KINDS: Partial<Record<string, GridItem["kind"]>> = {
  float_series: "float", string_series: "string", histogram_series: "histogram", file_series: "files", file: "file",
};

export function runPage(root: HTMLElement, initial: Route): Page {
  let route = initial as RunRoute;
  const { project, runId } = route;
  const ctl = new AbortController();
  let run: Run | null = null;
  let attrs: Attribute[] = [];
  let ancestors: Run[] = [];
  let destroyed = false;

  setCrumbs([["Projects", { page: "projects" }], [project, runsRoute(project)], [runId, null]]);
  setTitle(runId);

  const headEl = h("div", { class: "run-head" }, h("div", { class: "muted" }, "Loading…"));
  // Kept across redraws (live updates redraw the header) so an edit in progress survives.
  const title = runTitle(async (name) => {
    run = await api.patchRun(project, runId, { name });
    drawHead();
  });
  const notes = notesEditor({ class: "run-notes", emptyLabel: "Add notes",
    save: async (description) => { await api.patchRun(project, runId, { description }); } });
  const badgesEl = h("span", { class: "run-badges" });
  const headRest = h("div");
  const actionErr = h("div", { class: "action-error run-action-error", role: "alert", hidden: true });
  const treeEl = h("div", { class: "attr-tree" });
  const grid = new ChartGrid({
    project,
    runs: [{ runId, label: runId, color: runColor(0) }],
    prefs: route.chart,
    onZoom: (range) => setPrefs({ ...route.chart, range }),
    exportName: runId,
  });
  const setSearch = debounce((s: string) => {
    route = { ...route, search: s };
    navigate(route, true);
    drawGrid();
  }, 120);
  const controls = chartControls(route.chart, route.search, (p) => setPrefs(p), setSearch);
  root.appendChild(h("div", { class: "run-page" },
    headEl,
    h("div", { class: "run-body" },
      h("aside", { class: "attr-panel" }, h("div", { class: "panel-title" }, "Attributes"), treeEl),
      h("section", { class: "run-main" }, controls.el, grid.el),
    ),
  ));

  function setPrefs(p: ChartPrefs): void {
    route = { ...route, chart: p };
    navigate(route, true);
    controls.set(p, route.search);
    grid.setPrefs(p);
  }

  function drawGrid(): void {
    const all: GridItem[] = attrs.flatMap((a): GridItem[] => {
      const kind = GRID_KINDS[a.type];
      return kind ? [{ path: a.path, kind }] : [];
    });
    const shown = all.filter((it) => matchSearch(it.path, route.search));
    controls.setCount(shown.length, all.length);
    grid.setItems(shown);
  }

  function drawHead(): void {
    if (!run) return;
    const r = run;
    setTitle(r.name || r.run_id);
    setCrumbs([["Projects", { page: "projects" }], [project, runsRoute(project)], [r.name || r.run_id, null]]);
    const tags = attrs.find((a) => a.path === "sys/tags")?.value as string[] | undefined;
    const lastStep = runLastStep(attrs);
    const lineage: (Element | string)[] = [];
    if (ancestors.length) {
      lineage.push(icon("fork"), h("span", { class: "muted" }, "forked from "));
      ancestors.slice().reverse().forEach((a, i, arr) => {
        const forkStep = i + 1 < arr.length ? arr[i + 1].fork_step : r.fork_step;
        lineage.push(runLink(project, a), h("span", { class: "muted" }, ` @ step ${formatStep(forkStep ?? 0)}`));
        if (i + 1 < arr.length) lineage.push(h("span", { class: "muted" }, " ▸ "));
      });
    } else if (r.fork_run_id) {
      lineage.push(icon("fork"), h("span", { class: "muted" }, "forked from "), h("a", { href: href({ ...runRoute(project, r.fork_run_id) }) }, r.fork_run_id),
        h("span", { class: "muted" }, ` @ step ${formatStep(r.fork_step ?? 0)}`));
    }
    const children = r.children ?? [];
    title.set(r.name, r.run_id);
    notes.set((attrs.find((a) => a.path === "sys/description")?.value as string | undefined) ?? "");
    setChildren(badgesEl, stateBadge(r.state), tags?.length ? tagChips(tags) : null,
      runStateActions(project, r, attrs, () => { actionErr.hidden = true; void load(); }, (msg) => { actionErr.textContent = msg; actionErr.hidden = false; }));
    if (!headEl.contains(title.el)) setChildren(headEl, h("div", { class: "run-title" }, title.el, badgesEl), actionErr, headRest, notes.el);
    setChildren(headRest,
      h("div", { class: "run-meta" },
        meta("id", h("code", null, r.run_id)),
        r.experiment_name ? meta("experiment", r.experiment_name) : null,
        meta("created", h("span", { title: formatTime(r.created_at) }, formatAgo(r.created_at))),
        meta("updated", h("span", { title: formatTime(r.updated_at) }, formatAgo(r.updated_at))),
        lastStep !== null ? meta("last step", formatStep(lastStep)) : null,
      ),
      lineage.length || children.length
        ? h("div", { class: "lineage" },
          lineage.length ? h("span", { class: "lineage-part" }, lineage) : null,
          children.length ? h("span", { class: "lineage-part" },
            h("span", { class: "muted" }, `${children.length} fork${children.length > 1 ? "s" : ""}: `),
            children.map((c, i) => [i ? ", " : "", h("a", { href: href(runRoute(project, c.run_id)) }, c.run_id),
              h("span", { class: "muted" }, ` @ ${formatStep(c.fork_step)}`)])) : null)
        : null,
    );
  }

  function drawTree(): void {
    const configs = attrs.filter((a) => !SERIES_TYPES.has(a.type) && a.path !== "sys/tags" && a.path !== "sys/description");
    const series = attrs.filter((a) => SERIES_TYPES.has(a.type));
    const counts = new Map<string, number>();
    for (const s of series) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
    setChildren(treeEl,
      configs.length ? renderTree(buildTree(configs), project, runId) : h("div", { class: "muted pad" }, "No configs."),
      series.length ? h("div", { class: "series-summary" },
        Array.from(counts, ([t, n]) => h("div", null, h("span", { class: "muted" }, t.replace("_", " ")), " ", h("b", null, String(n))))) : null,
    );
  }

  async function load(): Promise<void> {
    try {
      const [r, a] = await Promise.all([api.run(project, runId, ctl.signal), api.attributes(project, runId, ctl.signal)]);
      if (destroyed) return;
      run = r;
      attrs = a;
      drawHead();
      drawTree();
      if (r.fork_step !== null) grid.setMarkers([{ step: r.fork_step, label: `fork of ${r.fork_run_id}` }]);
      drawGrid();
      void loadAncestors();
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      setChildren(headEl, h("div", { class: "error-box" }, e instanceof ApiError && e.status === 404 ? `Run ${runId} not found in ${project}.` : String((e as Error).message)));
    }
  }

  async function loadAncestors(): Promise<void> {
    const chain: Run[] = [];
    let parent = run?.fork_run_id;
    while (parent && chain.length < 16) {
      const p = await api.run(project, parent, ctl.signal).catch(() => null);
      if (!p) break;
      chain.push(p);
      parent = p.fork_run_id;
    }
    ancestors = chain;
    if (run?.fork_step != null) {
      const markers = [{ step: run.fork_step, label: `fork of ${run.fork_run_id}` }];
      chain.forEach((a) => { if (a.fork_step !== null) markers.push({ step: a.fork_step, label: `fork of ${a.fork_run_id}` }); });
      grid.setMarkers(markers);
    }
    drawHead();
  }

  // Live: while the run is running, refresh what changed every tick.
  let ticks = 0;
  const unsub = live().subscribe({ kind: "run", project, runId }, async (notice) => {
    ticks++;
    if (!run || (notice.kind === "tick" && run.state !== "running" && ticks % 5 !== 0)) return;
    // The run object is small; fetch the attribute list only when it changed.
    const r = await api.run(project, runId, ctl.signal);
    if (destroyed) return;
    if (r.updated_at === run.updated_at && r.state === run.state) return;
    const a = await api.attributes(project, runId, ctl.signal);
    if (destroyed) return;
    const before = new Map(attrs.map((x) => [x.path, x]));
    const changed = new Set<string>();
    for (const x of a) {
      const b = before.get(x.path);
      if (!b || b.count !== x.count || b.last_step !== x.last_step || b.last_timestamp !== x.last_timestamp) changed.add(x.path);
    }
    const stateChanged = r.state !== run.state;
    run = r;
    attrs = a;
    if (changed.size || stateChanged) {
      drawHead();
      drawTree();
      drawGrid();
      grid.refresh(changed);
    }
  });

  void load();
  return {
    update(next: Route): boolean {
      if (next.page !== "run" || next.project !== project || next.runId !== runId) return false;
      route = next;
      controls.set(next.chart, next.search);
      grid.setPrefs(next.chart);
      drawGrid();
      return true;
    },
    destroy() {
      destroyed = true;
      ctl.abort();
      unsub();
      setSearch.cancel();
      grid.destroy();
    },
  };
}

function runsRoute(project: string): Route {
  return { page: "runs", project, filter: "", sort: null, columns: null, selected: [] };
}

function runRoute(project: string, runId: string): Route {
  return { page: "run", project, runId, search: "", chart: { log: false, smooth: 0, range: null } };
}

function runLink(project: string, r: Run): HTMLElement {
  return h("a", { href: href(runRoute(project, r.run_id)) }, r.name || r.run_id);
}

function meta(label: string, value: Node | string): HTMLElement {
  return h("span", { class: "meta" }, h("span", { class: "meta-k" }, label), value);
}

interface TreeNode {
  name: string;
  children: Map<string, TreeNode>;
  attr?: Attribute;
}

export function buildTree(attrs: Attribute[]): TreeNode {
  const root: TreeNode = { name: "", children: new Map() };
  for (const a of attrs) {
    let node = root;
    for (const part of a.path.split("/")) {
      let next = node.children.get(part);
      if (!next) node.children.set(part, (next = { name: part, children: new Map() }));
      node = next;
    }
    node.attr = a;
  }
  return root;
}

function renderTree(node: TreeNode, project: string, runId: string, depth = 0): HTMLElement {
  const kids = Array.from(node.children.values()).sort((a, b) =>
    (a.children.size > 0 ? 0 : 1) - (b.children.size > 0 ? 0 : 1) || a.name.localeCompare(b.name));
  return h("div", { class: "tree-level" }, kids.map((k) => {
    if (k.children.size > 0) {
      const d = h("details", { class: "tree-folder", open: depth < 2 },
        h("summary", null, k.name, h("span", { class: "count" }, String(countLeaves(k)))),
        renderTree(k, project, runId, depth + 1));
      return d;
    }
    const a = k.attr!;
    return h("div", { class: "tree-leaf", title: `${a.path} (${a.type})` },
      h("span", { class: "leaf-k" }, k.name),
      h("span", { class: `leaf-v t-${a.type}` }, leafValue(a, project, runId)));
  }));
}

function countLeaves(n: TreeNode): number {
  let c = n.attr ? 1 : 0;
  for (const k of n.children.values()) c += countLeaves(k);
  return c;
}

function leafValue(a: Attribute, project: string, runId: string): Node | string {
  if (a.type === "file") return h("a", { href: api.fileUrl(project, runId, a.path), download: "" }, "download");
  if (a.type === "string_set") return tagChips((a.value as string[]) ?? []);
  if (a.type === "string") return textCell(a.path, a.value, (v) => JSON.stringify(v));
  return formatValue(a.value);
}
