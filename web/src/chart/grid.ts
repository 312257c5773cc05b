// A searchable grid of chart cards, grouped by the first path segment.
//
// Two levels of laziness keep a run with thousands of series fast:
//  - windowing: each section is a fixed-height box that holds DOM only for the
//    rows of cards near the viewport, so 5,000 series cost a screenful of nodes;
//  - lazy mounting: a card's chart is created (and its data fetched) only when
//    an IntersectionObserver sees the card, and destroyed when it leaves.

import { api } from "../lib/api";
import { safeFileName } from "../lib/csv";
import { h, setChildren } from "../lib/dom";
import { downloadFile, runExport, seriesCsv, seriesPageQuery } from "../lib/export";
import { columnsFor, groupItems, rowWindow, type GridItem } from "../lib/search";
import type { ChartPrefs } from "../lib/url";
import { SeriesChart, type ChartInfo, type ChartRun, type StepMarker } from "./chart";
import { HeatmapChart } from "./heatmap";
import { FileView, ImageLatestView, ImageSeriesView } from "./images";
import { LogView } from "./log";

export { matchSearch, type GridItem } from "../lib/search";

export interface GridSpec {
  project: string;
  runs: ChartRun[];
  prefs: ChartPrefs;
  onZoom(range: [number, number] | null): void;
  chartHeight?: number;
  /** vertical lines at these steps (e.g. fork points) */
  markers?: StepMarker[];
  /** narrowest chart card in CSS px (default 340) */
  minCardWidth?: number;
  /** first part of a chart's CSV file name (the run id, or "compare") */
  exportName?: string;
}

interface Mounted {
  refresh(): Promise<void> | void;
  destroy(): void;
  setPrefs?(p: ChartPrefs): void;
}

interface Card {
  item: GridItem;
  el: HTMLElement;
  mounted: Mounted | null;
}

const GAP = 10;
const MIN_CARD_W = 340;
const MIN_LOG_W = 690;
/** Extra rows rendered above and below the viewport, in px. */
const OVERSCAN_PX = 600;

class Section {
  readonly el: HTMLElement;
  private box: HTMLDivElement;
  private win: HTMLDivElement;
  private cols = 1;
  private range: [number, number] = [0, 0];
  /** Rendered cards by item index. */
  readonly cards = new Map<number, Card>();

  constructor(
    readonly name: string,
    readonly items: GridItem[],
    readonly collapsed: boolean,
    private readonly rowH: number,
    private readonly minCardW: number,
    onToggle: () => void,
  ) {
    const head = h("button", { class: "section-head" + (collapsed ? " collapsed" : ""), onclick: onToggle },
      h("span", { class: "caret" }, "▾"), h("span", null, name || "(root)"), h("span", { class: "count" }, String(items.length)));
    this.win = h("div", { class: "chart-grid" });
    this.box = h("div", { class: "grid-box" }, this.win);
    this.el = h("section", { class: "chart-section" }, head, collapsed ? null : this.box);
  }

  private get minW(): number {
    return this.items[0]?.kind === "string" ? Math.max(MIN_LOG_W, this.minCardW) : this.minCardW;
  }

  /** Lays out for the current width and viewport; returns cards that appeared and disappeared. */
  update(viewTop: number, viewBottom: number, make: (item: GridItem) => Card): { added: Card[]; removed: Card[] } {
    if (this.collapsed) return { added: [], removed: [] };
    const width = this.box.clientWidth || 800;
    const cols = columnsFor(width, this.minW, GAP);
    const rows = Math.ceil(this.items.length / cols);
    if (cols !== this.cols) {
      this.cols = cols;
      this.win.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
    }
    this.box.style.height = `${Math.max(0, rows * (this.rowH + GAP) - GAP)}px`;
    const top = this.box.getBoundingClientRect().top;
    const [r0, r1] = rowWindow(rows, this.rowH + GAP, viewTop - top - OVERSCAN_PX, viewBottom - top + OVERSCAN_PX);
    const from = r0 * cols;
    const to = Math.min(this.items.length, r1 * cols);
    const added: Card[] = [];
    const removed: Card[] = [];
    this.win.style.transform = `translateY(${r0 * (this.rowH + GAP)}px)`;
    if (from === this.range[0] && to === this.range[1]) return { added, removed };
    this.range = [from, to];
    for (const [i, c] of this.cards) {
      if (i < from || i >= to) {
        removed.push(c);
        this.cards.delete(i);
      }
    }
    const els: HTMLElement[] = [];
    for (let i = from; i < to; i++) {
      let c = this.cards.get(i);
      if (!c) {
        c = make(this.items[i]);
        this.cards.set(i, c);
        added.push(c);
      }
      els.push(c.el);
    }
    // Reorder in place: moving an element keeps a mounted chart's canvas.
    els.forEach((el, k) => {
      if (this.win.children[k] !== el) this.win.insertBefore(el, this.win.children[k] ?? null);
    });
    while (this.win.children.length > els.length) this.win.lastElementChild!.remove();
    return { added, removed };
  }
}

export class ChartGrid {
  readonly el: HTMLDivElement;
  private items: GridItem[] = [];
  private sections: Section[] = [];
  private byEl = new Map<Element, Card>();
  private collapsed = new Set<string>();
  private readonly io: IntersectionObserver;
  private readonly ro: ResizeObserver;
  private scroller: HTMLElement | null = null;
  private frame = 0;
  private readonly onScroll = () => this.schedule();

  constructor(private spec: GridSpec) {
    this.el = h("div", { class: "grid-root" });
    this.io = new IntersectionObserver((entries) => this.onIntersect(entries), { rootMargin: "200px 0px" });
    this.ro = new ResizeObserver(() => this.schedule());
    this.ro.observe(this.el);
  }

  private get cardH(): number {
    return (this.spec.chartHeight ?? 180) + 54;
  }

  setItems(items: GridItem[]): void {
    const key = (it: GridItem) => `${it.kind}\u0000${it.path}\u0000${it.runs?.join("\u0001") ?? ""}\u0000${it.note ?? ""}`;
    const same = items.length === this.items.length && items.every((it, i) => key(it) === key(this.items[i]));
    if (same) return;
    this.items = items;
    this.rebuild();
  }

  setPrefs(prefs: ChartPrefs): void {
    this.spec = { ...this.spec, prefs };
    for (const c of this.byEl.values()) c.mounted?.setPrefs?.(prefs);
  }

  setMarkers(markers: StepMarker[]): void {
    this.spec = { ...this.spec, markers };
    this.rebuild();
  }

  setRuns(runs: ChartRun[]): void {
    this.spec = { ...this.spec, runs };
    this.rebuild();
  }

  /** Refetches mounted cards (all, or those whose path is in `paths`). */
  refresh(paths?: Set<string>): void {
    for (const c of this.byEl.values()) {
      if (c.mounted && (!paths || paths.has(c.item.path))) void c.mounted.refresh();
    }
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.io.disconnect();
    this.ro.disconnect();
    this.scroller?.removeEventListener("scroll", this.onScroll);
    for (const c of this.byEl.values()) c.mounted?.destroy();
    this.byEl.clear();
  }

  private rebuild(): void {
    for (const c of this.byEl.values()) {
      this.io.unobserve(c.el);
      c.mounted?.destroy();
    }
    this.byEl.clear();
    this.sections = Array.from(groupItems(this.items), ([name, list]) => new Section(name, list, this.collapsed.has(name), this.cardH, this.spec.minCardWidth ?? MIN_CARD_W, () => {
      if (this.collapsed.has(name)) this.collapsed.delete(name);
      else this.collapsed.add(name);
      this.rebuild();
    }));
    setChildren(this.el, this.sections.map((s) => s.el));
    this.layout();
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.layout();
    });
  }

  private layout(): void {
    if (!this.el.isConnected) {
      this.schedule();
      return;
    }
    if (!this.scroller) {
      this.scroller = scrollParent(this.el);
      (this.scroller ?? window).addEventListener("scroll", this.onScroll, { passive: true });
    }
    const view = this.scroller ? this.scroller.getBoundingClientRect() : { top: 0, bottom: window.innerHeight };
    for (const s of this.sections) {
      const { added, removed } = s.update(view.top, view.bottom, (item) => this.card(item));
      for (const c of removed) {
        this.io.unobserve(c.el);
        this.unmount(c);
        this.byEl.delete(c.el);
      }
      for (const c of added) {
        this.byEl.set(c.el, c);
        this.io.observe(c.el);
      }
    }
  }

  /** A placeholder: one element (its title is drawn by CSS from data-path) until it mounts. */
  private card(item: GridItem): Card {
    const el = h("div", {
      class: "card" + (item.kind === "string" ? " card-log" : ""),
      dataset: { path: item.path, kind: item.kind },
    });
    el.style.height = `${this.cardH}px`;
    return { item, el, mounted: null };
  }

  private onIntersect(entries: IntersectionObserverEntry[]): void {
    // Measure every card first, then mount: interleaving reads and DOM writes
    // would force a layout per chart.
    const toMount: [Card, number][] = [];
    for (const e of entries) {
      const card = this.byEl.get(e.target);
      if (!card) continue;
      if (e.isIntersecting && !card.mounted) toMount.push([card, e.boundingClientRect.width - 8]);
      else if (!e.isIntersecting && card.mounted) this.unmount(card);
    }
    for (const [card, width] of toMount) this.mount(card, width);
  }

  /** Every raw point of `path` for the grid's runs, in the zoomed step range if any, as a CSV download. */
  private async exportCsv(path: string, runs: ChartRun[], pageSize: number | undefined, progress: (done: number, total: number | null) => void): Promise<void> {
    const { project, prefs } = this.spec;
    const parts = await seriesCsv(
      async (runId, after, limit) => (await api.series(project, seriesPageQuery(runId, path, after, limit, prefs.range)))
        .find((s) => s.run_id === runId),
      runs.map((r) => r.runId), pageSize, progress);
    downloadFile(safeFileName(`${this.spec.exportName ?? "chart"}-${path}`), parts);
  }

  private unmount(card: Card): void {
    if (!card.mounted) return;
    card.mounted.destroy();
    card.mounted = null;
    card.el.textContent = "";
    card.el.classList.remove("mounted");
  }

  /** The runs a card draws: the item's subset of the grid's, in the grid's order. */
  private runsOf(item: GridItem): ChartRun[] {
    const only = item.runs;
    return only ? this.spec.runs.filter((r) => only.includes(r.runId)) : this.spec.runs;
  }

  private mount(card: Card, width: number): void {
    const path = card.item.path;
    const runs = this.runsOf(card.item);
    const slash = path.lastIndexOf("/");
    const title = h("div", { class: "card-title", title: path },
      slash >= 0 ? h("span", { class: "dim" }, path.slice(0, slash + 1)) : null,
      h("span", null, path.slice(slash + 1)),
    );
    const badges = h("div", { class: "card-badges" });
    const body = h("div", { class: "card-body" });
    body.style.height = `${(this.spec.chartHeight ?? 180) + 22}px`;
    const csvBtn = h("button", {
      class: "icon-btn card-csv", style: "font-size:11px;padding:0 2px",
      title: "Download every point of this chart (its runs, its zoomed step range) as CSV",
      onclick: () => void runExport(csvBtn, (progress) => this.exportCsv(path, runs, card.item.kind === "histogram" ? 5_000 : undefined, progress)),
    }, "CSV");
    const isFile = card.item.kind === "files" || card.item.kind === "file";
    const note = card.item.note ? h("span", { class: "card-note", title: card.item.noteTitle ?? card.item.note }, card.item.note) : null;
    setChildren(card.el, h("div", { class: "card-head" }, title, note,
      h("div", { style: "display:flex;align-items:center;gap:6px;flex:none" }, badges, isFile ? null : csvBtn)), body);
    card.el.classList.add("mounted");
    if (isFile) {
      const { project, runs } = this.spec;
      const view = card.item.kind === "file" ? new FileView(body, project, runs[0], path)
        : runs.length === 1 ? new ImageSeriesView(body, project, runs[0], path) : new ImageLatestView(body, project, runs, path);
      card.mounted = { refresh: () => view.load(), destroy: () => view.destroy() };
      void view.load();
      return;
    }
    if (card.item.kind === "string") {
      const log = new LogView(body, this.spec.project, this.spec.runs, path);
      card.mounted = { refresh: () => log.refresh(), destroy: () => log.destroy() };
      void log.load();
      return;
    }
    if (card.item.kind === "histogram") {
      const hm = new HeatmapChart(body, {
        project: this.spec.project, path, runs: this.spec.runs, prefs: this.spec.prefs, height: this.spec.chartHeight ?? 180,
      }, width);
      card.mounted = { refresh: () => hm.load(), destroy: () => hm.destroy(), setPrefs: (p) => hm.setPrefs(p) };
      void hm.load();
      return;
    }
    const chart = new SeriesChart(body, {
      project: this.spec.project,
      path,
      runs,
      prefs: this.spec.prefs,
      height: this.spec.chartHeight ?? 180,
      markers: this.spec.markers,
      onZoom: (r) => this.spec.onZoom(r),
      onInfo: (info) => setBadges(badges, info),
    }, width);
    card.mounted = { refresh: () => chart.load(), destroy: () => chart.destroy(), setPrefs: (p) => chart.setPrefs(p) };
    void chart.load();
  }
}

function scrollParent(el: HTMLElement): HTMLElement | null {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowY;
    if (o === "auto" || o === "scroll") return p;
  }
  return null;
}

function setBadges(el: HTMLElement, info: ChartInfo): void {
  setChildren(el,
    info.nanCount > 0 ? h("span", { class: "badge-nan", title: `${info.nanCount} NaN points (red ticks at the bottom)` }, `NaN ×${info.nanCount}`) : null,
    info.infCount > 0 ? h("span", { class: "badge-inf", title: "buckets reaching ±Infinity (triangles at the edges)" }, `Inf ×${info.infCount}`) : null,
  );
}
