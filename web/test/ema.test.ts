import { describe, expect, it } from "vitest";
import { ema } from "../src/lib/ema";

describe("ema", () => {
  it("is the identity at weight 0", () => {
    expect(ema([1, 2, null, 3], 0)).toEqual([1, 2, null, 3]);
  });

  it("is debiased: a constant stays constant", () => {
    for (const v of ema([5, 5, 5, 5], 0.9)) expect(v).toBeCloseTo(5, 12);
  });

  it("matches the textbook recurrence", () => {
    const w = 0.5;
    const out = ema([0, 10], w) as number[];
    // acc1 = 0, debias 0.5 -> 0; acc2 = 0*0.5 + 0.5*10 = 5, debias 0.75 -> 6.667
    expect(out[0]).toBeCloseTo(0);
    expect(out[1]).toBeCloseTo(5 / 0.75);
  });

  it("passes gaps and non-finite values through without resetting", () => {
    const out = ema([1, null, undefined, NaN, 1], 0.9);
    expect(out[1]).toBeNull();
    expect(out[2]).toBeUndefined();
    expect(Number.isNaN(out[3] as number)).toBe(true);
    expect(out[4]).toBeCloseTo(1, 12);
  });

  it("smooths a step", () => {
    const out = ema([0, 0, 0, 1, 1, 1], 0.6) as number[];
    expect(out[3]).toBeGreaterThan(0);
    expect(out[3]).toBeLessThan(1);
    expect(out[5]).toBeGreaterThan(out[3]);
  });
});
