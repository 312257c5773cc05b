// A string series as a scrollable log: one line per step, appended live.

import { api, ApiError } from "../lib/api";
import { h, setChildren } from "../lib/dom";
import { formatStep } from "../lib/format";
import { isMonitoring, logTimeLabel } from "../lib/monitoring";
import type { ChartRun } from "./chart";

const PAGE = 1000;

export class LogView {
  private list: HTMLDivElement;
  private more: HTMLButtonElement;
  private after: number | null = null;
  private hasMore = false;
  private abort = new AbortController();
  private lines = 0;
  /** monitoring/ (captured stdout/stderr): steps are Unix seconds, so each line shows its time instead */
  private readonly timed: boolean;
  private lastTs: number | null = null;

  constructor(host: HTMLElement, private project: string, private runs: ChartRun[], private path: string) {
    this.timed = isMonitoring(path);
    this.list = h("div", { class: "log-lines" });
    this.more = h("button", { class: "link log-more", onclick: () => void this.fetchPage() }, "load more");
    setChildren(host, this.list);
  }

  async load(): Promise<void> {
    await this.fetchPage();
    this.list.scrollTop = this.list.scrollHeight;
  }

  /** Live: fetches what was logged after the last line shown. */
  async refresh(): Promise<void> {
    if (this.hasMore) return; // still paging through history
    await this.fetchPage();
  }

  destroy(): void {
    this.abort.abort();
  }

  /** The step, or for a console line its local time (with the step in the tooltip). */
  private lineHead(step: number, ts: number | undefined): HTMLElement {
    if (!this.timed) return h("span", { class: "log-step" }, formatStep(step));
    const t = ts ?? step;
    const label = logTimeLabel(t, this.lastTs);
    this.lastTs = t;
    return h("span", { class: "log-step log-time", title: `${label.title} (step ${formatStep(step)})` }, label.text);
  }

  private async fetchPage(): Promise<void> {
    const run = this.runs[0];
    if (!run) return;
    const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 4;
    try {
      const res = await api.series(this.project, {
        runs: [run.runId], path: this.path, limit: PAGE, after_step: this.after,
      }, this.abort.signal);
      const s = res[0];
      if (!s || !s.steps) return;
      const frag = document.createDocumentFragment();
      s.steps.forEach((step, i) => {
        frag.appendChild(h("div", { class: "log-line" }, this.lineHead(step, s.timestamps?.[i]),
          h("span", { class: "log-text" }, String(s.values?.[i] ?? "")),
        ));
      });
      this.more.remove();
      if (this.lines === 0 && s.steps.length > 0) this.list.textContent = "";
      this.list.appendChild(frag);
      this.lines += s.steps.length;
      if (s.steps.length > 0) this.after = s.steps[s.steps.length - 1];
      this.hasMore = s.next_after_step !== null && s.next_after_step !== undefined;
      if (this.hasMore) this.list.appendChild(this.more);
      if (this.lines === 0) setChildren(this.list, h("div", { class: "chart-empty" }, "no lines"));
      else if (atBottom && !this.hasMore) this.list.scrollTop = this.list.scrollHeight;
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      this.list.appendChild(h("div", { class: "chart-error" }, e instanceof ApiError ? e.message : String(e)));
    }
  }
}
