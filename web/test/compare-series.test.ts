import { describe, expect, it } from "vitest";
import type { Attribute } from "../src/lib/api";
import { floatSeriesCoverage, lackingNote } from "../src/lib/compare-series";

const series = (...paths: string[]) => paths.map((path) => ({ path, type: "float_series" }) as Attribute);

describe("compare series coverage", () => {
  it("lists every float series of any run with the runs lacking it", () => {
    const attrs = [
      [...series("train/loss", "val/loss"), { path: "config/lr", type: "float", value: 1 } as Attribute],
      series("train/loss"),
      series("train/loss", "eval/acc"),
    ];
    expect(floatSeriesCoverage(["a", "b", "c"], attrs)).toEqual([
      { path: "eval/acc", have: ["c"], lacking: ["a", "b"] },
      { path: "train/loss", have: ["a", "b", "c"], lacking: [] },
      { path: "val/loss", have: ["a"], lacking: ["b", "c"] },
    ]);
    expect(floatSeriesCoverage([], [])).toEqual([]);
  });

  it("names the runs lacking a series, shortened past a few", () => {
    expect(lackingNote([])).toBe("");
    expect(lackingNote(["run one"])).toBe("not in run one");
    expect(lackingNote(["a", "b", "c", "d", "e"])).toBe("not in a, b, c +2 more");
  });
});
