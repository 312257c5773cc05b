// Image files and file series: which files the UI shows inline, and which
// point of a file series a slider shows.

/** The types the server serves inline (it sniffs them from the file's first bytes; anything else is an attachment). */
const INLINE_IMAGE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function isInlineImage(contentType: string): boolean {
  return INLINE_IMAGE.has(contentType.split(";")[0].trim().toLowerCase());
}

/** One point of a file series as `POST …/series` returns it. */
export interface FilePoint {
  step: number;
  timestamp?: number;
  name: string;
  size: number;
  /** SHA-256 of the content: a file logged again at the same step has another */
  digest: string;
}

/** The points of a file series answer (`values` are `{digest, size, name}`). */
export function filePoints(steps: readonly number[] = [], values: readonly unknown[] = [], timestamps?: readonly number[]): FilePoint[] {
  return steps.map((step, i) => {
    const v = (values[i] ?? {}) as { name?: unknown; size?: unknown; digest?: unknown };
    return {
      step, timestamp: timestamps?.[i], name: typeof v.name === "string" ? v.name : "", size: typeof v.size === "number" ? v.size : 0,
      digest: typeof v.digest === "string" ? v.digest : "",
    };
  });
}

/**
 * Which point to show after the series changed: the newest one when the
 * slider was at the end (or nothing was shown yet), else the same step, or
 * the nearest before it.
 */
export function pickIndex(steps: readonly number[], shownStep: number | null, followLatest: boolean): number {
  if (steps.length === 0) return -1;
  if (followLatest || shownStep === null) return steps.length - 1;
  let best = 0;
  for (let i = 0; i < steps.length; i++) if (steps[i] <= shownStep) best = i;
  return best;
}

/** A size in bytes for people: 512 B, 1.5 KiB, 20 MiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${Number(v.toFixed(v < 10 ? 1 : 0))} ${units[u]}`;
}
