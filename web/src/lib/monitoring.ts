// System metrics (`monitoring/*`): the SDK logs them with steps that are Unix
// seconds, so that a resumed run keeps appending to them. The UI must not
// read those steps as training steps.

import type { Attribute } from "./api";
import { formatClock, formatTime } from "./format";
import type { XAxis } from "./url";

export const MONITORING_PREFIX = "monitoring/";

export function isMonitoring(path: string): boolean {
  return path.startsWith(MONITORING_PREFIX);
}

/** A run's last training step: the largest last step of its float series, leaving out monitoring/ (Unix seconds). */
export function runLastStep(attrs: readonly Attribute[]): number | null {
  let m = -Infinity;
  for (const a of attrs) {
    if (a.type === "float_series" && typeof a.last_step === "number" && !isMonitoring(a.path)) m = Math.max(m, a.last_step);
  }
  return Number.isFinite(m) ? m : null;
}

/** The x axis a chart of `path` draws when the page asks for `x` (absent: step): for monitoring/ a step axis means wall time. */
export function chartXAxis(path: string, x: XAxis | undefined): XAxis {
  const want = x ?? "step";
  return want === "step" && isMonitoring(path) ? "wall" : want;
}

/** Steps that read as Unix seconds (after 2001-09-09), so a bucketed chart can draw them on a time axis. */
export function stepsAreTimes(firstStep: number | undefined): boolean {
  return typeof firstStep === "number" && firstStep >= 1e9;
}

/**
 * The step range a chart of `path` asks for. The page's zoom is in training
 * steps, which mean nothing to monitoring/ (Unix seconds): those charts keep
 * their own zoom, and take the page's only when it reads as times.
 */
export function chartRange(path: string, page: [number, number] | null, own: [number, number] | null): [number, number] | null {
  if (!isMonitoring(path)) return page;
  return own ?? (page && stepsAreTimes(page[0]) ? page : null);
}

/**
 * The time label of a console line: the local time of day, with the date in
 * front on the first line and wherever the day changes; the title is the full
 * time to the millisecond.
 */
export function logTimeLabel(ts: number, prev: number | null): { text: string; title: string } {
  // Whole milliseconds first, so that 7.998 does not print as 7.997.
  const msTotal = Math.round(ts * 1000);
  const t = msTotal / 1000;
  const day = (x: number) => formatTime(x).slice(0, 10);
  const clock = formatClock(t);
  const withDate = prev === null || day(prev) !== day(t);
  const ms = String(((msTotal % 1000) + 1000) % 1000).padStart(3, "0");
  return { text: withDate ? `${day(t)} ${clock}` : clock, title: `${day(t)} ${clock}.${ms}` };
}
