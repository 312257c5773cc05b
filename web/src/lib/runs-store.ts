// Pages of the runs table, fetched from the server as the user scrolls.
// Only pages near the viewport are kept, so 100k runs cost what one screen does.

import type { Run, RunsPage } from "./api";

export const PAGE_SIZE = 100;
/** Pages kept in memory around the viewport. */
const KEEP_PAGES = 40;

export type PageFetcher = (offset: number, limit: number) => Promise<RunsPage>;

export class RunsStore {
  total = 0;
  /** Runs in the project regardless of the filter (the server's `unfiltered_total`). */
  unfilteredTotal = 0;
  private pages = new Map<number, Run[]>();
  private inflight = new Set<number>();
  private gen = 0;

  constructor(private fetcher: PageFetcher, private readonly onChange: () => void) {}

  /** New query results: `first` is page 0 of `fetcher`'s query. */
  reset(fetcher: PageFetcher, first: RunsPage): void {
    this.gen++;
    this.fetcher = fetcher;
    this.pages.clear();
    this.inflight.clear();
    this.total = first.total;
    this.unfilteredTotal = first.unfiltered_total ?? first.total;
    this.pages.set(0, first.runs);
  }

  row(i: number): Run | undefined {
    return this.pages.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE];
  }

  /** Requests the pages covering rows [from, to) that are neither loaded nor loading. */
  ensure(from: number, to: number): void {
    const last = Math.min(to, this.total) - 1;
    if (last < from) return;
    for (let p = Math.floor(from / PAGE_SIZE); p <= Math.floor(last / PAGE_SIZE); p++) {
      if (!this.pages.has(p) && !this.inflight.has(p)) void this.load(p);
    }
    this.evict(Math.floor(from / PAGE_SIZE));
  }

  /** Refetches the loaded pages covering rows [from, to) (live updates). */
  async refresh(from: number, to: number): Promise<void> {
    const last = Math.max(from, Math.min(to, this.total) - 1);
    const jobs: Promise<void>[] = [];
    for (let p = Math.floor(from / PAGE_SIZE); p <= Math.floor(last / PAGE_SIZE); p++) jobs.push(this.load(p));
    await Promise.all(jobs);
  }

  /** Runs in loaded pages, in row order. */
  loaded(): Run[] {
    return Array.from(this.pages.keys()).sort((a, b) => a - b).flatMap((p) => this.pages.get(p)!);
  }

  isLoading(): boolean {
    return this.inflight.size > 0;
  }

  private async load(p: number): Promise<void> {
    const gen = this.gen;
    this.inflight.add(p);
    try {
      const res = await this.fetcher(p * PAGE_SIZE, PAGE_SIZE);
      if (gen !== this.gen) return;
      this.pages.set(p, res.runs);
      this.total = res.total;
      this.unfilteredTotal = res.unfiltered_total ?? res.total;
      this.onChange();
    } catch {
      // Left unloaded: the next ensure() retries.
    } finally {
      if (gen === this.gen) this.inflight.delete(p);
    }
  }

  private evict(center: number): void {
    if (this.pages.size <= KEEP_PAGES) return;
    const far = Array.from(this.pages.keys()).sort((a, b) => Math.abs(b - center) - Math.abs(a - center));
    for (const p of far.slice(0, this.pages.size - KEEP_PAGES)) this.pages.delete(p);
  }
}
