// Live updates. Pages subscribe to a topic ("something about this run or
// project may have changed") and refetch what they show when told. The
// transport decides when to tell them: today by polling every 2 s; a
// server-sent-events transport can replace it without touching the pages.

export type Topic =
  | { kind: "project"; project: string }
  | { kind: "run"; project: string; runId: string };

export type Unsubscribe = () => void;

export interface LiveTransport {
  /** Calls `onChange` whenever `topic` may have changed, until unsubscribed. */
  subscribe(topic: Topic, onChange: () => void | Promise<void>): Unsubscribe;
}

export function topicKey(t: Topic): string {
  return t.kind === "project" ? `project:${t.project}` : `run:${t.project}/${t.runId}`;
}

/**
 * Polling: every `intervalMs`, while the tab is visible, calls each
 * subscriber. A subscriber whose previous call is still running is skipped,
 * so a slow server is never asked twice for the same thing.
 */
export class PollingTransport implements LiveTransport {
  private subs = new Set<{ fn: () => void | Promise<void>; busy: boolean }>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly intervalMs = 2000, private readonly isVisible = defaultVisible) {}

  subscribe(_topic: Topic, onChange: () => void | Promise<void>): Unsubscribe {
    const sub = { fn: onChange, busy: false };
    this.subs.add(sub);
    if (!this.timer) this.timer = setInterval(() => this.tick(), this.intervalMs);
    return () => {
      this.subs.delete(sub);
      if (this.subs.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** One polling round (exposed for tests). */
  async tick(): Promise<void> {
    if (!this.isVisible()) return;
    await Promise.all(Array.from(this.subs, async (s) => {
      if (s.busy) return;
      s.busy = true;
      try {
        await s.fn();
      } catch {
        // A failed refresh is retried on the next tick.
      } finally {
        s.busy = false;
      }
    }));
  }
}

function defaultVisible(): boolean {
  return typeof document === "undefined" || document.visibilityState !== "hidden";
}

let transport: LiveTransport = new PollingTransport(2000);

export function live(): LiveTransport {
  return transport;
}

/** Swaps the transport (e.g. for server-sent events once the server has them). */
export function setLiveTransport(t: LiveTransport): void {
  transport = t;
}
