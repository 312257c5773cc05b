// Files in the chart grid: a file series as one image with a step slider (one
// run), or the latest image of each run side by side (compare); a single file
// as its image. A file the server does not serve as an image (it sniffs the
// type from the first bytes) shows its name, size and a download link instead.

import { api, ApiError } from "../lib/api";
import { h, setChildren } from "../lib/dom";
import { formatStep, formatTime } from "../lib/format";
import { filePoints, formatBytes, isInlineImage, pickIndex, type FilePoint } from "../lib/images";
import type { ChartRun } from "./chart";
import { limit } from "./queue";

/** Points of a file series read at most (pages of 10,000). */
const MAX_POINTS = 100_000;

/** The content types of stored files already asked for, by digest (the same bytes have the same type). */
const types = new Map<string, Promise<string>>();

/** The type of the file at `url`; asked once per `digest` when it is known (a file attribute's may change under the same URL). */
function fileType(url: string, digest: string | undefined, signal: AbortSignal): Promise<string> {
  if (!digest) return limit(() => api.fileType(url, signal));
  let t = types.get(digest);
  if (!t) {
    t = limit(() => api.fileType(url, signal));
    types.set(digest, t);
    t.catch(() => types.delete(digest));
  }
  return t;
}

/** The file at `url` as an image that opens full size in a new tab, or a download link when it is not an image. */
async function fileView(url: string, label: string, file: FilePoint | undefined, signal: AbortSignal): Promise<HTMLElement> {
  const type = await fileType(url, file?.digest, signal);
  const size = file?.size;
  if (isInlineImage(type)) {
    return h("a", { class: "image-link", href: url, target: "_blank", rel: "noopener", title: `${label}: open full size` },
      h("img", { class: "image-view", src: url, alt: label }));
  }
  return h("div", { class: "file-plain" },
    h("span", null, label || "file"), size !== undefined ? h("span", { class: "muted" }, ` ${formatBytes(size)}`) : null,
    " ", h("a", { href: url, download: "" }, "download"));
}

/** Every point of a file series of one run (one per file: small), up to MAX_POINTS. */
async function readPoints(project: string, runId: string, path: string, signal: AbortSignal): Promise<FilePoint[]> {
  const pts: FilePoint[] = [];
  let after: number | null = null;
  do {
    const res = await limit(() => api.series(project, { runs: [runId], path, limit: 10_000, after_step: after }, signal));
    const s = res[0];
    pts.push(...filePoints(s?.steps, s?.values, s?.timestamps));
    after = s?.next_after_step ?? null;
  } while (after !== null && pts.length < MAX_POINTS);
  return pts;
}

function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

/** A file series of one run: the image at the step the slider picks (the latest by default). */
export class ImageSeriesView {
  private points: FilePoint[] = [];
  private index = -1;
  private readonly abort = new AbortController();
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLSpanElement;
  private readonly view: HTMLDivElement;
  private shown = 0;

  constructor(host: HTMLElement, private project: string, private run: ChartRun, private path: string) {
    this.slider = h("input", {
      class: "image-slider", type: "range", min: "0", max: "0", step: "1", value: "0", "aria-label": `Step of ${path}`,
      oninput: () => this.show(Number(this.slider.value)),
    });
    this.label = h("span", { class: "image-step" });
    this.view = h("div", { class: "image-box" }, h("div", { class: "muted" }, "Loading…"));
    setChildren(host, h("div", { class: "image-panel" }, h("div", { class: "image-bar" }, this.slider, this.label), this.view));
  }

  /** Reads the series' points; keeps the step shown, or follows the newest when the slider was at the end. */
  async load(): Promise<void> {
    try {
      const pts = await readPoints(this.project, this.run.runId, this.path, this.abort.signal);
      const atEnd = this.index < 0 || this.index === this.points.length - 1;
      const shownStep = this.points[this.index]?.step ?? null;
      this.points = pts;
      this.slider.max = String(Math.max(0, pts.length - 1));
      this.slider.disabled = pts.length < 2;
      const i = pickIndex(pts.map((p) => p.step), shownStep, atEnd);
      if (i < 0) {
        this.label.textContent = "";
        setChildren(this.view, h("div", { class: "chart-empty" }, "no files"));
        return;
      }
      if (i !== this.index || this.shown === 0) this.show(i);
      else this.setLabel();
    } catch (e) {
      if ((e as Error).name !== "AbortError") setChildren(this.view, h("div", { class: "chart-error" }, errorText(e)));
    }
  }

  destroy(): void {
    this.abort.abort();
  }

  private setLabel(): void {
    const p = this.points[this.index];
    this.label.textContent = `step ${formatStep(p.step)} · ${this.index + 1}/${this.points.length}`;
    this.label.title = [p.name, formatBytes(p.size), p.timestamp !== undefined ? formatTime(p.timestamp) : ""].filter(Boolean).join(" · ");
  }

  private show(i: number): void {
    const p = this.points[i];
    if (!p) return;
    this.index = i;
    this.slider.value = String(i);
    this.setLabel();
    const seq = ++this.shown;
    const url = api.fileUrl(this.project, this.run.runId, this.path, p.step);
    fileView(url, p.name || this.path, p, this.abort.signal).then((el) => {
      // A slider moved on while this loaded: the newer call draws.
      if (seq !== this.shown) return;
      // The step is marked with its image, not before: the previous image stays until then.
      this.view.dataset.step = String(p.step);
      setChildren(this.view, el);
    }, (e) => {
      if ((e as Error).name !== "AbortError" && seq === this.shown) {
        this.view.dataset.step = String(p.step);
        setChildren(this.view, h("div", { class: "chart-error" }, errorText(e)));
      }
    });
  }
}

/** A file series across runs (compare): the latest image of each run, side by side. */
export class ImageLatestView {
  private readonly abort = new AbortController();
  private readonly grid: HTMLDivElement;

  constructor(host: HTMLElement, private project: string, private runs: ChartRun[], private path: string) {
    this.grid = h("div", { class: "image-runs" });
    this.grid.style.gridTemplateColumns = `repeat(${Math.min(runs.length, 4)}, minmax(0, 1fr))`;
    setChildren(host, this.grid);
  }

  async load(): Promise<void> {
    try {
      const cells = await Promise.all(this.runs.map(async (r) => {
        const pts = await readPoints(this.project, r.runId, this.path, this.abort.signal);
        const last = pts[pts.length - 1];
        const head = h("div", { class: "image-run-head", title: r.label },
          h("i", { class: "swatch", style: `background:${r.color}` }), h("span", { class: "image-run-name" }, r.label),
          last ? h("span", { class: "muted" }, ` @${formatStep(last.step)}`) : null);
        const body = last
          ? await fileView(api.fileUrl(this.project, r.runId, this.path, last.step), last.name || this.path, last, this.abort.signal)
            .catch((e: unknown) => h("div", { class: "chart-error" }, errorText(e)))
          : h("div", { class: "chart-empty" }, "no files");
        return h("div", { class: "image-run", dataset: { run: r.runId, step: last ? String(last.step) : "" } }, head, h("div", { class: "image-box" }, body));
      }));
      setChildren(this.grid, cells);
    } catch (e) {
      if ((e as Error).name !== "AbortError") setChildren(this.grid, h("div", { class: "chart-error" }, errorText(e)));
    }
  }

  destroy(): void {
    this.abort.abort();
  }
}

/** A single file attribute: its image, or a download link. */
export class FileView {
  private readonly abort = new AbortController();
  private readonly box: HTMLDivElement;

  constructor(host: HTMLElement, private project: string, private run: ChartRun, private path: string) {
    this.box = h("div", { class: "image-box image-single" });
    setChildren(host, this.box);
  }

  async load(): Promise<void> {
    try {
      setChildren(this.box, await fileView(api.fileUrl(this.project, this.run.runId, this.path), this.path, undefined, this.abort.signal));
    } catch (e) {
      if ((e as Error).name !== "AbortError") setChildren(this.box, h("div", { class: "chart-error" }, errorText(e)));
    }
  }

  destroy(): void {
    this.abort.abort();
  }
}
