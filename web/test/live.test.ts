import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  live, PollingTransport, setLiveTransport, SseTransport, topicKey,
  type EventSourceLike, type LiveNotice, type LiveTransport,
} from "../src/lib/live";

describe("PollingTransport", () => {
  it("polls subscribers, skipping ones still busy and hidden tabs", async () => {
    let visible = true;
    const t = new PollingTransport(60_000, () => visible);
    let calls = 0;
    let release: () => void = () => {};
    const unsub = t.subscribe({ kind: "project", project: "a/b" }, () => {
      calls++;
      return new Promise<void>((r) => (release = r));
    });
    const first = t.tick();
    await t.tick(); // still busy: skipped
    expect(calls).toBe(1);
    release();
    await first;
    visible = false;
    await t.tick();
    expect(calls).toBe(1);
    visible = true;
    void t.tick();
    expect(calls).toBe(2);
    release();
    unsub();
  });

  it("survives a failing subscriber", async () => {
    const t = new PollingTransport(60_000, () => true);
    let ok = 0;
    const u1 = t.subscribe({ kind: "run", project: "a/b", runId: "r" }, () => { throw new Error("boom"); });
    const u2 = t.subscribe({ kind: "run", project: "a/b", runId: "r" }, () => { ok++; });
    await t.tick();
    expect(ok).toBe(1);
    u1();
    u2();
  });

  it("is swappable", () => {
    const seen: string[] = [];
    const fake: LiveTransport = { subscribe: (topic) => { seen.push(topicKey(topic)); return () => {}; } };
    const prev = live();
    setLiveTransport(fake);
    live().subscribe({ kind: "run", project: "a/b", runId: "r1" }, () => {});
    setLiveTransport(prev);
    expect(seen).toEqual(["run:a/b/r1"]);
  });
});

class FakeSource implements EventSourceLike {
  static all: FakeSource[] = [];
  readyState = 0;
  onmessage: ((e: { data: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  onopen: ((e: unknown) => void) | null = null;
  listeners = new Map<string, (e: unknown) => void>();
  closed = false;
  constructor(readonly url: string) {
    FakeSource.all.push(this);
  }
  addEventListener(type: string, fn: (e: unknown) => void): void {
    this.listeners.set(type, fn);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  send(data: object): void {
    this.onmessage?.({ data: JSON.stringify(data) });
  }
  fail(fatal: boolean): void {
    this.readyState = fatal ? 2 : 0;
    this.onerror?.({});
  }
}

describe("SseTransport", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSource.all = [];
  });
  afterEach(() => vi.useRealTimers());

  const make = () => new SseTransport({ open: (u) => new FakeSource(u), pollMs: 2000, backupEvery: 5, retryMs: 15000, minGapMs: 500, isVisible: () => true });

  function record() {
    const got: LiveNotice["kind"][] = [];
    return { got, fn: (n: LiveNotice) => { got.push(n.kind); } };
  }

  it("opens one stream per project and routes run events", async () => {
    const t = make();
    const proj = record();
    const r1 = record();
    const r2 = record();
    t.subscribe({ kind: "project", project: "a/b" }, proj.fn);
    t.subscribe({ kind: "run", project: "a/b", runId: "r1" }, r1.fn);
    t.subscribe({ kind: "run", project: "a/b", runId: "r2" }, r2.fn);
    expect(FakeSource.all.map((s) => s.url)).toEqual(["api/v1/projects/a/b/events"]);
    const src = FakeSource.all[0];
    src.open();
    src.send({ type: "log", run_id: "r1", series: [{ path: "x", last_step: 3 }] });
    await vi.advanceTimersByTimeAsync(0);
    expect(proj.got).toEqual(["event"]);
    expect(r1.got).toEqual(["event"]);
    expect(r2.got).toEqual([]);
  });

  it("throttles a burst of events to one notice now and one after the gap", async () => {
    const t = make();
    const r = record();
    t.subscribe({ kind: "run", project: "a/b", runId: "r1" }, r.fn);
    const src = FakeSource.all[0];
    src.open();
    for (let i = 0; i < 50; i++) src.send({ type: "log", run_id: "r1" });
    await vi.advanceTimersByTimeAsync(0);
    expect(r.got.length).toBe(1);
    await vi.advanceTimersByTimeAsync(600);
    expect(r.got.length).toBe(2);
  });

  it("polls only as a backup while streaming, and every tick when the stream is down", async () => {
    const t = make();
    const r = record();
    t.subscribe({ kind: "run", project: "a/b", runId: "r1" }, r.fn);
    const src = FakeSource.all[0];
    src.open();
    await vi.advanceTimersByTimeAsync(2000 * 4 + 10);
    expect(r.got).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(r.got).toEqual(["tick"]);
    // A 404 (or a server without events) closes the stream: polling takes over.
    src.fail(true);
    expect(t.isStreaming("a/b")).toBe(false);
    await vi.advanceTimersByTimeAsync(4000);
    expect(r.got.filter((k) => k === "tick").length).toBeGreaterThanOrEqual(3);
    // And the stream is retried; a reopen catches up with one event notice.
    await vi.advanceTimersByTimeAsync(15000);
    expect(FakeSource.all.length).toBe(2);
    r.got.length = 0;
    FakeSource.all[1].open();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.got).toEqual(["event"]);
  });

  it("notifies everyone on reset and closes streams nobody needs", async () => {
    const t = make();
    const r = record();
    const u = t.subscribe({ kind: "run", project: "a/b", runId: "r1" }, r.fn);
    const src = FakeSource.all[0];
    src.open();
    src.listeners.get("reset")!({});
    await vi.advanceTimersByTimeAsync(0);
    expect(r.got).toEqual(["event"]);
    u();
    expect(src.closed).toBe(true);
  });

  it("reloads project and run pages on a reset after the server restarted", async () => {
    // The browser reconnects with the old process's Last-Event-ID; the new
    // server holds nothing that old (its ids start at its start time) and
    // answers `event: reset`: every page of the project refetches, once.
    const t = make();
    const proj = record();
    const run = record();
    t.subscribe({ kind: "project", project: "a/b" }, proj.fn);
    t.subscribe({ kind: "run", project: "a/b", runId: "r1" }, run.fn);
    const src = FakeSource.all[0];
    src.open();
    src.fail(false); // the old server went away; EventSource reconnects by itself
    src.open();
    src.listeners.get("reset")!({});
    await vi.advanceTimersByTimeAsync(0);
    expect(proj.got).toEqual(["event"]);
    expect(run.got).toEqual(["event"]);
    // The reset, coming right after the reopen's own catch-up, is throttled
    // into at most one more reload.
    await vi.advanceTimersByTimeAsync(600);
    expect(proj.got.length).toBeLessThanOrEqual(2);
    expect(run.got.every((k) => k === "event")).toBe(true);
    expect(t.isStreaming("a/b")).toBe(true);
  });

  it("polls the all-projects topic without a stream", async () => {
    const t = make();
    const r = record();
    t.subscribe({ kind: "project", project: "*" }, r.fn);
    expect(FakeSource.all).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(r.got).toEqual(["tick"]);
  });
});
