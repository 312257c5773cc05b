// Parallel coordinates, drawn by hand in SVG: one vertical axis per config or
// aggregate, one polyline per run. Dragging along an axis brushes an interval
// on it (a click on the axis clears its brush); the page turns the brushes
// into a run selection.

import { ticks, toUnit, type AxisScale, type Brushes } from "../lib/sweeps";

export interface PCRow {
  id: string;
  label: string;
  values: (number | string | null)[];
}

export interface ParCoordsSpec {
  scales: AxisScale[];
  rows: PCRow[];
  selected: Set<string>;
  brushes: Brushes;
  onBrush(brushes: Brushes): void;
  /** a click on a run's line */
  onPick(id: string): void;
}

const NS = "http://www.w3.org/2000/svg";
const H = 320;
const PAD_TOP = 34;
const PAD_BOTTOM = 22;
const PAD_X = 60;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...kids: SVGElement[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const k of kids) e.appendChild(k);
  return e;
}

export class ParCoords {
  readonly el: SVGSVGElement;
  private width = 800;

  constructor(private spec: ParCoordsSpec) {
    this.el = el("svg", { class: "parcoords", height: H });
  }

  setWidth(w: number): void {
    this.width = Math.max(200, Math.floor(w));
    this.draw(this.spec);
  }

  draw(spec: ParCoordsSpec): void {
    this.spec = spec;
    const { scales, rows, selected } = spec;
    const W = this.width;
    this.el.setAttribute("width", String(W));
    this.el.setAttribute("viewBox", `0 0 ${W} ${H}`);
    this.el.replaceChildren();
    if (!scales.length) return;
    const xAt = (i: number) => (scales.length === 1 ? W / 2 : PAD_X + (i * (W - 2 * PAD_X)) / (scales.length - 1));
    const yAt = (u: number) => PAD_TOP + (1 - u) * (H - PAD_TOP - PAD_BOTTOM);
    const anySel = selected.size > 0;
    const lines = el("g", { class: "pc-lines" });
    // Unselected lines first, so the selected ones are drawn on top.
    const ordered = [...rows.filter((r) => !selected.has(r.id)), ...rows.filter((r) => selected.has(r.id))];
    for (const r of ordered) {
      const pts: string[] = [];
      let missing = false;
      scales.forEach((s, i) => {
        const u = toUnit(s, r.values[i]);
        if (u === null) missing = true;
        else pts.push(`${xAt(i).toFixed(1)},${yAt(u).toFixed(1)}`);
      });
      const on = selected.has(r.id);
      const line = el("polyline", {
        points: pts.join(" "), class: "pc-line" + (on ? " selected" : anySel ? " dim" : "") + (missing ? " partial" : ""),
        "data-run": r.id,
      });
      line.appendChild(el("title", {})).textContent = r.label;
      line.addEventListener("click", () => spec.onPick(r.id));
      lines.appendChild(line);
    }
    this.el.appendChild(lines);
    scales.forEach((s, i) => this.el.appendChild(this.axis(s, xAt(i), yAt)));
  }

  private axis(s: AxisScale, x: number, yAt: (u: number) => number): SVGGElement {
    const g = el("g", { class: "pc-axis", "data-path": s.path });
    g.appendChild(el("line", { x1: x, x2: x, y1: yAt(0), y2: yAt(1), class: "pc-axis-line" }));
    for (const t of ticks(s)) {
      const y = yAt(t.at);
      g.appendChild(el("line", { x1: x - 3, x2: x, y1: y, y2: y, class: "pc-tick" }));
      g.appendChild(el("text", { x: x - 5, y: y + 3.5, class: "pc-tick-label", "text-anchor": "end" })).textContent = t.label;
    }
    const title = el("text", { x, y: 14, class: "pc-title", "text-anchor": "middle" });
    title.textContent = s.path;
    g.appendChild(title);
    if (s.log) g.appendChild(el("text", { x, y: 26, class: "pc-log", "text-anchor": "middle" })).textContent = "log";
    const b = this.spec.brushes.get(s.path);
    const brush = el("rect", { x: x - 8, width: 16, class: "pc-brush", y: 0, height: 0 });
    const showBrush = (lo: number, hi: number) => {
      brush.setAttribute("y", String(yAt(hi)));
      brush.setAttribute("height", String(Math.max(0, yAt(lo) - yAt(hi))));
    };
    if (b) showBrush(b[0], b[1]);
    else brush.setAttribute("visibility", "hidden");
    // A wide transparent strip takes the pointer: drag to brush, click to clear.
    const hit = el("rect", { x: x - 14, width: 28, y: yAt(1) - 4, height: yAt(0) - yAt(1) + 8, class: "pc-hit" });
    const unitAt = (clientY: number) => {
      const r = this.el.getBoundingClientRect();
      const y = ((clientY - r.top) * H) / (r.height || H);
      return Math.min(1, Math.max(0, 1 - (y - PAD_TOP) / (H - PAD_TOP - PAD_BOTTOM)));
    };
    hit.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      hit.setPointerCapture(e.pointerId);
      const start = unitAt(e.clientY);
      let end = start;
      brush.removeAttribute("visibility");
      const move = (ev: PointerEvent) => {
        end = unitAt(ev.clientY);
        showBrush(Math.min(start, end), Math.max(start, end));
      };
      const up = () => {
        hit.removeEventListener("pointermove", move);
        hit.removeEventListener("pointerup", up);
        const next = new Map(this.spec.brushes);
        if (Math.abs(end - start) < 0.01) next.delete(s.path);
        else next.set(s.path, [Math.min(start, end), Math.max(start, end)]);
        this.spec.onBrush(next);
      };
      hit.addEventListener("pointermove", move);
      hit.addEventListener("pointerup", up);
    });
    g.append(brush, hit);
    return g;
  }
}
