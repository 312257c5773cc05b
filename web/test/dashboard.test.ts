import { describe, expect, it } from "vitest";
import {
  displayOrder, matchMetrics, metricError, movePanel, moveSection, newPanel, parseDashboard, parseMetricList,
  removePanel, serializeDashboard, xIsSeries, type Dashboard,
} from "../src/lib/dashboard";

const paths = ["train/loss", "val/loss", "grads/layer_2", "grads/layer_10", "grads/layer_1", "grads/norm"];

function dash(...sections: [string, string[][]][]): Dashboard {
  return { version: 1, sections: sections.map(([name, panels]) => ({ name, collapsed: false, pinned: false, panels: panels.map((m) => newPanel(m)) })) };
}
const names = (d: Dashboard) => d.sections.map((s) => s.panels.map((p) => p.metrics[0]));

describe("matchMetrics", () => {
  it("keeps exact entries as given and expands a regex in path order, without repeats", () => {
    expect(matchMetrics(["val/loss", "/^grads\\/layer_\\d+$/", "grads/layer_1"], paths))
      .toEqual(["val/loss", "grads/layer_1", "grads/layer_10", "grads/layer_2"]);
    // An exact path no run has yet still stands (its chart says "no points").
    expect(matchMetrics(["eval/acc"], paths)).toEqual(["eval/acc"]);
    expect(matchMetrics(["/loss$/"], paths)).toEqual(["train/loss", "val/loss"]);
  });

  it("is case-sensitive and skips a regex that does not compile", () => {
    expect(matchMetrics(["/LOSS/"], paths)).toEqual([]);
    expect(matchMetrics(["/([/", "train/loss"], paths)).toEqual(["train/loss"]);
    expect(metricError("/([/")).toMatch(/not a valid regex/);
    expect(metricError("train/loss")).toBeNull();
    expect(metricError("  ")).toBe("empty metric");
  });

  it("reads an editor's list: lines or commas, a regex keeps its commas", () => {
    expect(parseMetricList("train/loss, val/loss\n\n/^a{1,3}$/\n eval/acc ")).toEqual(["train/loss", "val/loss", "/^a{1,3}$/", "eval/acc"]);
  });
});

describe("layout operations", () => {
  it("moves a panel within a section, before the target", () => {
    const d = dash(["a", [["a1"], ["a2"], ["a3"]]]);
    expect(names(movePanel(d, { section: 0, panel: 0 }, { section: 0, panel: 2 }))).toEqual([["a2", "a1", "a3"]]);
    expect(names(movePanel(d, { section: 0, panel: 2 }, { section: 0, panel: 0 }))).toEqual([["a3", "a1", "a2"]]);
    expect(names(movePanel(d, { section: 0, panel: 0 }, { section: 0, panel: 3 }))).toEqual([["a2", "a3", "a1"]]);
    expect(names(d)).toEqual([["a1", "a2", "a3"]]); // not mutated
  });

  it("moves a panel across sections, and ignores a bad source", () => {
    const d = dash(["a", [["a1"], ["a2"]]], ["b", [["b1"]]]);
    expect(names(movePanel(d, { section: 0, panel: 1 }, { section: 1, panel: 0 }))).toEqual([["a1"], ["a2", "b1"]]);
    expect(names(movePanel(d, { section: 1, panel: 0 }, { section: 0, panel: 99 }))).toEqual([["a1", "a2", "b1"], []]);
    expect(movePanel(d, { section: 5, panel: 0 }, { section: 0, panel: 0 })).toBe(d);
    expect(names(removePanel(d, { section: 0, panel: 0 }))).toEqual([["a2"], ["b1"]]);
  });

  it("moves sections and draws pinned ones first", () => {
    const d = dash(["a", []], ["b", []], ["c", []]);
    expect(moveSection(d, 2, 0).sections.map((s) => s.name)).toEqual(["c", "a", "b"]);
    expect(moveSection(d, 0, 3).sections.map((s) => s.name)).toEqual(["b", "c", "a"]);
    d.sections[2].pinned = true;
    expect(displayOrder(d)).toEqual([2, 0, 1]);
  });

  it("tells a series x axis from step and time", () => {
    expect(["step", "wall", "relative"].map(xIsSeries)).toEqual([false, false, false]);
    expect(xIsSeries("train/epoch")).toBe(true);
  });
});

describe("stored form", () => {
  it("round-trips, leaving defaults out", () => {
    const d: Dashboard = { version: 1, sections: [
      { name: "train", pinned: true, collapsed: false, panels: [{ metrics: ["train/loss", "/^val\\//"], x: "train/epoch", smooth: 0.6, log: true, size: "L" }] },
      { name: "grads", pinned: false, collapsed: true, panels: [newPanel(["grads/norm"])] },
    ] };
    const state = JSON.parse(JSON.stringify(serializeDashboard(d)));
    expect(state).toEqual({ kind: "dashboard", version: 1, sections: [
      { name: "train", pinned: true, panels: [{ metrics: ["train/loss", "/^val\\//"], x: "train/epoch", smooth: 0.6, log: true, size: "L" }] },
      { name: "grads", collapsed: true, panels: [{ metrics: ["grads/norm"] }] },
    ] });
    expect(parseDashboard(state)).toEqual(d);
  });

  it("reads tolerantly, and refuses what is not a dashboard", () => {
    expect(parseDashboard({ version: 1, filter: "" })).toBeNull(); // a runs-table view
    expect(parseDashboard(null)).toBeNull();
    expect(parseDashboard({ kind: "dashboard", sections: "x" })).toBeNull();
    const d = parseDashboard({ kind: "dashboard", extra: 1, sections: [
      { name: 3, panels: [{ metrics: ["a", 7, ""], size: "XL", smooth: 5, x: 0 }, { metrics: [] }, "junk"] }, "junk",
    ] });
    expect(d).toEqual({ version: 1, sections: [{ name: "", collapsed: false, pinned: false, panels: [{ metrics: ["a"], x: "step", smooth: 0.999, log: false, size: "M" }] }] });
  });
});
