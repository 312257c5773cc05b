// A scatter of runs, drawn by hand in SVG: x a config, y an aggregate (such
// as min(val/loss)). A click on a point toggles that run in the selection.

import { ticks, toUnit, type AxisScale } from "../lib/sweeps";

export interface ScatterPoint {
  id: string;
  label: string;
  x: number | string | null;
  y: number | string | null;
}

export interface ScatterSpec {
  xScale: AxisScale;
  yScale: AxisScale;
  points: ScatterPoint[];
  selected: Set<string>;
  onPick(id: string): void;
}

const NS = "http://www.w3.org/2000/svg";
const H = 320;
const PAD = { left: 64, right: 20, top: 14, bottom: 40 };

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export class Scatter {
  readonly el: SVGSVGElement;
  private width = 500;
  private spec: ScatterSpec | null = null;

  constructor() {
    this.el = el("svg", { class: "scatter", height: H });
  }

  setWidth(w: number): void {
    this.width = Math.max(200, Math.floor(w));
    if (this.spec) this.draw(this.spec);
  }

  draw(spec: ScatterSpec): void {
    this.spec = spec;
    const W = this.width;
    const { xScale, yScale, points, selected } = spec;
    this.el.setAttribute("width", String(W));
    this.el.setAttribute("viewBox", `0 0 ${W} ${H}`);
    this.el.replaceChildren();
    // Categories sit between the edges rather than on them.
    const inset = (s: AxisScale, u: number) => (s.kind === "cat" ? 0.08 + u * 0.84 : u);
    const px = (u: number) => PAD.left + inset(xScale, u) * (W - PAD.left - PAD.right);
    const py = (u: number) => PAD.top + (1 - inset(yScale, u)) * (H - PAD.top - PAD.bottom);
    const axes = el("g", { class: "sc-axes" });
    axes.appendChild(el("rect", { x: PAD.left, y: PAD.top, width: W - PAD.left - PAD.right, height: H - PAD.top - PAD.bottom, class: "sc-frame" }));
    for (const t of ticks(xScale)) {
      const x = px(t.at);
      axes.appendChild(el("line", { x1: x, x2: x, y1: PAD.top, y2: H - PAD.bottom, class: "sc-grid" }));
      axes.appendChild(el("text", { x, y: H - PAD.bottom + 14, "text-anchor": "middle", class: "sc-tick" })).textContent = t.label;
    }
    for (const t of ticks(yScale)) {
      const y = py(t.at);
      axes.appendChild(el("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: "sc-grid" }));
      axes.appendChild(el("text", { x: PAD.left - 6, y: y + 3.5, "text-anchor": "end", class: "sc-tick" })).textContent = t.label;
    }
    axes.appendChild(el("text", { x: (PAD.left + W - PAD.right) / 2, y: H - 6, "text-anchor": "middle", class: "sc-title sc-xtitle" })).textContent = xScale.path + (xScale.log ? " (log)" : "");
    axes.appendChild(el("text", { x: 12, y: PAD.top + 4, class: "sc-title sc-ytitle" })).textContent = yScale.path + (yScale.log ? " (log)" : "");
    this.el.appendChild(axes);
    const dots = el("g", { class: "sc-points" });
    const anySel = selected.size > 0;
    const ordered = [...points.filter((p) => !selected.has(p.id)), ...points.filter((p) => selected.has(p.id))];
    for (const p of ordered) {
      const ux = toUnit(xScale, p.x);
      const uy = toUnit(yScale, p.y);
      if (ux === null || uy === null) continue;
      const on = selected.has(p.id);
      const c = el("circle", { cx: px(ux).toFixed(1), cy: py(uy).toFixed(1), r: on ? 6 : 4.5, class: "sc-point" + (on ? " selected" : anySel ? " dim" : ""), "data-run": p.id });
      c.appendChild(el("title", {})).textContent = `${p.label}\n${xScale.path} = ${p.x}\n${yScale.path} = ${p.y}`;
      c.addEventListener("click", () => spec.onPick(p.id));
      dots.appendChild(c);
    }
    this.el.appendChild(dots);
  }
}
