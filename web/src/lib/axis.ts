// Height of a chart's x axis. uPlot's time axis writes two-line labels where
// the date changes ("10:00\n12/3"); a fixed one-line axis clips the second
// line (the date), so the axis grows with the tallest label.

/** Pixels per label line at the axis font (11 px) and the gap above the first line. */
export const AXIS_LINE_PX = 13;
const AXIS_GAP_PX = 9;

/** Lines in the tallest label (values may be null before uPlot has made them). */
export function labelLines(values: readonly (string | number | null)[] | null | undefined): number {
  let n = 1;
  for (const v of values ?? []) if (v != null) n = Math.max(n, String(v).split("\n").length);
  return n;
}

/** The x axis height (CSS px) that shows every line of every label. */
export function xAxisSize(values: readonly (string | number | null)[] | null | undefined): number {
  return AXIS_GAP_PX + AXIS_LINE_PX * labelLines(values) + 2;
}
