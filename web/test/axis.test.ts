import { describe, expect, it } from "vitest";
import { labelLines, xAxisSize } from "../src/lib/axis";

describe("x axis size", () => {
  it("is one line for steps and times within a day", () => {
    expect(labelLines(["0", "500", "1k"])).toBe(1);
    expect(labelLines(null)).toBe(1);
    expect(xAxisSize(["10:00", "10:30"])).toBe(24);
  });

  it("grows for the two-line labels of a wall-time axis, so the date is not clipped", () => {
    // uPlot's time labels put the date on a second line where the day changes.
    const values = ["10:00pm\n12/2/26", "4:00am\n12/3/26", null, "10:00am"];
    expect(labelLines(values)).toBe(2);
    expect(xAxisSize(values)).toBeGreaterThanOrEqual(24 + 13);
  });
});
