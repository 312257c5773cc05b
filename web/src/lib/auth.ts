// Pure logic of signing in and of the tokens and members pages (no DOM).

import { ApiError, type ApiToken } from "./api";
import { formatTime, formatAgo } from "./format";
import { formatRoute, parseRoute, type Route } from "./url";

/**
 * Where a 401 sends the user: the login page, remembering `currentHash` to
 * return to. null when already on the login page (keep its `next`).
 */
export function loginRouteFor(currentHash: string): Route | null {
  const cur = parseRoute(currentHash);
  if (cur.page === "login") return null;
  const next = formatRoute(cur);
  return next === "#/" ? { page: "login" } : { page: "login", next };
}

/**
 * The hash to show after signing in: `next` when it is one of the UI's own
 * pages (a hash route, not the login page), otherwise the projects page.
 */
export function afterLoginHash(next: string | undefined): string {
  if (!next || !next.startsWith("#/")) return "#/";
  const r = parseRoute(next);
  if (r.page === "login" || r.page === "notfound") return "#/";
  return next;
}

/** Coarse time span: "45 s", "12 min", "5 h", "30 days". */
export function formatSpan(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

/** A token's expiry relative to `nowUs`: "never", "in 30 days", "expired 2 h ago". */
export function formatExpiry(expiresUs: number | null, nowUs = Date.now() * 1000): string {
  if (expiresUs === null || expiresUs === undefined) return "never";
  const d = (expiresUs - nowUs) / 1e6;
  return d > 0 ? `in ${formatSpan(d)}` : `expired ${formatSpan(-d)} ago`;
}

/** Microseconds since the epoch as local "YYYY-MM-DD HH:MM". */
export function formatUs(us: number | null): string {
  return us === null || us === undefined ? "" : formatTime(us / 1e6);
}

/** When a token was last used: "never" or "3m ago". */
export function formatLastUsed(us: number | null, nowUs = Date.now() * 1000): string {
  return us === null || us === undefined ? "never" : formatAgo(us / 1e6, nowUs / 1e6);
}

export type TokenStatus = "active" | "expired" | "revoked";

export function tokenStatus(t: ApiToken, nowUs = Date.now() * 1000): TokenStatus {
  if (t.revoked) return "revoked";
  if (t.expires_us !== null && t.expires_us !== undefined && t.expires_us <= nowUs) return "expired";
  return "active";
}

/** A token's project scope for display: "all projects" when unrestricted. */
export function formatScope(projects: string[] | null | undefined): string {
  return projects && projects.length > 0 ? projects.join(", ") : "all projects";
}

/**
 * The create form's project list: "ws/p" or "ws/*" entries separated by
 * commas or spaces. Empty text: no restriction (undefined).
 */
export function parseProjectList(text: string): { projects?: string[]; error?: string } {
  const items = text.split(/[\s,]+/).filter((s) => s !== "");
  if (items.length === 0) return {};
  for (const p of items) {
    if (!/^[^/]+\/[^/]+$/.test(p)) return { error: `"${p}" is not a project ("workspace/project" or "workspace/*")` };
  }
  return { projects: Array.from(new Set(items)) };
}

/** The expiry field: empty = never; otherwise a whole number of days ≥ 1. */
export function parseExpiryDays(text: string): { days?: number; error?: string } {
  const t = text.trim();
  if (t === "") return {};
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1) return { error: "Expiry: a whole number of days (1 or more), or empty for never" };
  return { days: n };
}

/** An error of a sign-in attempt as the login page shows it. */
export function loginErrorText(e: unknown): string {
  if (!(e instanceof ApiError)) return String(e);
  if (e.status === 401) return e.message || "Wrong name or password.";
  if (e.status === 429) {
    const msg = e.message || "Too many attempts.";
    // Add the wait unless the message already gives it ("…, try again in 59 s").
    const saysWhen = /retry|try again|\d+\s*s\b/i.test(msg);
    return e.retryAfter !== undefined && !saysWhen ? `${msg} (retry in ${e.retryAfter} s)` : msg;
  }
  return e.message;
}

/** An error of a change on the members page; a 403 says what is missing. */
export function memberErrorText(e: unknown): string {
  if (!(e instanceof ApiError)) return String(e);
  if (e.status === 403) return `You cannot change this project's members: it needs the admin role on the project (${e.message}).`;
  return e.message;
}
