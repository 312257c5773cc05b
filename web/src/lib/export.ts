// CSV downloads: every run matching the runs table's query, and every raw
// point of a chart's series. Reading pages from the API and writing the file
// are kept apart from the DOM so that they can be tested without a browser.

import type { Run, RunsPage, SeriesQuery, SeriesResult } from "./api";
import { cellValue } from "./columns";
import { csvLine, csvText, decodeFloat64, decodeInt64, isoMicros, isoMicrosText, scaledDecimal } from "./csv";

/** Runs asked for per runs-query request while exporting. */
export const EXPORT_RUNS_PAGE = 2_000;
/** Raw points asked for per run and series request while exporting. */
export const EXPORT_POINTS_PAGE = 100_000;
/** Requests of one export at most: a server that never ends a list must not loop forever. */
const MAX_PAGES = 100_000;

export type Progress = (done: number, total: number | null) => void;
export type RunsFetcher = (offset: number, limit: number) => Promise<RunsPage>;

/**
 * Every run of a query, in the query's order, read in pages with
 * `offset`/`limit` until a page comes back short or the offset reaches
 * `total`. A run seen twice (a run created while paging shifts the later
 * pages) is kept once, where it was first seen.
 */
export async function collectRuns(fetch: RunsFetcher, pageSize = EXPORT_RUNS_PAGE, progress?: Progress): Promise<Run[]> {
  const out: Run[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await fetch(offset, pageSize);
    for (const r of res.runs) {
      if (seen.has(r.run_id)) continue;
      seen.add(r.run_id);
      out.push(r);
    }
    offset += res.runs.length;
    progress?.(out.length, res.total);
    if (res.runs.length < pageSize || offset >= res.total) return out;
  }
  throw new Error(`the runs query did not end after ${MAX_PAGES} pages`);
}

export interface RunsCsvOptions {
  /** Paths whose values are datetimes: written with six fractional digits. */
  datetimePaths?: ReadonlySet<string>;
}

const TIME_PATHS = new Set(["sys/created_at", "sys/updated_at"]);

/** A runs-table cell as CSV text (`sys/name` is the run id for a run without a name, as in the table). */
export function runCellText(run: Run, path: string, opts: RunsCsvOptions = {}): string {
  const v = cellValue(run, path);
  if (TIME_PATHS.has(path)) return typeof v === "number" ? isoMicros(v) : csvText(v);
  if (typeof v === "string" && opts.datetimePaths?.has(path)) return isoMicrosText(v);
  return csvText(v);
}

/** The runs table as CSV: a header of the column paths, then one record per run. */
export function runsCsv(runs: readonly Run[], columns: readonly string[], opts: RunsCsvOptions = {}): string[] {
  const parts = [csvLine(columns)];
  const CHUNK = 1000;
  for (let i = 0; i < runs.length; i += CHUNK) {
    let s = "";
    for (const r of runs.slice(i, i + CHUNK)) s += csvLine(columns.map((c) => runCellText(r, c, opts)));
    parts.push(s);
  }
  return parts;
}

export const SERIES_CSV_HEADER = ["run_id", "step", "timestamp_iso", "value"] as const;

/** A raw page of the series API, JSON or `encoding: "base64"`. */
export interface RawSeriesPage extends SeriesResult {
  step_scale?: number;
  steps_b64?: string;
  values_b64?: string;
  timestamps_b64?: string;
}

/** Reads one page of raw points of one run: `afterStep` is an exact decimal (or null for the start). */
export type SeriesFetcher = (runId: string, afterStep: string | null, limit: number) => Promise<RawSeriesPage | undefined>;

/** One page's points as exact step text, timestamps and values. */
export function pagePoints(p: RawSeriesPage): { steps: string[]; timestamps: (number | undefined)[]; values: unknown[] } {
  let steps: string[];
  if (p.steps_b64 !== undefined) steps = decodeInt64(p.steps_b64).map((n) => scaledDecimal(n, p.step_scale ?? 1));
  else steps = (p.steps ?? []).map((s) => csvText(s));
  const values: unknown[] = p.values_b64 !== undefined ? decodeFloat64(p.values_b64) : (p.values ?? []);
  const timestamps: (number | undefined)[] = p.timestamps_b64 !== undefined ? decodeFloat64(p.timestamps_b64) : (p.timestamps ?? []);
  if (values.length !== steps.length) throw new Error(`series page: ${steps.length} steps but ${values.length} values`);
  return { steps, timestamps, values };
}

/**
 * Every raw point of `path` for each run, as CSV records
 * `run_id,step,timestamp_iso,value` (runs in the given order, each by step),
 * following `next_after_step` until the server says the series ended.
 */
export async function seriesCsv(fetch: SeriesFetcher, runIds: readonly string[], pageSize = EXPORT_POINTS_PAGE, progress?: Progress): Promise<string[]> {
  const parts = [csvLine(SERIES_CSV_HEADER)];
  let points = 0;
  for (const runId of runIds) {
    let after: string | null = null;
    for (let page = 0; ; page++) {
      if (page >= MAX_PAGES) throw new Error(`series of ${runId} did not end after ${MAX_PAGES} pages`);
      const res = await fetch(runId, after, pageSize);
      if (!res) break;
      const { steps, timestamps, values } = pagePoints(res);
      let s = "";
      for (let i = 0; i < steps.length; i++) {
        const t = timestamps[i];
        s += csvLine([runId, steps[i], t === undefined ? "" : isoMicros(t), csvText(values[i])]);
      }
      parts.push(s);
      points += steps.length;
      progress?.(points, null);
      if (res.next_after_step === null || res.next_after_step === undefined) break;
      // Continue after the last step read, spelled exactly (a long fractional
      // step does not survive a trip through a double).
      const next: string = steps.length ? steps[steps.length - 1] : csvText(res.next_after_step);
      if (next === after) throw new Error(`series of ${runId}: paging did not advance past step ${next}`);
      after = next;
    }
  }
  return parts;
}

/** The series query of one export page (`after_step` as a decimal string, which the API takes exactly). */
export function seriesPageQuery(runId: string, path: string, afterStep: string | null, limit: number, stepRange?: [number, number] | null): SeriesQuery {
  const q = {
    runs: [runId], path, limit, encoding: "base64",
    ...(afterStep !== null ? { after_step: afterStep } : {}),
    ...(stepRange ? { step_range: stepRange } : {}),
  };
  return q as unknown as SeriesQuery;
}

/** Saves text as a file through a temporary `<a download>` on an object URL. */
export function downloadFile(name: string, parts: BlobPart[], type = "text/csv;charset=utf-8"): void {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has started reading the blob by now; keep the URL a while for slow browsers.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Runs an export from a button: the button is disabled and shows progress
 * while it runs, and the error (in its tooltip) if it fails.
 */
export async function runExport(btn: HTMLButtonElement, task: (progress: Progress) => Promise<void>): Promise<void> {
  if (btn.disabled) return;
  const label = btn.dataset.label ?? btn.textContent ?? "";
  const title = btn.dataset.title ?? btn.title;
  btn.dataset.label = label;
  btn.dataset.title = title;
  btn.disabled = true;
  btn.classList.remove("export-failed");
  btn.textContent = "…";
  try {
    await task((done, total) => {
      btn.textContent = total === null ? `${done.toLocaleString()}…` : `${done.toLocaleString()} / ${total.toLocaleString()}…`;
    });
    btn.textContent = label;
    btn.title = title;
  } catch (e) {
    if ((e as Error).name === "AbortError") {
      btn.textContent = label;
      return;
    }
    btn.textContent = `${label} failed`;
    btn.title = `Export failed: ${(e as Error).message}`;
    btn.classList.add("export-failed");
  } finally {
    btn.disabled = false;
  }
}
