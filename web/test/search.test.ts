import { describe, expect, it } from "vitest";
import { columnsFor, groupItems, matchSearch, rowWindow } from "../src/lib/search";

describe("series search", () => {
  it("matches all words, case-insensitively", () => {
    expect(matchSearch("train/Loss", "loss")).toBe(true);
    expect(matchSearch("train/loss", "train loss")).toBe(true);
    expect(matchSearch("train/loss", "eval loss")).toBe(false);
    expect(matchSearch("anything", "  ")).toBe(true);
  });

  it("supports /regex/ and survives a bad one", () => {
    expect(matchSearch("grads/layer_07", "/layer_0[5-9]/")).toBe(true);
    expect(matchSearch("grads/layer_17", "/layer_0[5-9]/")).toBe(false);
    expect(matchSearch("x", "/(/")).toBe(false);
  });

  it("groups by first segment, float charts before text logs", () => {
    const g = groupItems([
      { path: "train/loss", kind: "float" }, { path: "logs/stdout", kind: "string" },
      { path: "eval/acc", kind: "float" }, { path: "lr", kind: "float" }, { path: "train/acc", kind: "float" },
    ]);
    expect(Array.from(g.keys())).toEqual(["eval", "", "train", "text logs"]);
    expect(g.get("train")!.map((i) => i.path)).toEqual(["train/acc", "train/loss"]);
  });

  it("puts system metrics after the training series", () => {
    const g = groupItems([
      { path: "monitoring/cpu_percent", kind: "float" }, { path: "train/loss", kind: "float" },
      { path: "monitoring/stdout", kind: "string" }, { path: "logs/out", kind: "string" }, { path: "zeta/x", kind: "float" },
    ]);
    expect(Array.from(g.keys())).toEqual(["train", "zeta", "monitoring", "text logs"]);
    expect(g.get("text logs")!.map((i) => i.path)).toEqual(["logs/out", "monitoring/stdout"]);
  });
});


describe("grid windowing", () => {
  it("mirrors CSS auto-fill columns", () => {
    expect(columnsFor(379, 380, 10)).toBe(1);
    expect(columnsFor(1080, 340, 10)).toBe(3);
    expect(columnsFor(770, 380, 10)).toBe(2);
    expect(columnsFor(1159, 380, 10)).toBe(2);
    expect(columnsFor(1160, 380, 10)).toBe(3);
  });

  it("selects the rows in view, clamped", () => {
    expect(rowWindow(100, 250, 0, 800)).toEqual([0, 4]);
    expect(rowWindow(100, 250, 1000, 1800)).toEqual([4, 8]);
    expect(rowWindow(100, 250, -5000, -100)).toEqual([0, 0]);
    expect(rowWindow(3, 250, 0, 99999)).toEqual([0, 3]);
    expect(rowWindow(100, 250, 99999, 199999)).toEqual([100, 100]);
  });
});
