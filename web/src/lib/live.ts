// Live updates. Pages subscribe to a topic ("something about this run or
// project may have changed") and refetch what they show when told. The
// transport decides when to tell them:
//
//  - SseTransport (the default in browsers): one EventSource per project on
//    `GET …/projects/{ws}/{p}/events`; an event about a run notifies that
//    run's and that project's subscribers (throttled). A slow poll stays on as
//    a safety net, and a project whose stream fails falls back to polling
//    every 2 s until the stream comes back.
//  - PollingTransport: every 2 s, everyone.
//
// Subscribers are told why they are called: "event" (something changed) or
// "tick" (a poll; they may skip work when nothing is likely to have changed).

import { connection } from "./connection";

export type Topic =
  | { kind: "project"; project: string }
  | { kind: "run"; project: string; runId: string };

export interface LiveNotice {
  kind: "event" | "tick";
}

export type Listener = (n: LiveNotice) => void | Promise<void>;
export type Unsubscribe = () => void;

export interface LiveTransport {
  /** Calls `onChange` whenever `topic` may have changed, until unsubscribed. */
  subscribe(topic: Topic, onChange: Listener): Unsubscribe;
}

export function topicKey(t: Topic): string {
  return t.kind === "project" ? `project:${t.project}` : `run:${t.project}/${t.runId}`;
}

/**
 * One subscription: never runs its listener twice at once; a notice that
 * arrives while it runs is remembered and delivered right after.
 */
class Sub {
  private busy = false;
  private pending: LiveNotice | null = null;
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly topic: Topic, private readonly fn: Listener, private readonly minGapMs = 0) {}

  notify(n: LiveNotice): void {
    if (this.busy || this.timer) {
      if (!this.pending || n.kind === "event") this.pending = n;
      return;
    }
    const wait = this.last + this.minGapMs - Date.now();
    if (wait > 0) {
      this.pending = n;
      this.timer = setTimeout(() => {
        this.timer = null;
        const p = this.pending;
        this.pending = null;
        if (p) this.notify(p);
      }, wait);
      return;
    }
    void this.run(n);
  }

  /** Resolves when this notice (and any that queued behind it) has been handled. */
  async run(n: LiveNotice): Promise<void> {
    this.busy = true;
    this.last = Date.now();
    try {
      await this.fn(n);
    } catch {
      // A failed refresh is retried on the next notice.
    } finally {
      this.busy = false;
    }
    const p = this.pending;
    this.pending = null;
    if (p) this.notify(p);
  }

  isBusy(): boolean {
    return this.busy;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}

/**
 * Polling: every `intervalMs`, while the tab is visible, calls each
 * subscriber with a tick; one whose previous call still runs is skipped.
 */
export class PollingTransport implements LiveTransport {
  private subs = new Set<Sub>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly intervalMs = 2000, private readonly isVisible = defaultVisible) {}

  subscribe(topic: Topic, onChange: Listener): Unsubscribe {
    const sub = new Sub(topic, onChange);
    this.subs.add(sub);
    if (!this.timer) this.timer = setInterval(() => void this.tick(), this.intervalMs);
    return () => {
      sub.cancel();
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
    await Promise.all(Array.from(this.subs, (s) => (s.isBusy() ? undefined : s.run({ kind: "tick" }))));
  }
}

/** The part of EventSource this module uses (a fake in tests). */
export interface EventSourceLike {
  readonly readyState: number;
  onmessage: ((e: { data: string }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  onopen: ((e: unknown) => void) | null;
  addEventListener(type: string, fn: (e: unknown) => void): void;
  close(): void;
}

const CLOSED = 2;

interface Stream {
  source: EventSourceLike | null;
  healthy: boolean;
  /** opened at least once: a later open means we may have missed changes */
  opened: boolean;
  retry: ReturnType<typeof setTimeout> | null;
  subs: Set<Sub>;
}

export interface SseOptions {
  /** Opens the stream for a URL (default: `new EventSource(url)`). */
  open?: (url: string) => EventSourceLike;
  /** Poll interval where there is no healthy stream. */
  pollMs?: number;
  /** A healthy stream's subscribers also get a tick every this many polls. */
  backupEvery?: number;
  /** Reopen a failed stream after this long. */
  retryMs?: number;
  /** Least time between two notices to one subscriber. */
  minGapMs?: number;
  isVisible?: () => boolean;
  /** Told when a stream opens (the server is reachable) and when one fails. */
  onOpen?: () => void;
  onError?: () => void;
}

export class SseTransport implements LiveTransport {
  private streams = new Map<string, Stream>();
  private subs = new Set<Sub>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private ticks = 0;
  private readonly o: Required<SseOptions>;

  constructor(options: SseOptions = {}) {
    this.o = {
      open: options.open ?? ((url) => new EventSource(url) as unknown as EventSourceLike),
      pollMs: options.pollMs ?? 2000,
      backupEvery: options.backupEvery ?? 5,
      retryMs: options.retryMs ?? 15000,
      minGapMs: options.minGapMs ?? 500,
      isVisible: options.isVisible ?? defaultVisible,
      onOpen: options.onOpen ?? (() => {}),
      onError: options.onError ?? (() => {}),
    };
  }

  subscribe(topic: Topic, onChange: Listener): Unsubscribe {
    const sub = new Sub(topic, onChange, this.o.minGapMs);
    this.subs.add(sub);
    const stream = topic.project === "*" ? null : this.stream(topic.project);
    stream?.subs.add(sub);
    if (!this.timer) this.timer = setInterval(() => this.tick(), this.o.pollMs);
    return () => {
      sub.cancel();
      this.subs.delete(sub);
      if (stream) {
        stream.subs.delete(sub);
        if (stream.subs.size === 0) this.close(topic.project);
      }
      if (this.subs.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** Whether `project` currently has a working event stream. */
  isStreaming(project: string): boolean {
    return this.streams.get(project)?.healthy ?? false;
  }

  /** One polling round (exposed for tests). */
  tick(): void {
    if (!this.o.isVisible()) return;
    this.ticks++;
    const backup = this.ticks % this.o.backupEvery === 0;
    for (const s of this.subs) {
      const streaming = s.topic.project !== "*" && this.isStreaming(s.topic.project);
      if (!streaming || backup) s.notify({ kind: "tick" });
    }
  }

  private stream(project: string): Stream {
    let st = this.streams.get(project);
    if (!st) {
      st = { source: null, healthy: false, opened: false, retry: null, subs: new Set() };
      this.streams.set(project, st);
      this.connect(project, st);
    }
    return st;
  }

  private connect(project: string, st: Stream): void {
    const [ws, name] = [project.slice(0, project.indexOf("/")), project.slice(project.indexOf("/") + 1)];
    let src: EventSourceLike;
    try {
      src = this.o.open(`api/v1/projects/${encodeURIComponent(ws)}/${encodeURIComponent(name)}/events`);
    } catch {
      this.scheduleRetry(project, st);
      return;
    }
    st.source = src;
    src.onopen = () => {
      // Changes made while the stream was down are caught up by one event-kind notice.
      const missed = st.opened && !st.healthy;
      st.healthy = st.opened = true;
      this.o.onOpen();
      if (missed) for (const s of st.subs) s.notify({ kind: "event" });
    };
    src.onmessage = (e) => {
      st.healthy = true;
      let runId: string | undefined;
      try {
        runId = (JSON.parse(e.data) as { run_id?: string }).run_id;
      } catch {
        runId = undefined;
      }
      for (const s of st.subs) {
        if (s.topic.kind === "project" || runId === undefined || s.topic.runId === runId) s.notify({ kind: "event" });
      }
    };
    src.addEventListener("reset", () => {
      for (const s of st.subs) s.notify({ kind: "event" });
    });
    src.onerror = () => {
      st.healthy = false;
      this.o.onError();
      // EventSource retries by itself unless it gave up (e.g. a 404).
      if (src.readyState === CLOSED) this.scheduleRetry(project, st);
    };
  }

  private scheduleRetry(project: string, st: Stream): void {
    st.source?.close();
    st.source = null;
    st.healthy = false;
    if (st.retry) return;
    st.retry = setTimeout(() => {
      st.retry = null;
      if (this.streams.get(project) === st) this.connect(project, st);
    }, this.o.retryMs);
  }

  private close(project: string): void {
    const st = this.streams.get(project);
    if (!st) return;
    if (st.retry) clearTimeout(st.retry);
    st.source?.close();
    this.streams.delete(project);
  }
}

function defaultVisible(): boolean {
  return typeof document === "undefined" || document.visibilityState !== "hidden";
}

// A dropped stream is the first sign of a server gone away: the connection
// monitor probes it and shows the page as disconnected until it answers.
let transport: LiveTransport =
  typeof EventSource === "undefined" ? new PollingTransport(2000)
    : new SseTransport({ onOpen: () => connection.ok(), onError: () => connection.suspect() });

export function live(): LiveTransport {
  return transport;
}

/** Swaps the transport (tests, or a different server push mechanism). */
export function setLiveTransport(t: LiveTransport): void {
  transport = t;
}
