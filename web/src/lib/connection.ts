// Whether the server can be reached, as the page last saw it. API calls and
// the live event stream report here; while the server is unreachable the
// page shows a "disconnected" banner and probes it every few seconds, and a
// successful answer (a probe or any other call) clears it.

export type ConnectionListener = (connected: boolean) => void;

export interface MonitorOptions {
  /** Resolves true when the server answers (any HTTP answer from it). */
  probe(): Promise<boolean>;
  /** Probe interval while disconnected. */
  retryMs?: number;
}

export class ConnectionMonitor {
  private down = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private probing = false;
  private listeners = new Set<ConnectionListener>();
  private readonly retryMs: number;

  constructor(private readonly opts: MonitorOptions) {
    this.retryMs = opts.retryMs ?? 3000;
  }

  get connected(): boolean {
    return !this.down;
  }

  subscribe(fn: ConnectionListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** A request could not reach the server. */
  failed(): void {
    if (!this.down) {
      this.down = true;
      this.emit();
    }
    this.schedule();
  }

  /** The server answered. */
  ok(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.down) {
      this.down = false;
      this.emit();
    }
  }

  /** Something hinted at trouble (the event stream dropped): check now. */
  suspect(): void {
    void this.check();
  }

  /** One probe (exposed for tests). */
  async check(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    let up = false;
    try {
      up = await this.opts.probe();
    } catch {
      up = false;
    } finally {
      this.probing = false;
    }
    if (up) this.ok();
    else this.failed();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, this.retryMs);
  }

  private emit(): void {
    for (const fn of this.listeners) fn(!this.down);
  }
}

/**
 * Whether an HTTP status means the server itself is unreachable: a gateway
 * (reverse proxy) in front of it answering that it could not reach it.
 */
export function isGatewayFailure(status: number): boolean {
  return status === 502 || status === 504;
}

/** Probes with a small unauthenticated call; any answer from the server counts. */
async function defaultProbe(): Promise<boolean> {
  try {
    const res = await fetch("api/v1/auth/me", { credentials: "same-origin", headers: { "X-Requested-By": "sextant" }, cache: "no-store" });
    return !isGatewayFailure(res.status);
  } catch {
    return false;
  }
}

export const connection = new ConnectionMonitor({ probe: defaultProbe });
