// A dashboard in a URL: its stored JSON as base64url (the `layout` query
// parameter), so a link reproduces the layout without the server.

import { parseDashboard, serializeDashboard, type Dashboard } from "./dashboard";

/** Longest `layout` value read: a bound on what a pasted link can make the page parse. */
export const MAX_LAYOUT_CHARS = 200_000;

export function encodeDashboard(d: Dashboard): string {
  const bytes = new TextEncoder().encode(JSON.stringify(serializeDashboard(d)));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The dashboard in a `layout` value, or an error saying why it cannot be read. */
export function decodeDashboard(s: string): { dashboard: Dashboard } | { error: string } {
  if (s.length > MAX_LAYOUT_CHARS) return { error: "the layout in the link is too long" };
  let json: unknown;
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return { error: "the layout in the link is damaged (not base64url JSON)" };
  }
  const d = parseDashboard(json);
  return d ? { dashboard: d } : { error: "the layout in the link is not a dashboard" };
}
