// The runs table: a virtualized list over server-side filter, sort and paging.

import { href, navigate, setCrumbs, setTitle, type Page } from "../app";
import { api, ApiError, splitProject, type ProjectAttribute, type Run, type RunsQuery, type SavedView } from "../lib/api";
import { GROUP_LIMIT, groupItems, groupRuns, type TableItem } from "../lib/grouping";
import { applyView, parseView, serializeView, viewFromRoute, viewKind, viewNameError, viewsOfKind } from "../lib/views";
import {
  addColumn, attributePaths, cellKind, cellValue, columnLabel, columnWidth, defaultColumns, headerParts,
  DEFAULT_SYS_COLUMNS, moveColumn, nextSort, removeColumn, requestColumns, SYS_PATHS,
} from "../lib/columns";
import { h, runColor, setChildren } from "../lib/dom";
import { collectRuns, downloadFile, runExport, runsCsv } from "../lib/export";
import { safeFileName } from "../lib/csv";
import { formatAgo, formatTime, formatValue } from "../lib/format";
import { live } from "../lib/live";
import { PAGE_SIZE, RunsStore } from "../lib/runs-store";
import { isLongText } from "../lib/textview";
import { clampWidth, type Route } from "../lib/url";
import { isArchived, visibilityQuery } from "../lib/visibility";
import { applySuggestion } from "../lib/unknown-paths";
import { chooseDefaultColumns } from "../lib/default-columns";
import { filterExample } from "../lib/filter-example";
import { FilterBox } from "./filterbox";
import { notesEditor } from "./notes";
import { bulkBar, errorText, removeTag, showSelect } from "./run_actions";
import { columnItems } from "./column_items";
import { textCell } from "./textviewer";
import { unknownNotice } from "./unknown_notice";
import { icon, stateBadge, tagChips } from "./widgets";

type RunsRoute = Extract<Route, { page: "runs" }>;

const ROW_H = 30;
const OVERSCAN = 8;
const CHECK_W = 36;
/** Runs fetched whole (every attribute) to learn the project's attribute names. */
const DISCOVER_LIMIT = 50;

export function runsPage(root: HTMLElement, initial: Route): Page {
  let route = initial as RunsRoute;
  const project = route.project;
  setCrumbs([["Projects", { page: "projects" }], [project, null]]);
  setTitle(project);

  let discovered: Run[] = [];
  /** The columns shown while the user has chosen none (known once the project's paths are). */
  let defaults: string[] | null = null;
  let projectAttrs: ProjectAttribute[] = [];
  // Grouping (route.group): the whole query result, up to GROUP_LIMIT rows.
  let grouped: { runs: Run[]; total: number; unfiltered: number } | null = null;
  let items: TableItem[] = [];
  const collapsed = new Set<string>();
  let known: string[] = [];
  let queryGen = 0;
  let firstLoaded = false;
  let destroyed = false;
  const ctl = new AbortController();

  const columns = (): string[] => {
    if (route.columns) return route.columns;
    const cols = defaults ?? DEFAULT_SYS_COLUMNS;
    // Sorting by a hidden attribute shows it.
    return route.sort && !cols.includes(route.sort.path) ? [...cols, route.sort.path] : cols;
  };
  const query = (): RunsQuery => ({
    filter: route.filter || undefined,
    sort: route.sort ? [{ path: route.sort.path, order: route.sort.order }] : undefined,
    // sys/archived marks archived rows when they are listed.
    columns: requestColumns([...columns(), ...(route.group && !columns().includes(route.group) ? [route.group] : []), ...(route.show ? ["sys/archived"] : [])]),
    ...visibilityQuery(route.show),
  });
  /** Widths being dragged (not yet in the URL), then the route's, then defaults. */
  let liveWidths: Record<string, number> | null = null;
  const widthOf = (c: string): number => liveWidths?.[c] ?? route.widths?.[c] ?? columnWidth(c);
  const rowCount = (): number => (route.group ? items.length : store.total);
  const itemAt = (i: number): TableItem | undefined => (route.group ? items[i] : { kind: "run", run: store.row(i) });
  const runAt = (i: number): Run | undefined => { const it = itemAt(i); return it?.kind === "run" ? it.run : undefined; };
  const fetcherFor = (q: RunsQuery) => (offset: number, limit: number) =>
    api.queryRuns(project, { ...q, offset, limit }, ctl.signal);

  const store = new RunsStore(fetcherFor(query()), () => scheduleDraw());

  // ---- layout ----
  const filter = new FilterBox({
    value: route.filter,
    names: () => known,
    onApply: (text) => update({ ...route, filter: text.trim() }),
  });
  // Paths the filter or sort names that no run has, and the closest ones it has.
  const unknown = unknownNotice((u) => {
    const next = applySuggestion(route, u);
    filter.setValue(next.filter);
    update(next);
  });
  filter.el.appendChild(unknown.el);
  const countEl = h("span", { class: "run-count" });
  const compareBtn = h("a", { class: "btn primary", href: "#" }, "Compare");
  // The dashboard and sweeps pages take the table's filter and selection.
  const dashboardBtn = h("a", { class: "btn dashboard-link", href: "#", title: "Charts of the runs matching the filter (or the selected runs), arranged in a dashboard" }, "Dashboard");
  const sweepsBtn = h("a", { class: "btn sweeps-link", href: "#", title: "Parallel coordinates and a scatter of configs and results over the runs matching the filter" }, "Sweeps");
  const clearSel = h("button", { class: "btn ghost", onclick: () => update({ ...route, selected: [] }) }, "Clear selection");
  const showSel = showSelect(route.show, (show) => update(withShow({ ...route, selected: [] }, show)));
  const actionErr = h("div", { class: "action-error table-error", role: "alert", hidden: true });
  const setActionError = (msg: string | null) => { actionErr.textContent = msg ?? ""; actionErr.hidden = !msg; };
  const bulk = bulkBar({
    project, selected: () => route.selected, show: () => route.show,
    changed: (clear, keep) => {
      if (clear) update({ ...route, selected: keep ?? [] });
      void runQuery();
    },
    nameOf: (id) => {
      for (const r of rows.values()) if (typeof r.run === "object" && r.run.run_id === id) return r.run.name || id;
      return id;
    },
  });
  const notes = notesEditor({ class: "project-notes", emptyLabel: "Add a project description",
    save: async (text) => { await api.patchProject(project, { description: text }); } });
  const colsBtn = h("button", { class: "btn", onclick: () => toggleColumnsMenu() }, "Columns");
  const csvBtn = h("button", { class: "btn csv-btn", title: "Download every run matching the filter, in this order, with these columns, as CSV",
    onclick: () => void runExport(csvBtn, (progress) => exportCsv(progress)) }, "Download CSV");
  const colsMenu = h("div", { class: "popover cols-menu", hidden: true });
  const viewsBtn = h("button", { class: "btn views-btn", onclick: () => toggleViewsMenu() }, "Views");
  const viewsMenu = h("div", { class: "popover views-menu", hidden: true });
  const groupSel = h("select", { class: "input group-select", title: "Group rows by an attribute",
    onchange: () => update(withGroup(route, groupSel.value || null)) });
  const head = h("div", { class: "thead" });
  const body = h("div", { class: "tbody" });
  const empty = h("div", { class: "table-empty", hidden: true });
  const scroller = h("div", { class: "table-scroll", onscroll: () => scheduleDraw() }, head, body, empty);
  root.appendChild(h("div", { class: "runs-page" },
    notes.el,
    h("div", { class: "toolbar" },
      filter.el,
      h("div", { class: "toolbar-right" }, countEl, showSel, groupSel, h("div", { class: "popover-anchor" }, viewsBtn, viewsMenu),
        h("div", { class: "popover-anchor" }, colsBtn, colsMenu), csvBtn, clearSel, dashboardBtn, sweepsBtn, compareBtn,
        h("a", { class: "btn ghost members-link", href: href({ page: "members", project }), title: "Who can see and change this project" }, "Members")),
    ),
    bulk.el,
    actionErr,
    scroller,
  ));

  // ---- state changes ----
  function update(next: RunsRoute): void {
    const queryChanged = next.filter !== route.filter || next.sort?.path !== route.sort?.path ||
      next.sort?.order !== route.sort?.order || JSON.stringify(next.columns) !== JSON.stringify(route.columns) ||
      next.group !== route.group || next.show !== route.show;
    if (next.group !== route.group) collapsed.clear();
    route = next;
    navigate(route, true);
    if (queryChanged) void runQuery();
    showSel.value = route.show ?? "";
    bulk.draw();
    drawAll();
  }

  /** Sets the filter from outside the filter box (a tag chip): the box shows it too. */
  function setFilter(text: string): void {
    filter.setValue(text);
    update({ ...route, filter: text });
  }

  async function runQuery(): Promise<void> {
    const gen = ++queryGen;
    const q = query();
    if (route.group) {
      const path = route.group;
      try {
        const all = await api.queryRuns(project, { ...q, offset: 0, limit: GROUP_LIMIT }, ctl.signal);
        if (gen !== queryGen) return;
        filter.setError(null);
        unknown.set(all.unknown_paths ?? []);
        firstLoaded = true;
        grouped = { runs: all.runs, total: all.total, unfiltered: all.unfiltered_total ?? all.total };
        items = groupItems(groupRuns(all.runs, path), collapsed);
        learn(all.runs);
        drawAll();
      } catch (e) {
        if (gen !== queryGen || (e as Error).name === "AbortError") return;
        unknown.set([]);
        filter.setError(e instanceof ApiError ? e.message.replace(/^filter: /, "") : String(e));
      }
      return;
    }
    grouped = null;
    items = [];
    try {
      const first = await api.queryRuns(project, { ...q, offset: 0, limit: PAGE_SIZE }, ctl.signal);
      if (gen !== queryGen) return;
      filter.setError(null);
      unknown.set(first.unknown_paths ?? []);
      firstLoaded = true;
      store.reset(fetcherFor(q), first);
      scroller.scrollTop = Math.min(scroller.scrollTop, Math.max(0, first.total * ROW_H - scroller.clientHeight));
      learn(first.runs);
      drawAll();
    } catch (e) {
      if (gen !== queryGen || (e as Error).name === "AbortError") return;
      unknown.set([]);
      const msg = e instanceof ApiError ? e.message : String(e);
      if (e instanceof ApiError && e.status === 400) filter.setError(msg.replace(/^filter: /, ""));
      else filter.setError(msg);
    }
  }

  /** Downloads the whole query result (not just the loaded pages) with the columns shown. */
  async function exportCsv(progress: (done: number, total: number | null) => void): Promise<void> {
    const cols = columns();
    const q: RunsQuery = {
      filter: route.filter || undefined,
      sort: route.sort ? [{ path: route.sort.path, order: route.sort.order }] : undefined,
      columns: requestColumns(cols),
      ...visibilityQuery(route.show),
    };
    const runs = await collectRuns((offset, limit) => api.queryRuns(project, { ...q, offset, limit }, ctl.signal), undefined, progress);
    const datetimePaths = new Set(projectAttrs.filter((a) => Object.keys(a.types).length > 0 && Object.keys(a.types).every((t) => t === "datetime")).map((a) => a.path));
    const [ws, name] = splitProject(project);
    downloadFile(safeFileName(`${ws}-${name}-runs`), runsCsv(runs, cols, { datetimePaths }));
  }

  async function discover(): Promise<void> {
    // Every path in the project (column picker, autocompletion, grouping, default columns), asked at once.
    const attrsP = api.projectAttributes(project, ctl.signal).then((a) => a, (e: Error) => e);
    try {
      const res = await api.queryRuns(project, { limit: DISCOVER_LIMIT, offset: 0 }, ctl.signal);
      discovered = res.runs;
      learn(res.runs);
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      filter.setError(e instanceof ApiError ? e.message : String(e));
    }
    const attrs = await attrsP;
    if (destroyed) return;
    // An older server without …/attributes: the names and values seen in loaded runs suffice.
    if (!(attrs instanceof Error)) {
      projectAttrs = attrs;
      filter.setExample(filterExample(projectAttrs, discovered));
    }
    defaults = attrs instanceof Error ? defaultColumns(discovered) : chooseDefaultColumns(attrs, discovered);
    learn([]);
    if (route.columns === null) await runQuery();
    else drawToolbar(); // the columns are the user's: only the grouping menu learns paths
  }

  /** Paths worth grouping by: built-ins and single values (not series or files). */
  function groupablePaths(): string[] {
    const scalar = new Set(["float", "int", "bool", "string", "datetime", "string_set"]);
    const out = new Set<string>(["sys/state", "sys/experiment", "sys/tags"]);
    if (projectAttrs.length) {
      for (const a of projectAttrs) if (Object.keys(a.types).some((t) => scalar.has(t))) out.add(a.path);
    } else {
      for (const p of known) if (/^(config|configs|params|parameters|hparams)\//.test(p)) out.add(p);
    }
    if (route.group) out.add(route.group);
    return Array.from(out);
  }

  function learn(runs: Run[]): void {
    const s = new Set(known);
    for (const p of attributePaths(runs)) s.add(p);
    for (const p of SYS_PATHS) s.add(p);
    for (const a of projectAttrs) s.add(a.path);
    for (const c of columns()) s.add(c);
    known = Array.from(s).sort();
  }

  // ---- drawing ----
  let frame = 0;
  function scheduleDraw(): void {
    if (!frame) frame = requestAnimationFrame(() => {
      frame = 0;
      drawRows();
    });
  }

  function drawAll(): void {
    if (destroyed) return;
    drawHeader();
    drawToolbar();
    rows.clear();
    body.textContent = "";
    drawRows();
  }

  function totalWidth(): number {
    return CHECK_W + columns().reduce((a, c) => a + widthOf(c), 0);
  }

  function drawToolbar(): void {
    const total = grouped ? grouped.total : store.total;
    const unfiltered = grouped ? grouped.unfiltered : store.unfilteredTotal;
    let text = total === 1 ? "1 run" : `${total.toLocaleString()} runs`;
    if (firstLoaded && unfiltered > total) text = `${total.toLocaleString()} of ${unfiltered.toLocaleString()} runs`;
    if (grouped && grouped.total > grouped.runs.length) text += ` (grouping the first ${grouped.runs.length.toLocaleString()})`;
    countEl.textContent = text;
    const opts = groupablePaths();
    if (groupSel.dataset.opts !== opts.join("\n") + "|" + (route.group ?? "")) {
      groupSel.dataset.opts = opts.join("\n") + "|" + (route.group ?? "");
      setChildren(groupSel, h("option", { value: "" }, "No grouping"),
        opts.map((p) => h("option", { value: p, selected: p === route.group }, `Group: ${columnLabel(p)}`)));
      groupSel.value = route.group ?? "";
    }
    const n = route.selected.length;
    compareBtn.textContent = n ? `Compare ${n}` : "Compare";
    compareBtn.classList.toggle("disabled", n === 0);
    compareBtn.setAttribute("href", n ? href({ page: "compare", project, runs: route.selected, search: "", chart: { log: false, smooth: 0, range: null } }) : "#");
    clearSel.hidden = n === 0;
    dashboardBtn.setAttribute("href", href({ page: "dashboard", project, filter: route.filter, selected: route.selected }));
    sweepsBtn.setAttribute("href", href({ page: "sweeps", project, filter: route.filter, selected: route.selected, axes: [] }));
  }

  function drawHeader(): void {
    const w = totalWidth();
    head.style.width = body.style.width = `${w}px`;
    const anySel = route.selected.length > 0;
    const cells: HTMLElement[] = [h("div", { class: "th th-check", style: `width:${CHECK_W}px` },
      h("input", {
        type: "checkbox", checked: anySel && route.selected.length >= store.total, indeterminate: anySel && route.selected.length < store.total, title: anySel ? "Clear selection" : "Select the runs on screen",
        onclick: (e: Event) => {
          e.preventDefault();
          if (anySel) update({ ...route, selected: [] });
          else {
            const [a, b] = visibleRange();
            const ids: string[] = [];
            for (let i = a; i < b && ids.length < 12; i++) { const r = runAt(i); if (r) ids.push(r.run_id); }
            update({ ...route, selected: ids });
          }
        },
      }))];
    for (const c of columns()) {
      const sorted = route.sort?.path === c ? route.sort.order : null;
      const parts = headerParts(c);
      cells.push(h("div", {
        class: "th" + (sorted ? " sorted" : "") + (cellKind(c) === "value" ? " th-num" : ""),
        style: `width:${widthOf(c)}px`,
        title: `${c} — click to sort, drag to move`,
        dataset: { path: c },
        draggable: "true",
        onclick: () => update({ ...route, sort: nextSort(route.sort, c) }),
        ondragstart: (e: DragEvent) => {
          e.dataTransfer?.setData("text/x-sextant-column", c);
          if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
          dragging = c;
        },
        ondragend: () => { dragging = null; clearDropMarks(); },
        ondragover: (e: DragEvent) => {
          if (!dragging || dragging === c) return;
          e.preventDefault();
          const el = e.currentTarget as HTMLElement;
          const after = e.offsetX > el.clientWidth / 2;
          clearDropMarks();
          el.classList.add(after ? "drop-after" : "drop-before");
        },
        ondragleave: (e: DragEvent) => (e.currentTarget as HTMLElement).classList.remove("drop-before", "drop-after"),
        ondrop: (e: DragEvent) => {
          const from = dragging;
          dragging = null;
          clearDropMarks();
          if (!from || from === c) return;
          e.preventDefault();
          const el = e.currentTarget as HTMLElement;
          const cols = columns().filter((x) => x !== from);
          const idx = cols.indexOf(c) + (e.offsetX > el.clientWidth / 2 ? 1 : 0);
          update({ ...route, columns: moveColumn(columns(), from, idx) });
        },
      },
        h("span", { class: "th-label" },
          h("span", { class: "th-group" }, parts.group),
          h("span", { class: "th-name" }, parts.name)),
        h("span", { class: "sort-ind" }, sorted === "asc" ? "▲" : sorted === "desc" ? "▼" : ""),
        h("button", {
          class: "th-remove", title: `Remove column ${c}`,
          onclick: (e: Event) => {
            e.stopPropagation();
            update({ ...route, columns: removeColumn(columns(), c) });
          },
        }, "×"),
        h("span", {
          class: "th-resize", title: "Drag to resize, double-click for the default width",
          onclick: (e: Event) => e.stopPropagation(),
          ondblclick: (e: Event) => {
            e.stopPropagation();
            const { [c]: _drop, ...rest } = route.widths ?? {};
            update(withWidths(route, rest));
          },
          onmousedown: (e: MouseEvent) => startResize(e, c),
        }),
      ));
    }
    setChildren(head, cells);
  }

  let dragging: string | null = null;
  function clearDropMarks(): void {
    for (const el of head.querySelectorAll(".drop-before, .drop-after")) el.classList.remove("drop-before", "drop-after");
  }

  function startResize(e: MouseEvent, c: string): void {
    e.preventDefault(); // no text selection, no column drag
    e.stopPropagation();
    const x0 = e.clientX;
    const w0 = widthOf(c);
    let raf = 0;
    const move = (ev: MouseEvent) => {
      liveWidths = { ...(route.widths ?? {}), [c]: clampWidth(w0 + ev.clientX - x0) };
      if (!raf) raf = requestAnimationFrame(() => { raf = 0; drawAll(); });
    };
    const up = () => {
      document.removeEventListener("mousemove", move);
      document.removeEventListener("mouseup", up);
      cancelAnimationFrame(raf);
      const w = liveWidths;
      liveWidths = null;
      if (w && w[c] !== widthOf(c)) update(withWidths(route, w));
      else drawAll();
    };
    document.addEventListener("mousemove", move);
    document.addEventListener("mouseup", up);
  }

  function visibleRange(): [number, number] {
    const top = scroller.scrollTop;
    const hgt = scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(rowCount(), Math.ceil((top + hgt) / ROW_H) + OVERSCAN);
    return [first, last];
  }

  const rows = new Map<number, { el: HTMLElement; run: Run | string | undefined }>();
  function drawRows(): void {
    if (destroyed) return;
    body.style.height = `${rowCount() * ROW_H}px`;
    drawToolbar();
    empty.hidden = !firstLoaded || rowCount() > 0;
    setChildren(empty, route.filter ? "No runs match the filter." : route.show === "trash" ? "The trash is empty." : "No runs in this project yet.");
    const [first, last] = visibleRange();
    if (!route.group) store.ensure(first, last);
    for (const [i, r] of rows) {
      if (i < first || i >= last) {
        r.el.remove();
        rows.delete(i);
      }
    }
    const cols = columns();
    const sel = new Set(route.selected);
    for (let i = first; i < last; i++) {
      const item = itemAt(i);
      if (item?.kind === "group") {
        const key = `${item.key}|${item.collapsed}|${item.count}`;
        const have = rows.get(i);
        if (have && have.run === key) continue;
        const el = drawGroupRow(i, item);
        if (have) have.el.replaceWith(el);
        else body.appendChild(el);
        rows.set(i, { el, run: key });
        continue;
      }
      const run = item?.run;
      const have = rows.get(i);
      if (have && have.run === run && (!run || have.el.classList.contains("selected") === sel.has(run.run_id))) continue;
      const el = drawRow(i, run, cols, sel);
      if (have) have.el.replaceWith(el);
      else body.appendChild(el);
      rows.set(i, { el, run });
    }
  }

  function drawGroupRow(i: number, g: Extract<TableItem, { kind: "group" }>): HTMLElement {
    return h("div", {
      class: "tr group-row" + (g.collapsed ? " collapsed" : ""), style: `transform:translateY(${i * ROW_H}px);width:${totalWidth()}px`,
      dataset: { group: g.label }, role: "button", title: g.collapsed ? "Expand" : "Collapse",
      onclick: () => {
        if (collapsed.has(g.key)) collapsed.delete(g.key);
        else collapsed.add(g.key);
        if (grouped && route.group) items = groupItems(groupRuns(grouped.runs, route.group), collapsed);
        drawAll();
      },
    },
      h("span", { class: "group-caret" }, g.collapsed ? "▸" : "▾"),
      h("span", { class: "group-path" }, columnLabel(route.group ?? "")),
      h("span", { class: "group-label" }, g.label),
      h("span", { class: "group-count" }, g.count === 1 ? "1 run" : `${g.count.toLocaleString()} runs`));
  }

  function drawRow(i: number, run: Run | undefined, cols: string[], sel: Set<string>): HTMLElement {
    const style = `transform:translateY(${i * ROW_H}px)`;
    if (!run) {
      return h("div", { class: "tr loading", style },
        h("div", { class: "td", style: `width:${CHECK_W}px` }),
        cols.map((c) => h("div", { class: "td", style: `width:${widthOf(c)}px` }, h("span", { class: "skeleton" }))));
    }
    const isSel = sel.has(run.run_id);
    const selIdx = route.selected.indexOf(run.run_id);
    const cells: HTMLElement[] = [h("div", { class: "td td-check", style: `width:${CHECK_W}px` },
      h("input", {
        type: "checkbox", checked: isSel, "aria-label": `Select ${run.name || run.run_id}`,
        onchange: (e: Event) => {
          const on = (e.target as HTMLInputElement).checked;
          const next = route.selected.filter((x) => x !== run.run_id);
          if (on) next.push(run.run_id);
          update({ ...route, selected: next });
        },
      }),
      isSel ? h("i", { class: "swatch", style: `background:${runColor(selIdx)}` }) : null,
    )];
    for (const c of cols) cells.push(h("div", { class: `td td-${cellKind(c)}`, style: `width:${widthOf(c)}px` }, cell(run, c)));
    const archived = isArchived(run.attributes);
    return h("div", { class: "tr" + (isSel ? " selected" : "") + (i % 2 ? " odd" : "") + (archived ? " archived" : ""), style, dataset: { run: run.run_id } }, cells);
  }

  function cell(run: Run, c: string): Node | string {
    const v = cellValue(run, c);
    switch (cellKind(c)) {
      case "name":
        return h("a", { class: "run-link", href: href({ page: "run", project, runId: run.run_id, search: "", chart: { log: false, smooth: 0, range: null } }), title: run.run_id },
          String(v), run.fork_run_id ? h("span", { class: "fork-mark", title: `forked from ${run.fork_run_id} at step ${run.fork_step}` }, icon("fork")) : null,
          isArchived(run.attributes) ? h("span", { class: "archived-mark", title: "Archived: hidden unless the table shows archived runs" }, "archived") : null);
      case "state":
        return stateBadge(run.state);
      case "time":
        return h("span", { title: formatTime(v as number) }, formatAgo(v as number));
      case "tags":
        return tagChips(Array.isArray(v) ? (v as string[]) : [], (t) => setFilter(addTagFilter(route.filter, t)), (t) => {
          setActionError(null);
          removeTag(project, run.run_id, t).then(() => runQuery(), (e) => setActionError(`Removing tag "${t}" from ${run.name || run.run_id}: ${errorText(e)}`));
        });
      case "text":
        if (isLongText(v)) return textCell(c, v, String);
        return h("span", { title: String(v ?? "") }, String(v ?? ""));
      default: {
        if (isLongText(v)) return textCell(c, v, String);
        const s = formatValue(v);
        return h("span", { class: typeof v === "number" || v === "NaN" || v === "Infinity" || v === "-Infinity" ? "num" : "", title: s }, s);
      }
    }
  }

  // ---- columns menu ----
  function toggleColumnsMenu(): void {
    colsMenu.hidden = !colsMenu.hidden;
    if (!colsMenu.hidden) drawColumnsMenu();
  }
  const colSearch = h("input", { class: "input", placeholder: "Search, or type a path or min(series), Enter to add", oninput: () => drawColumnList(),
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === "Enter" && colSearch.value.trim()) {
        update({ ...route, columns: addColumn(columns(), colSearch.value.trim()) });
        colSearch.value = "";
        drawColumnList();
      } else if (e.key === "Escape") colsMenu.hidden = true;
    } });
  const colList = h("div", { class: "cols-list" });
  function drawColumnsMenu(): void {
    setChildren(colsMenu,
      colSearch, colList,
      h("div", { class: "popover-foot" },
        h("button", { class: "link", onclick: () => { update({ ...route, columns: null }); drawColumnList(); } }, "Reset to default"),
        h("button", { class: "link", onclick: () => { colsMenu.hidden = true; } }, "Done")),
    );
    drawColumnList();
    colSearch.focus();
  }
  function drawColumnList(): void {
    const q = colSearch.value.trim().toLowerCase();
    const cols = columns();
    const all = Array.from(new Set([...cols, ...known])).filter((p) => p.toLowerCase().includes(q)).slice(0, 300);
    setChildren(colList, columnItems(all, cols, floatSeries(), (next) => {
      update({ ...route, columns: next });
      drawColumnList();
    }));
  }
  /** Float series paths: the ones with aggregates (min, max, …) to offer as columns. */
  function floatSeries(): Set<string> {
    return new Set(projectAttrs.filter((a) => (a.types.float_series ?? 0) > 0).map((a) => a.path));
  }
  // ---- saved views ----
  let views: SavedView[] = [];
  /** every saved entry, dashboards included (a name is shared by both kinds) */
  let allSaved: SavedView[] = [];
  let viewsError = "";
  const viewName = h("input", { class: "input view-name", placeholder: "Name this view", maxlength: 200,
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === "Enter") void saveView();
      else if (e.key === "Escape") viewsMenu.hidden = true;
    } });
  const viewList = h("div", { class: "views-list" });
  const viewErr = h("div", { class: "views-error" });
  function toggleViewsMenu(): void {
    viewsMenu.hidden = !viewsMenu.hidden;
    if (viewsMenu.hidden) return;
    colsMenu.hidden = true;
    setChildren(viewsMenu,
      h("div", { class: "views-save" }, viewName, h("button", { class: "btn primary view-save", onclick: () => void saveView() }, "Save")),
      h("div", { class: "views-hint" }, "Saves the filter, sort, columns (order, widths), grouping and which runs are listed (archived, trash)."),
      viewErr, viewList);
    viewsError = "";
    drawViewList();
    viewName.focus();
    void loadViews();
  }
  async function loadViews(): Promise<void> {
    try {
      allSaved = await api.views(project, ctl.signal);
      views = viewsOfKind(allSaved, "table").sort((a, b) => a.name.localeCompare(b.name));
      viewsError = "";
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      viewsError = e instanceof ApiError ? e.message : String(e);
    }
    drawViewList();
  }
  async function saveView(): Promise<void> {
    const name = viewName.value.trim();
    const bad = viewNameError(name);
    if (bad) {
      viewsError = bad;
      drawViewList();
      return;
    }
    if (allSaved.some((v) => v.name === name && viewKind(v.state) !== "table")) {
      viewsError = `A dashboard is saved as "${name}": choose another name`;
      drawViewList();
      return;
    }
    try {
      await api.putView(project, name, serializeView(viewFromRoute(route)));
      viewName.value = "";
      viewsError = "";
    } catch (e) {
      viewsError = e instanceof ApiError ? e.message : String(e);
    }
    await loadViews();
  }
  function drawViewList(): void {
    viewErr.textContent = viewsError;
    viewErr.hidden = !viewsError;
    if (!views.length) {
      setChildren(viewList, h("div", { class: "views-empty" }, "No saved views yet."));
      return;
    }
    setChildren(viewList, views.map((v) => h("div", { class: "view-item", dataset: { view: v.name } },
      h("button", { class: "view-open", title: "Restore this view", onclick: () => {
        const next = applyView(route, parseView(v.state));
        filter.setValue(next.filter);
        viewsMenu.hidden = true;
        update(next);
      } }, v.name),
      h("span", { class: "view-time", title: formatTime(v.updated_at) }, formatAgo(v.updated_at)),
      h("button", { class: "view-delete", title: `Delete view ${v.name}`, onclick: async () => {
        try {
          await api.deleteView(project, v.name);
        } catch (e) {
          viewsError = e instanceof ApiError ? e.message : String(e);
        }
        await loadViews();
      } }, "×"))));
  }

  const onDocClick = (e: MouseEvent) => {
    for (const m of [colsMenu, viewsMenu]) {
      if (!m.hidden && !m.parentElement!.contains(e.target as Node)) m.hidden = true;
    }
  };
  document.addEventListener("mousedown", onDocClick);

  // ---- live ----
  let ticks = 0;
  const unsub = live().subscribe({ kind: "project", project }, async (notice) => {
    ticks++;
    const [a, b] = visibleRange();
    let anyRunning = false;
    for (let i = a; i < b; i++) if (runAt(i)?.state === "running") anyRunning = true;
    // A poll of an idle table refreshes every 5th tick; a server event always.
    if (notice.kind === "tick" && !anyRunning && ticks % 5 !== 0) return;
    if (route.group) {
      await runQuery();
      return;
    }
    const before = store.total;
    await store.refresh(a, Math.max(b, 1));
    if (store.total !== before) drawAll();
  });

  async function loadProject(): Promise<void> {
    try {
      notes.set((await api.project(project, ctl.signal)).description ?? "");
    } catch (e) {
      // An older server has no project object: no description to show then.
      if ((e as Error).name !== "AbortError" && !(e instanceof ApiError && (e.status === 404 || e.status === 405))) setActionError(`Project description: ${errorText(e)}`);
    }
  }

  drawAll();
  bulk.draw();
  void loadProject();
  if (route.columns === null) void discover();
  else {
    void runQuery();
    void discover();
  }

  return {
    update(next: Route): boolean {
      if (next.page !== "runs" || next.project !== project) return false;
      filter.setValue(next.filter);
      update(next);
      return true;
    },
    destroy() {
      destroyed = true;
      ctl.abort();
      unsub();
      cancelAnimationFrame(frame);
      document.removeEventListener("mousedown", onDocClick);
    },
  };
}

/** Adds `sys/tags contains "t"` to a filter (a tag chip click). */
export function addTagFilter(filter: string, tag: string): string {
  const cond = `sys/tags contains ${JSON.stringify(tag)}`;
  const f = filter.trim();
  if (f.includes(cond)) return f;
  return f ? `(${f}) and ${cond}` : cond;
}

function withGroup(r: Extract<Route, { page: "runs" }>, group: string | null): Extract<Route, { page: "runs" }> {
  const { group: _old, ...rest } = r;
  return group ? { ...rest, group } : rest;
}

function withShow(r: Extract<Route, { page: "runs" }>, show: Extract<Route, { page: "runs" }>["show"]): Extract<Route, { page: "runs" }> {
  const { show: _old, ...rest } = r;
  return show ? { ...rest, show } : rest;
}

function withWidths(r: Extract<Route, { page: "runs" }>, widths: Record<string, number>): Extract<Route, { page: "runs" }> {
  const { widths: _old, ...rest } = r;
  return Object.keys(widths).length ? { ...rest, widths } : rest;
}
