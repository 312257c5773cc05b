// Typed client for the native API v1 (docs/api/native.md). The UI talks to
// the server only through this module.

import { connection, isGatewayFailure } from "./connection";

/** A float as the API sends it: non-finite values arrive as strings. */
export type WireFloat = number | "NaN" | "Infinity" | "-Infinity";

export type RunState = "running" | "finished" | "failed" | "stale";

export interface Project {
  project: string;
  workspace: string;
  name: string;
  runs: number;
  created_at: number;
}

export interface Run {
  project: string;
  run_id: string;
  name: string;
  experiment_name: string;
  state: RunState;
  created_at: number;
  updated_at: number;
  fork_run_id: string | null;
  fork_step: number | null;
  children?: { run_id: string; fork_step: number }[];
  /** Present on runs returned by the runs query. */
  attributes?: Record<string, unknown>;
}

export type AttributeType =
  | "float" | "int" | "bool" | "string" | "datetime" | "string_set"
  | "float_series" | "string_series" | "histogram_series" | "file" | "file_series";

export interface Attribute {
  path: string;
  type: AttributeType;
  value?: unknown;
  last_step?: number;
  last_value?: unknown;
  last_timestamp?: number;
  count?: number;
}

export interface SortKey { path: string; order: "asc" | "desc" }

export interface RunsQuery {
  filter?: string;
  sort?: SortKey[];
  limit?: number;
  offset?: number;
  columns?: string[];
  /** Trashed and archived runs: hidden unless asked (the server's default is "hide"). */
  trashed?: Visibility;
  archived?: Visibility;
}

export type Visibility = "hide" | "only" | "include";

/** `PATCH …/runs/{id}`: every field optional, at least one. */
export interface RunPatch {
  name?: string;
  /** Markdown notes (sys/description) */
  description?: string;
  add_tags?: string[];
  remove_tags?: string[];
  archived?: boolean;
}

/** `POST …/runs/edit`: the same change to many runs, all or nothing. */
export interface RunsEdit {
  run_ids: string[];
  add_tags?: string[];
  remove_tags?: string[];
  archived?: boolean;
  trashed?: boolean;
}

/** `GET /api/v1/projects/{ws}/{p}` */
export interface ProjectInfo { project: string; description?: string }

/** A path the filter or sort names that no run of the project has, with the closest one it does have. */
export interface UnknownPath { path: string; did_you_mean: string | null }

export interface RunsPage { total: number; unfiltered_total?: number; runs: Run[]; unknown_paths?: UnknownPath[] }

/** A saved runs-table view (`GET …/views`). */
export interface SavedView { name: string; state: Record<string, unknown>; updated_at: number }

/** A path used in a project (`GET …/attributes`), with the runs per type. */
export interface ProjectAttribute { path: string; types: Partial<Record<AttributeType, number>>; runs: number }

export interface Buckets {
  index: number[];
  first_step: number[];
  last_step: number[];
  min: WireFloat[];
  max: WireFloat[];
  mean: WireFloat[];
  count: number[];
  nan_count: number[];
  last: WireFloat[];
}

export interface SeriesResult {
  run_id: string;
  type?: AttributeType;
  buckets?: Buckets;
  steps?: number[];
  values?: unknown[];
  timestamps?: number[];
  next_after_step?: number | null;
}

export interface SeriesQuery {
  runs: string[];
  path: string;
  step_range?: [number, number] | null;
  buckets?: number;
  /** Equal-width step buckets instead of edges snapped to stored blocks. */
  exact_buckets?: boolean;
  limit?: number;
  after_step?: number | null;
  lineage?: boolean;
}

/** An error the server reported (`{"error": {code, message}}`) or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number, readonly code: string, message: string,
    /** Seconds from a `Retry-After` header (429), when the server sent one. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** A signed-in principal as `GET /auth/me` and login report it. */
export interface User { name: string; kind: "user" | "service"; owner: boolean }

/** `GET /api/v1/auth/me`: whether the server asks for credentials, and who the caller is. */
export interface Me { auth_required: boolean; insecure_no_auth: boolean; user: User | null }

export type Role = "viewer" | "writer" | "admin";
export const ROLES: Role[] = ["viewer", "writer", "admin"];

/** An API token as listed (`GET /api/v1/tokens`); times in microseconds since the epoch. */
export interface ApiToken {
  id: number;
  principal: string;
  name: string;
  created_us: number;
  expires_us: number | null;
  /** "ws/p" or "ws/*"; empty: every project the principal can reach */
  projects: string[];
  /** null: the principal's own roles */
  role: Role | null;
  last_used_us: number | null;
  revoked: boolean;
}

export interface NewToken { name: string; projects?: string[]; role?: Role; expires_in_days?: number }

/** A project member; `scope: "workspace"` when the role comes from the whole workspace. */
export interface Member { principal: string; role: Role; scope: "project" | "workspace" }

let unauthorized: (() => void) | null = null;

/**
 * Called whenever an API call answers 401 (no or expired credentials), except
 * the sign-in call itself. The app sends the user to the login page.
 */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  unauthorized = fn;
}

/** Converts a wire float to a JS number (NaN and ±Infinity included). */
export function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (typeof v === "boolean") return v ? 1 : 0;
  return NaN;
}

const BASE = "api/v1";

function projectBase(project: string): string {
  const [ws, name] = splitProject(project);
  return `${BASE}/projects/${encodeURIComponent(ws)}/${encodeURIComponent(name)}`;
}

export function splitProject(project: string): [string, string] {
  const i = project.indexOf("/");
  return i < 0 ? [project, ""] : [project.slice(0, i), project.slice(i + 1)];
}

/**
 * Headers of every request: `X-Requested-By` is the server's CSRF check for
 * cookie-authenticated writes (a cross-site form cannot set it).
 */
export function requestHeaders(hasBody: boolean): Record<string, string> {
  return hasBody ? { "X-Requested-By": "sextant", "Content-Type": "application/json" } : { "X-Requested-By": "sextant" };
}

/** Seconds in a `Retry-After` header (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(v: string | null, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.ceil((t - now) / 1000));
}

interface RequestOptions {
  signal?: AbortSignal;
  /** Do not call the 401 handler (sign-in: a 401 there is a wrong password). */
  noAuthRedirect?: boolean;
}

async function request<T>(method: string, url: string, body?: unknown, signalOrOpts?: AbortSignal | RequestOptions): Promise<T> {
  const opts: RequestOptions = signalOrOpts instanceof AbortSignal ? { signal: signalOrOpts } : (signalOrOpts ?? {});
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      signal: opts.signal,
      credentials: "same-origin",
      headers: requestHeaders(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    connection.failed();
    throw new ApiError(0, "unavailable", `cannot reach the server: ${(e as Error).message}`);
  }
  if (isGatewayFailure(res.status)) connection.failed();
  else connection.ok();
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // fall through: reported below
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.noAuthRedirect) unauthorized?.();
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? "http_" + res.status, err?.message ?? (text || res.statusText),
      parseRetryAfter(res.headers.get("Retry-After")));
  }
  if (res.status === 204) return undefined as T;
  if (json === null) throw new ApiError(res.status, "bad_response", "the server sent no JSON");
  return json as T;
}

/** Items asked for per page of a paged list (the server's maximum). */
export const LIST_PAGE_LIMIT = 10_000;
/** Pages read of one list at most: a server that never ends a list must not loop the UI forever. */
export const MAX_LIST_PAGES = 100;

/**
 * Every item of a paged list endpoint (`GET …?limit=&page_token=`), in the
 * server's order: follows `next_page_token` until it is null. A page may be
 * short, even empty, and still not be the last (a filtered list scans a
 * bounded number of items per request); only a null token ends the list.
 */
export async function listAll<K extends string, T>(
  url: string, key: K, signal?: AbortSignal, maxPages = MAX_LIST_PAGES,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | null = null;
  const sep = url.includes("?") ? "&" : "?";
  for (let page = 0; page < maxPages; page++) {
    let target = `${url}${sep}limit=${LIST_PAGE_LIMIT}`;
    if (token !== null) target += `&page_token=${encodeURIComponent(token)}`;
    const r = await request<Record<K, T[]> & { next_page_token?: string | null }>("GET", target, undefined, signal);
    const items = r[key];
    if (!Array.isArray(items)) throw new ApiError(200, "bad_response", `the server sent no "${key}" list`);
    for (const item of items) out.push(item);
    token = r.next_page_token ?? null;  // a server without paging sends no token: one page
    if (token === null) return out;
  }
  throw new ApiError(200, "bad_response", `${url}: the list did not end after ${maxPages} pages`);
}

export const api = {
  projects(signal?: AbortSignal): Promise<Project[]> {
    return listAll<"projects", Project>(`${BASE}/projects`, "projects", signal);
  },
  queryRuns(project: string, q: RunsQuery, signal?: AbortSignal): Promise<RunsPage> {
    return request<RunsPage>("POST", `${projectBase(project)}/runs/query`, q, signal);
  },
  run(project: string, runId: string, signal?: AbortSignal): Promise<Run> {
    return request<Run>("GET", `${projectBase(project)}/runs/${encodeURIComponent(runId)}`, undefined, signal);
  },
  /** Moves the run to the trash (nothing is deleted). */
  trashRun(project: string, runId: string): Promise<Run> {
    return request<Run>("DELETE", `${projectBase(project)}/runs/${encodeURIComponent(runId)}`);
  },
  /** Deletes a run in the trash for good; 409 when it is not in the trash or runs fork from it. */
  purgeRun(project: string, runId: string): Promise<{ run_id: string; purged: boolean }> {
    return request("DELETE", `${projectBase(project)}/runs/${encodeURIComponent(runId)}?purge=true`);
  },
  restoreRun(project: string, runId: string): Promise<Run> {
    return request<Run>("POST", `${projectBase(project)}/runs/${encodeURIComponent(runId)}/restore`);
  },
  patchRun(project: string, runId: string, patch: RunPatch): Promise<Run> {
    return request<Run>("PATCH", `${projectBase(project)}/runs/${encodeURIComponent(runId)}`, patch);
  },
  editRuns(project: string, edit: RunsEdit): Promise<{ updated: number }> {
    return request("POST", `${projectBase(project)}/runs/edit`, edit);
  },
  project(project: string, signal?: AbortSignal): Promise<ProjectInfo> {
    return request<ProjectInfo>("GET", projectBase(project), undefined, signal);
  },
  patchProject(project: string, patch: { description: string }): Promise<ProjectInfo> {
    return request<ProjectInfo>("PATCH", projectBase(project), patch);
  },
  attributes(project: string, runId: string, signal?: AbortSignal): Promise<Attribute[]> {
    return listAll<"attributes", Attribute>(
      `${projectBase(project)}/runs/${encodeURIComponent(runId)}/attributes`, "attributes", signal);
  },
  series(project: string, q: SeriesQuery, signal?: AbortSignal): Promise<SeriesResult[]> {
    return request<{ series: SeriesResult[] }>("POST", `${projectBase(project)}/series`, q, signal).then((r) => r.series);
  },
  projectAttributes(project: string, signal?: AbortSignal): Promise<ProjectAttribute[]> {
    return listAll<"attributes", ProjectAttribute>(`${projectBase(project)}/attributes`, "attributes", signal);
  },
  views(project: string, signal?: AbortSignal): Promise<SavedView[]> {
    return listAll<"views", SavedView>(`${projectBase(project)}/views`, "views", signal);
  },
  putView(project: string, name: string, state: Record<string, unknown>): Promise<unknown> {
    return request("PUT", `${projectBase(project)}/views/${encodeURIComponent(name)}`, { state });
  },
  deleteView(project: string, name: string): Promise<unknown> {
    return request("DELETE", `${projectBase(project)}/views/${encodeURIComponent(name)}`);
  },
  me(signal?: AbortSignal): Promise<Me> {
    return request<Me>("GET", `${BASE}/auth/me`, undefined, signal);
  },
  login(name: string, password: string): Promise<{ user: User }> {
    return request("POST", `${BASE}/auth/login`, { name, password }, { noAuthRedirect: true });
  },
  logout(): Promise<void> {
    return request("POST", `${BASE}/auth/logout`, undefined, { noAuthRedirect: true });
  },
  /** The caller's tokens; `all` (owner only): everyone's. */
  tokens(all = false, signal?: AbortSignal): Promise<ApiToken[]> {
    return request<{ tokens: ApiToken[] }>("GET", `${BASE}/tokens${all ? "?all=true" : ""}`, undefined, signal).then((r) => r.tokens);
  },
  /** Creates a token; the secret is in this answer only. */
  createToken(t: NewToken): Promise<{ token: ApiToken; secret: string }> {
    return request("POST", `${BASE}/tokens`, t);
  },
  revokeToken(id: number): Promise<void> {
    return request("DELETE", `${BASE}/tokens/${encodeURIComponent(String(id))}`);
  },
  members(project: string, signal?: AbortSignal): Promise<Member[]> {
    return request<{ members: Member[] }>("GET", `${projectBase(project)}/members`, undefined, signal).then((r) => r.members);
  },
  putMember(project: string, principal: string, role: Role): Promise<{ member: Member }> {
    return request("PUT", `${projectBase(project)}/members/${encodeURIComponent(principal)}`, { role });
  },
  deleteMember(project: string, principal: string): Promise<void> {
    return request("DELETE", `${projectBase(project)}/members/${encodeURIComponent(principal)}`);
  },
  /** The whole project as one NDJSON download (`sextant import sextant FILE` reads it back). */
  exportUrl(project: string, files = true): string {
    return `${projectBase(project)}/export${files ? "" : "?files=false"}`;
  },
  /** A file attribute, or with `step` one point of a file series (the step as the API printed it). */
  fileUrl(project: string, runId: string, path: string, step?: number): string {
    const url = `${projectBase(project)}/runs/${encodeURIComponent(runId)}/files/${path.split("/").map(encodeURIComponent).join("/")}`;
    return step === undefined ? url : `${url}?step=${encodeURIComponent(String(step))}`;
  },
  /** The type the server gives a stored file (sniffed from its first bytes; `HEAD`, so nothing is downloaded). */
  async fileType(url: string, signal?: AbortSignal): Promise<string> {
    let res: Response;
    try {
      res = await fetch(url, { method: "HEAD", signal, credentials: "same-origin", headers: requestHeaders(false) });
    } catch (e) {
      if ((e as Error).name === "AbortError") throw e;
      connection.failed();
      throw new ApiError(0, "unavailable", `cannot reach the server: ${(e as Error).message}`);
    }
    if (res.status === 401) unauthorized?.();
    if (!res.ok) throw new ApiError(res.status, "http_" + res.status, `${res.status} ${res.statusText || "error"} reading the file's type`);
    return res.headers.get("Content-Type") ?? "";
  },
};
