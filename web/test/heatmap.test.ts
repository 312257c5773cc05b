import { describe, expect, it } from "vitest";
import { asHistogram, binAt, rampColor, rasterize } from "../src/lib/heatmap";

describe("histogram heatmap", () => {
  it("validates wire histograms", () => {
    expect(asHistogram({ edges: [0, 1, 2], counts: [3, 4] })).toEqual({ edges: [0, 1, 2], counts: [3, 4] });
    expect(asHistogram({ edges: [0, 1], counts: [3, 4] })).toBeNull();
    expect(asHistogram("x")).toBeNull();
    expect(asHistogram({ edges: [0, "NaN"], counts: [1] })).toBeNull();
  });

  it("places steps on x and bins on y, top row = highest value", () => {
    const hists = [{ edges: [0, 1, 2], counts: [10, 0] }, { edges: [0, 1, 2], counts: [0, 6] }];
    const m = rasterize([0, 1], hists, 2, 2)!;
    expect(m.x).toEqual([0, 2]);
    expect(m.y).toEqual([0, 2]);
    // column 0 (step 0): all mass in the low bin = bottom row
    expect(Array.from(m.cells)).toEqual([0, 6, 10, 0]);
    expect(m.max).toBe(10);
    expect(Array.from(m.colHist)).toEqual([0, 1]);
  });

  it("spreads a bin over the rows it covers and keeps the total", () => {
    const m = rasterize([5], [{ edges: [0, 4], counts: [8] }], 1, 4)!;
    expect(Array.from(m.cells)).toEqual([2, 2, 2, 2]);
  });

  it("repeats a histogram until the next, averages those sharing a column", () => {
    const a = { edges: [0, 1], counts: [2] };
    const b = { edges: [0, 1], counts: [4] };
    const m = rasterize([0, 1, 9], [a, b, a], 5, 1)!;
    // steps 0 and 1 share column 0 (x domain [0, 10)); columns 1..3 repeat it; step 9 is column 4
    expect(Array.from(m.cells)).toEqual([3, 3, 3, 3, 2]);
    expect(Array.from(m.colHist)).toEqual([1, 1, 1, 1, 2]);
  });

  it("skips malformed points and empty input", () => {
    expect(rasterize([0], [null], 4, 4)).toBeNull();
    const m = rasterize([0, 1], [null, { edges: [1, 1], counts: [3] }], 2, 2)!;
    expect(m.y).toEqual([0.5, 1.5]);
    expect(m.max).toBe(3);
  });

  it("finds bins and colours", () => {
    const g = { edges: [0, 1, 2], counts: [1, 1] };
    expect([binAt(g, 0), binAt(g, 1.5), binAt(g, 2), binAt(g, 3)]).toEqual([0, 1, 1, -1]);
    expect(rampColor(0)).toEqual([247, 251, 255]);
    expect(rampColor(1)).toEqual([63, 0, 125]);
  });
});
