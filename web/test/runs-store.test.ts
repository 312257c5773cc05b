import { describe, expect, it } from "vitest";
import type { Run, RunsPage } from "../src/lib/api";
import { PAGE_SIZE, RunsStore } from "../src/lib/runs-store";

const TOTAL = 100_000;

function fakeServer() {
  const calls: number[] = [];
  const fetcher = async (offset: number, limit: number): Promise<RunsPage> => {
    calls.push(offset);
    const runs: Run[] = [];
    for (let i = offset; i < Math.min(offset + limit, TOTAL); i++) {
      runs.push({ project: "a/b", run_id: `r${i}`, name: `r${i}`, experiment_name: "", state: "finished", created_at: 0, updated_at: 0, fork_run_id: null, fork_step: null });
    }
    return { total: TOTAL, runs };
  };
  return { calls, fetcher };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("RunsStore", () => {
  it("fetches only the pages on screen, once", async () => {
    const { calls, fetcher } = fakeServer();
    let changes = 0;
    const store = new RunsStore(fetcher, () => changes++);
    store.reset(fetcher, await fetcher(0, PAGE_SIZE));
    calls.length = 0;
    store.ensure(50_010, 50_040);
    store.ensure(50_010, 50_040);
    await flush();
    expect(calls).toEqual([50_000]);
    expect(store.row(50_020)?.run_id).toBe("r50020");
    expect(store.row(60_000)).toBeUndefined();
    expect(changes).toBe(1);
  });

  it("spans page boundaries", async () => {
    const { calls, fetcher } = fakeServer();
    const store = new RunsStore(fetcher, () => {});
    store.reset(fetcher, await fetcher(0, PAGE_SIZE));
    calls.length = 0;
    store.ensure(190, 210);
    await flush();
    expect(calls.sort((a, b) => a - b)).toEqual([100, 200]);
  });

  it("keeps memory bounded while scrolling through 100k runs", async () => {
    const { fetcher } = fakeServer();
    const store = new RunsStore(fetcher, () => {});
    store.reset(fetcher, await fetcher(0, PAGE_SIZE));
    for (let i = 0; i < TOTAL; i += 5_000) {
      store.ensure(i, i + 40);
      await flush();
    }
    expect(store.loaded().length).toBeLessThanOrEqual(40 * PAGE_SIZE);
  });

  it("drops answers to a superseded query", async () => {
    const { fetcher } = fakeServer();
    let release: () => void = () => {};
    const slow = async (o: number, l: number) => {
      await new Promise<void>((r) => (release = r));
      return fetcher(o, l);
    };
    const store = new RunsStore(slow, () => {});
    store.reset(slow, { total: TOTAL, runs: [] });
    store.ensure(500, 510);
    store.reset(fetcher, { total: 3, runs: [] });
    release();
    await flush();
    await flush();
    expect(store.total).toBe(3);
    expect(store.row(505)).toBeUndefined();
  });
});
