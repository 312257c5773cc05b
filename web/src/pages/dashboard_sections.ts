// The dashboard's sections and panel cards: collapse, pin, add and remove,
// S/M/L size, and drag-and-drop to reorder panels (within or across
// sections). Every change goes through `change` with a new layout; the page
// redraws from it. Charts mount when their card comes into view.

import {
  matchMetrics, movePanel, newPanel, PANEL_SIZES, removePanel, updatePanel, updateSection, xIsSeries,
  type Dashboard, type Panel, type PanelRef,
} from "../lib/dashboard";
import { h } from "../lib/dom";
import type { ChartRun } from "../chart/chart";
import { PanelChart } from "./dashboard_chart";
import { panelEditor } from "./dashboard_editor";

export interface SectionsSpec {
  project: string;
  runs: ChartRun[];
  /** the project's float series */
  paths: string[];
  change(next: Dashboard): void;
}

const CHART_H = 190;
const DRAG_TYPE = "application/x-sextant-panel";

export class DashboardSections {
  readonly el: HTMLDivElement;
  private charts = new Map<Element, { chart: PanelChart | null; mount: () => PanelChart }>();
  private readonly io: IntersectionObserver;
  private dash: Dashboard = { version: 1, sections: [] };
  /** the panel being edited ("s:p"), or the section a new panel is added to ("s:new") */
  private editing: string | null = null;

  constructor(private spec: SectionsSpec) {
    this.el = h("div", { class: "dash-sections" });
    this.io = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const c = this.charts.get(e.target);
        if (c && e.isIntersecting && !c.chart) c.chart = c.mount();
      }
    }, { rootMargin: "200px 0px" });
  }

  setRuns(runs: ChartRun[], paths: string[]): void {
    this.spec = { ...this.spec, runs, paths };
    this.draw(this.dash);
  }

  draw(dash: Dashboard): void {
    this.dash = dash;
    this.unmountAll();
    const order = dash.sections.map((_, i) => i);
    const pinned = order.filter((i) => dash.sections[i].pinned);
    const rest = order.filter((i) => !dash.sections[i].pinned);
    this.el.replaceChildren(...[...pinned, ...rest].map((i) => this.section(i)));
  }

  destroy(): void {
    this.unmountAll();
    this.io.disconnect();
  }

  private unmountAll(): void {
    for (const [el, c] of this.charts) {
      this.io.unobserve(el);
      c.chart?.destroy();
    }
    this.charts.clear();
  }

  private section(si: number): HTMLElement {
    const s = this.dash.sections[si];
    const change = (fn: (d: Dashboard) => Dashboard) => this.spec.change(fn(this.dash));
    const head = h("div", { class: "dash-section-head" },
      h("button", {
        class: "section-head" + (s.collapsed ? " collapsed" : ""), title: s.collapsed ? "Expand" : "Collapse",
        onclick: () => change((d) => updateSection(d, si, (x) => ({ ...x, collapsed: !x.collapsed }))),
      }, h("span", { class: "caret" }, "▾"), h("span", { class: "dash-section-name" }, s.name || "(root)"), h("span", { class: "count" }, String(s.panels.length))),
      h("span", { class: "spacer" }),
      h("button", {
        class: "btn ghost dash-pin" + (s.pinned ? " on" : ""), title: s.pinned ? "Unpin: back to its place" : "Pin to the top",
        onclick: () => change((d) => updateSection(d, si, (x) => ({ ...x, pinned: !x.pinned }))),
      }, s.pinned ? "Pinned" : "Pin"),
      h("button", { class: "btn ghost dash-add-panel", onclick: () => { this.editing = `${si}:new`; this.draw(this.dash); } }, "+ Panel"),
      h("button", {
        class: "icon-btn dash-remove-section", title: `Remove section ${s.name || "(root)"}`,
        onclick: () => change((d) => ({ ...d, sections: d.sections.filter((_, k) => k !== si) })),
      }, "×"));
    const grid = h("div", { class: "dash-grid" });
    if (this.editing === `${si}:new`) {
      grid.appendChild(h("div", { class: "dash-card size-L editing" }, panelEditor({
        panel: newPanel([]), paths: this.spec.paths,
        onApply: (p) => { this.editing = null; change((d) => updateSection(d, si, (x) => ({ ...x, collapsed: false, panels: [...x.panels, p] }))); },
        onCancel: () => { this.editing = null; this.draw(this.dash); },
      })));
    }
    if (!s.collapsed) s.panels.forEach((p, pi) => grid.appendChild(this.card({ section: si, panel: pi }, p)));
    const el = h("section", { class: "dash-section" + (s.pinned ? " pinned" : ""), dataset: { section: s.name } }, head,
      s.collapsed && this.editing !== `${si}:new` ? null : grid);
    // Dropping on the section anywhere but on a card (its head, the grid's empty space) appends to it.
    el.addEventListener("dragover", (e) => {
      if (e.dataTransfer?.types.includes(DRAG_TYPE)) e.preventDefault();
    });
    el.addEventListener("drop", (e) => {
      const from = readDrag(e);
      if (!from) return;
      e.preventDefault();
      this.spec.change(movePanel(this.dash, from, { section: si, panel: s.panels.length }));
    });
    return el;
  }

  private card(ref: PanelRef, p: Panel): HTMLElement {
    const key = `${ref.section}:${ref.panel}`;
    const change = (fn: (d: Dashboard) => Dashboard) => this.spec.change(fn(this.dash));
    const el = h("div", { class: `dash-card size-${p.size}`, dataset: { panel: key, metrics: p.metrics.join("\n") } });
    if (this.editing === key) {
      el.classList.add("editing");
      el.appendChild(panelEditor({
        panel: p, paths: this.spec.paths,
        onApply: (next) => { this.editing = null; change((d) => updatePanel(d, ref, () => next)); },
        onCancel: () => { this.editing = null; this.draw(this.dash); },
      }));
      return el;
    }
    const metrics = matchMetrics(p.metrics, this.spec.paths);
    const title = p.metrics.join(", ");
    const handle = h("span", { class: "dash-handle", title: "Drag to move", draggable: "true" }, "⠿");
    handle.addEventListener("dragstart", (e) => {
      e.dataTransfer!.setData(DRAG_TYPE, key);
      e.dataTransfer!.effectAllowed = "move";
      e.dataTransfer!.setDragImage(el, 10, 10);
      el.classList.add("dragging");
    });
    handle.addEventListener("dragend", () => el.classList.remove("dragging"));
    el.addEventListener("dragover", (e) => {
      if (!e.dataTransfer?.types.includes(DRAG_TYPE)) return;
      e.preventDefault();
      e.stopPropagation();
      el.classList.add("drop-before");
    });
    el.addEventListener("dragleave", () => el.classList.remove("drop-before"));
    el.addEventListener("drop", (e) => {
      const from = readDrag(e);
      el.classList.remove("drop-before");
      if (!from) return;
      e.preventDefault();
      e.stopPropagation();
      this.spec.change(movePanel(this.dash, from, ref));
    });
    const sizes = h("span", { class: "dash-sizes", role: "group", "aria-label": "Panel size" }, PANEL_SIZES.map((z) =>
      h("button", {
        class: "dash-size" + (z === p.size ? " on" : ""), title: { S: "Small: a third of the row", M: "Medium: half the row", L: "Large: the whole row" }[z],
        dataset: { size: z }, onclick: () => change((d) => updatePanel(d, ref, (x) => ({ ...x, size: z }))),
      }, z)));
    const xNote = p.x === "step" ? null : h("span", { class: "card-note dash-xnote", title: xIsSeries(p.x) ? `x: ${p.x}, joined on step` : `x: ${p.x} time` }, `x: ${p.x}`);
    const body = h("div", { class: "card-body" });
    body.style.height = `${CHART_H + 22}px`;
    el.append(
      h("div", { class: "card-head" }, handle, h("div", { class: "card-title", title }, title), xNote,
        h("div", { class: "dash-card-tools" }, sizes,
          h("button", { class: "icon-btn dash-edit", title: "Edit panel", onclick: () => { this.editing = key; this.draw(this.dash); } }, "✎"),
          h("button", { class: "icon-btn dash-remove", title: "Remove panel", onclick: () => change((d) => removePanel(d, ref)) }, "×"))),
      body);
    this.charts.set(el, {
      chart: null,
      mount: () => {
        const c = new PanelChart(body, {
          project: this.spec.project, runs: this.spec.runs, metrics, x: p.x, smooth: p.smooth, log: p.log, height: CHART_H,
        }, body.clientWidth - 8);
        el.classList.add("mounted");
        void c.load();
        return c;
      },
    });
    this.io.observe(el);
    return el;
  }
}

function readDrag(e: DragEvent): PanelRef | null {
  const v = e.dataTransfer?.getData(DRAG_TYPE);
  const m = v ? /^(\d+):(\d+)$/.exec(v) : null;
  return m ? { section: Number(m[1]), panel: Number(m[2]) } : null;
}
