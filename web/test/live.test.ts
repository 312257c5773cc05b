import { describe, expect, it } from "vitest";
import { PollingTransport, setLiveTransport, live, topicKey, type LiveTransport } from "../src/lib/live";

describe("live transport", () => {
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
