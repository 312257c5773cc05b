// Line colours for runs. The first twelve are a hand-picked palette; past it
// (compare takes any number of runs) colours are generated so that no two
// runs share one: hues a golden angle apart, at alternating lightness and
// saturation (chosen for the largest RGB distance between any two of 40).

/** Line colours for runs, distinguishable on white and in pairs. */
export const RUN_COLORS = [
  "#2563eb", "#e8590c", "#0ca678", "#c2255c", "#7048e8", "#e0a800",
  "#1098ad", "#6d4c41", "#5c7cfa", "#d6336c", "#2b8a3e", "#495057",
];

const GOLDEN_ANGLE = 137.508;
const LIGHTNESS = [0.42, 0.55, 0.34];
const SATURATION = [0.75, 0.5];

/** The colour of the i-th run, as `#rrggbb` (callers add alpha to it). */
export function runColor(i: number): string {
  if (i < RUN_COLORS.length) return RUN_COLORS[Math.max(0, i)];
  const k = i - RUN_COLORS.length;
  return hslHex((k * GOLDEN_ANGLE) % 360, SATURATION[k % SATURATION.length], LIGHTNESS[k % LIGHTNESS.length]);
}

function hslHex(hDeg: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + hDeg / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255).toString(16).padStart(2, "0");
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}
