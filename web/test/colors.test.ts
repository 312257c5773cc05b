import { describe, expect, it } from "vitest";
import { RUN_COLORS, runColor } from "../src/lib/colors";

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const dist = (a: string, b: string) => Math.hypot(...rgb(a).map((v, i) => v - rgb(b)[i]));

describe("run colours", () => {
  it("start with the palette", () => {
    expect(RUN_COLORS.map((_, i) => runColor(i))).toEqual(RUN_COLORS);
  });

  it("stay distinct past the palette (40 runs), as #rrggbb", () => {
    const cs = Array.from({ length: 40 }, (_, i) => runColor(i));
    for (const c of cs) expect(c).toMatch(/^#[0-9a-f]{6}$/);
    expect(new Set(cs).size).toBe(40);
    // No generated colour is close to any other (the palette repeats were the old behaviour: distance 0).
    let min = Infinity;
    for (let i = 12; i < cs.length; i++) for (let j = 0; j < i; j++) min = Math.min(min, dist(cs[i], cs[j]));
    expect(min).toBeGreaterThan(25);
    // Dark enough to see on white (luma of the palette's yellow: 0.66).
    for (const c of cs) {
      const [r, g, b] = rgb(c);
      expect((0.2126 * r + 0.7152 * g + 0.0722 * b) / 255).toBeLessThan(0.75);
    }
  });
});
