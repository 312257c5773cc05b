import { describe, expect, it } from "vitest";
import type { Buckets } from "../src/lib/api";
import { alignColumns, bucketsToPlot, pointsToPlot, positiveOnly } from "../src/lib/plotdata";

describe("bucketsToPlot", () => {
  // What the server answers for values [1, NaN, 3, Inf, NaN, NaN, 2, -Inf] in 4 buckets.
  const b: Buckets = {
    index: [0, 1, 2, 3],
    first_step: [0, 2, 4, 6],
    last_step: [1, 3, 5, 7],
    min: [1, 3, "Infinity", "-Infinity"],
    max: [1, "Infinity", "-Infinity", 2],
    mean: [1, "Infinity", "NaN", "-Infinity"],
    count: [2, 2, 2, 2],
    nan_count: [1, 0, 2, 0],
    last: ["NaN", "Infinity", "NaN", "-Infinity"],
  };
  const d = bucketsToPlot(b);

  it("puts x at the bucket centre", () => expect(d.x).toEqual([0.5, 2.5, 4.5, 6.5]));

  it("keeps finite means and gaps the rest", () => expect(d.mean).toEqual([1, null, null, null]));

  it("marks NaN buckets with their counts", () => {
    expect(d.nanSteps).toEqual([0.5, 4.5]);
    expect(d.nanCount).toBe(3);
  });

  it("marks infinities without mistaking the all-NaN sentinels for them", () => {
    expect(d.posInfSteps).toEqual([2.5]);
    expect(d.negInfSteps).toEqual([6.5]);
  });

  it("keeps the finite band edge next to an infinite one", () => {
    expect(d.min[1]).toBe(3);
    expect(d.max[1]).toBe(3);
    expect(d.min[3]).toBe(2);
    expect(d.max[3]).toBe(2);
    expect(d.min[2]).toBeNull();
    expect(d.max[2]).toBeNull();
  });

  it("reports totals and the last value", () => {
    expect(d.points).toBe(8);
    expect(d.lastStep).toBe(7);
    expect(d.lastValue).toBe(-Infinity);
  });

  it("handles an empty series", () => {
    const e = bucketsToPlot({ index: [], first_step: [], last_step: [], min: [], max: [], mean: [], count: [], nan_count: [], last: [] });
    expect(e.x).toEqual([]);
    expect(e.lastStep).toBeNull();
  });

  it("keeps a min/max band around the mean", () => {
    const s = bucketsToPlot({ index: [0], first_step: [0], last_step: [9], min: [0.5], max: [9], mean: [2], count: [10], nan_count: [0], last: [1] });
    expect([s.min[0], s.mean[0], s.max[0]]).toEqual([0.5, 2, 9]);
  });
});

describe("pointsToPlot", () => {
  it("marks non-finite raw points", () => {
    const d = pointsToPlot([1, 2, 3, 4], [1, "NaN", "Infinity", "-Infinity"]);
    expect(d.mean).toEqual([1, null, null, null]);
    expect(d.nanSteps).toEqual([2]);
    expect(d.posInfSteps).toEqual([3]);
    expect(d.negInfSteps).toEqual([4]);
  });
});

describe("alignColumns", () => {
  it("shares x when runs agree", () => {
    const { x, cols } = alignColumns([[1, 2], [1, 2]], [[[1, 2]], [[3, 4]]]);
    expect(x).toEqual([1, 2]);
    expect(cols).toEqual([[[1, 2]], [[3, 4]]]);
  });

  it("joins different steps with undefined (continue) and keeps null (gap)", () => {
    const { x, cols } = alignColumns([[0, 2, 4], [1, 2]], [[[10, null, 30]], [[5, 6]]]);
    expect(x).toEqual([0, 1, 2, 4]);
    expect(cols[0][0]).toEqual([10, undefined, null, 30]);
    expect(cols[1][0]).toEqual([undefined, 5, 6, undefined]);
  });
});

describe("positiveOnly", () => {
  it("gaps values a log axis cannot draw", () => {
    expect(positiveOnly([1, 0, -1, null, undefined, 2])).toEqual([1, null, null, null, undefined, 2]);
  });
});
