// Exponential moving average for chart smoothing.

/**
 * Debiased EMA (as TensorBoard draws it): the first points are not pulled
 * towards zero. `weight` in [0, 1): 0 returns the input unchanged.
 * Gaps (null / undefined) and non-finite values pass through untouched and do
 * not reset the average, so a NaN spike does not poison the smoothed line.
 */
export function ema<T extends number | null | undefined>(values: readonly T[], weight: number): (number | T)[] {
  if (!(weight > 0)) return values.slice();
  const w = Math.min(weight, 0.9999);
  let acc = 0;
  let n = 0;
  const out: (number | T)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    acc = acc * w + (1 - w) * v;
    n++;
    out[i] = acc / (1 - Math.pow(w, n));
  }
  return out;
}
