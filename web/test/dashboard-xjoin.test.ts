import { describe, expect, it } from "vitest";
import { joinOnStep } from "../src/lib/dashboard-xjoin";

describe("x axis by another series", () => {
  it("takes B at the same step, else B's latest earlier value; drops A points before B starts", () => {
    const a = { steps: [0, 5, 10, 15, 20], values: [1, 2, 3, null, 5] };
    const b = { steps: [5, 12, 20], values: [0.5, 1.2, 2] };
    expect(joinOnStep(a, b)).toEqual({ x: [0.5, 0.5, 1.2, 2], y: [2, 3, null, 5], steps: [5, 10, 15, 20] });
  });

  it("skips non-finite B values and orders by B", () => {
    const a = { steps: [1, 2, 3], values: [10, 20, 30] };
    const b = { steps: [1, 2, 3], values: [3, NaN, 1] };
    expect(joinOnStep(a, b)).toEqual({ x: [1, 3], y: [30, 10], steps: [3, 1] });
  });

  it("is empty without B", () => {
    expect(joinOnStep({ steps: [1], values: [1] }, { steps: [], values: [] })).toEqual({ x: [], y: [], steps: [] });
  });
});
