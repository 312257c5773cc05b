import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConnectionMonitor, isGatewayFailure } from "../src/lib/connection";

describe("connection monitor", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("goes down on a failure, probes while down, and comes back when the server answers", async () => {
    let up = false;
    const probe = vi.fn(async () => up);
    const m = new ConnectionMonitor({ probe, retryMs: 1000 });
    const seen: boolean[] = [];
    m.subscribe((ok) => seen.push(ok));
    expect(m.connected).toBe(true);

    m.failed();
    m.failed(); // told once
    expect(m.connected).toBe(false);
    expect(seen).toEqual([false]);

    await vi.advanceTimersByTimeAsync(1000);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(m.connected).toBe(false);

    up = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(m.connected).toBe(true);
    expect(seen).toEqual([false, true]);

    await vi.advanceTimersByTimeAsync(5000); // no probing while connected
    expect(probe).toHaveBeenCalledTimes(2);
  });

  it("any answer from the server clears it at once", () => {
    const m = new ConnectionMonitor({ probe: async () => false, retryMs: 1000 });
    m.failed();
    m.ok();
    expect(m.connected).toBe(true);
  });

  it("a dropped event stream is checked by a probe, not taken as down", async () => {
    const m = new ConnectionMonitor({ probe: async () => true });
    m.suspect();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.connected).toBe(true);
    const down = new ConnectionMonitor({ probe: async () => { throw new TypeError("Failed to fetch"); } });
    down.suspect();
    await vi.advanceTimersByTimeAsync(0);
    expect(down.connected).toBe(false);
  });

  it("treats a proxy's 502 and 504 as the server being unreachable", () => {
    expect(isGatewayFailure(502)).toBe(true);
    expect(isGatewayFailure(504)).toBe(true);
    expect(isGatewayFailure(500)).toBe(false);
    expect(isGatewayFailure(404)).toBe(false);
  });
});
