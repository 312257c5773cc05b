import { describe, expect, it } from "vitest";
import { matchMetrics } from "../src/lib/dashboard";
import { defaultDashboard, familyOf, familyRegex } from "../src/lib/dashboard-layout";

describe("default dashboard", () => {
  const layers = Array.from({ length: 24 }, (_, i) => `grad_norm/layer_${i}`);
  const paths = ["zeta/x", "eval/acc", "monitoring/cpu", "perf/tps", "val/loss", "train/loss", "train/lr", "loss", ...layers];

  it("puts train, val and eval first, per-layer groups last and collapsed", () => {
    const d = defaultDashboard(paths);
    expect(d.sections.map((s) => s.name)).toEqual(["train", "val", "eval", "", "perf", "zeta", "monitoring", "grad_norm"]);
    expect(d.sections.map((s) => s.collapsed)).toEqual([false, false, false, false, false, false, false, true]);
    expect(d.sections[0].panels.map((p) => p.metrics)).toEqual([["train/loss"], ["train/lr"]]);
  });

  it("draws a family of similar series on one panel, by a regex that matches exactly them", () => {
    const d = defaultDashboard([...paths, "grad_norm/total"]);
    const g = d.sections.find((s) => s.name === "grad_norm")!;
    expect(g.panels.map((p) => p.metrics)).toEqual([["grad_norm/total"], ["/^grad_norm\\/layer_\\d+$/"]]);
    expect(matchMetrics(g.panels[1].metrics, [...paths, "grad_norm/layer_x", "grad_norm/layer_3/sub"]).length).toBe(24);
  });

  it("leaves a few numbered series alone, and a section mostly of other series in place", () => {
    const d = defaultDashboard(["train/loss", "train/acc", "train/top1", "train/top5", "train/f1", "eval/loss_1", "eval/loss_2"]);
    expect(d.sections.map((s) => [s.name, s.collapsed])).toEqual([["train", false], ["eval", false]]);
    expect(d.sections[1].panels.length).toBe(2);
  });

  it("names families by their digit runs", () => {
    expect(familyOf("model/layers/17/attn_3")).toBe("model/layers/#/attn_#");
    expect(familyRegex("a.b/layer_#")).toBe("/^a\\.b\\/layer_\\d+$/");
  });
});
