export const WEB_DIR: string;
export const DIST_DIR: string;
export const SEXTANT_BIN: string;
export const CHROMIUM: string;
export const CHROMIUM_ARGS: string[];
export function startStack(): Promise<{ api: string; web: string; mode: string; stop(): Promise<void>; serverLog(): string }>;
export function client(base: string, project: string): {
  createRun(body: Record<string, unknown>): Promise<any>;
  log(runId: string, body: Record<string, unknown>): Promise<any>;
  finish(runId: string, state?: string): Promise<any>;
};
