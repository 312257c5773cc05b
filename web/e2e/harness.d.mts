export const WEB_DIR: string;
export const DIST_DIR: string;
export const SEXTANT_BIN: string;
export const CHROMIUM: string;
export const CHROMIUM_ARGS: string[];
export interface SetupCommand { args: string[]; input?: string }
export function startStack(opts?: { setup?: SetupCommand[]; serveArgs?: string[] }): Promise<{
  api: string; web: string; mode: string; stop(): Promise<void>; serverLog(): string; setupOutput: string[];
  /** Stops the server, keeping its data, to simulate an outage; startServer() brings it back on the same port. */
  stopServer(): Promise<void>; startServer(): Promise<void>;
}>;
export function client(base: string, project: string, token?: string): {
  createRun(body: Record<string, unknown>): Promise<any>;
  log(runId: string, body: Record<string, unknown>): Promise<any>;
  finish(runId: string, state?: string): Promise<any>;
};
