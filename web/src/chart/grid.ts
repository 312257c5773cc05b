// A searchable grid of chart cards, grouped by the first path segment. Cards
// are cheap placeholders; a chart mounts only while its card is near the
// viewport (IntersectionObserver) and is destroyed when it scrolls away, so a
// run with thousands of series opens as fast as one with ten.

import { h, setChildren } from "../lib/dom";
import type { ChartPrefs } from "../lib/url";
import { SeriesChart, type ChartInfo, type ChartRun, type StepMarker } from "./chart";
import { LogView } from "./log";
import { groupItems, groupOf, type GridItem } from "../lib/search";

export { matchSearch, type GridItem } from "../lib/search";

export interface GridSpec {
  project: string;
  runs: ChartRun[];
  prefs: ChartPrefs;
  onZoom(range: [number, number] | null): void;
  chartHeight?: number;
  /** vertical lines at these steps (e.g. fork points) */
  markers?: StepMarker[];
}

interface Mounted {
  refresh(): Promise<void> | void;
  destroy(): void;
  setPrefs?(p: ChartPrefs): void;
}

interface Card {
  item: GridItem;
  el: HTMLElement;
  body: HTMLElement;
  badges: HTMLElement;
  mounted: Mounted | null;
}

/** Groups larger than this start collapsed, so the page stays light. */
const COLLAPSE_ABOVE = 20000;

export class ChartGrid {
  readonly el: HTMLDivElement;
  private cards = new Map<Element, Card>();
  private byPath = new Map<string, Card>();
  private items: GridItem[] = [];
  private collapsed = new Set<string>();
  private readonly io: IntersectionObserver;

  constructor(private spec: GridSpec) {
    this.el = h("div", { class: "grid-root" });
    this.io = new IntersectionObserver((entries) => this.onIntersect(entries), { rootMargin: "300px 0px" });
  }

  setItems(items: GridItem[]): void {
    const same = items.length === this.items.length && items.every((it, i) => it.path === this.items[i].path && it.kind === this.items[i].kind);
    if (same) return;
    const groups = groupItems(items);
    for (const [g, list] of groups) if (list.length > COLLAPSE_ABOVE && !this.items.some((it) => groupOf(it.path) === g)) this.collapsed.add(g);
    this.items = items;
    this.rebuild();
  }

  setPrefs(prefs: ChartPrefs): void {
    this.spec = { ...this.spec, prefs };
    for (const c of this.cards.values()) c.mounted?.setPrefs?.(prefs);
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
    for (const c of this.cards.values()) {
      if (c.mounted && (!paths || paths.has(c.item.path))) void c.mounted.refresh();
    }
  }

  /** Number of cards with a chart mounted now (for tests and diagnostics). */
  mountedCount(): number {
    let n = 0;
    for (const c of this.cards.values()) if (c.mounted) n++;
    return n;
  }

  destroy(): void {
    this.io.disconnect();
    for (const c of this.cards.values()) c.mounted?.destroy();
    this.cards.clear();
    this.byPath.clear();
  }

  private rebuild(): void {
    this.io.disconnect();
    for (const c of this.cards.values()) c.mounted?.destroy();
    this.cards.clear();
    this.byPath.clear();
    const sections: HTMLElement[] = [];
    for (const [group, list] of groupItems(this.items)) {
      const isCollapsed = this.collapsed.has(group);
      const head = h("button", {
        class: "section-head" + (isCollapsed ? " collapsed" : ""),
        onclick: () => {
          if (this.collapsed.has(group)) this.collapsed.delete(group);
          else this.collapsed.add(group);
          this.rebuild();
        },
      }, h("span", { class: "caret" }, "▾"), h("span", null, group || "(root)"), h("span", { class: "count" }, String(list.length)));
      const grid = h("div", { class: "chart-grid" });
      if (!isCollapsed) for (const item of list) grid.appendChild(this.card(item));
      sections.push(h("section", { class: "chart-section" }, head, isCollapsed ? null : grid));
    }
    setChildren(this.el, sections);
    for (const el of this.cards.keys()) this.io.observe(el);
  }

  private card(item: GridItem): HTMLElement {
    const slash = item.path.lastIndexOf("/");
    const title = h("div", { class: "card-title", title: item.path },
      slash >= 0 ? h("span", { class: "dim" }, item.path.slice(0, slash + 1)) : null,
      h("span", null, item.path.slice(slash + 1)),
    );
    const badges = h("div", { class: "card-badges" });
    const body = h("div", { class: "card-body" });
    const height = (this.spec.chartHeight ?? 180) + 22;
    body.style.height = `${height}px`;
    const el = h("div", {
      class: "card" + (item.kind === "string" ? " card-log" : ""),
      dataset: { path: item.path, kind: item.kind },
    }, h("div", { class: "card-head" }, title, badges), body);
    const card: Card = { item, el, body, badges, mounted: null };
    this.cards.set(el, card);
    this.byPath.set(item.path, card);
    return el;
  }

  private onIntersect(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      const card = this.cards.get(e.target);
      if (!card) continue;
      if (e.isIntersecting && !card.mounted) this.mount(card);
      else if (!e.isIntersecting && card.mounted) {
        card.mounted.destroy();
        card.mounted = null;
        card.body.textContent = "";
        card.el.classList.remove("mounted");
      }
    }
  }

  private mount(card: Card): void {
    card.el.classList.add("mounted");
    if (card.item.kind === "string") {
      const log = new LogView(card.body, this.spec.project, this.spec.runs, card.item.path);
      card.mounted = { refresh: () => log.refresh(), destroy: () => log.destroy() };
      void log.load();
      return;
    }
    const chart = new SeriesChart(card.body, {
      project: this.spec.project,
      path: card.item.path,
      runs: this.spec.runs,
      prefs: this.spec.prefs,
      height: this.spec.chartHeight ?? 180,
      markers: this.spec.markers,
      onZoom: (r) => this.spec.onZoom(r),
      onInfo: (info) => setBadges(card.badges, info),
    });
    card.mounted = { refresh: () => chart.load(), destroy: () => chart.destroy(), setPrefs: (p) => chart.setPrefs(p) };
    void chart.load();
  }
}

function setBadges(el: HTMLElement, info: ChartInfo): void {
  setChildren(el,
    info.nanCount > 0 ? h("span", { class: "badge-nan", title: `${info.nanCount} NaN points (red ticks at the bottom)` }, `NaN ×${info.nanCount}`) : null,
    info.infCount > 0 ? h("span", { class: "badge-inf", title: "buckets reaching ±Infinity (triangles at the edges)" }, `Inf ×${info.infCount}`) : null,
  );
}
