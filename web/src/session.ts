// Who is signed in (`GET /api/v1/auth/me`), shared by the top bar and the
// pages that depend on it (login, tokens).

import { api, type Me } from "./lib/api";

let me: Me | null = null;
const listeners = new Set<(me: Me | null) => void>();

/** The last answer of `GET /auth/me`, or null before the first one. */
export function session(): Me | null {
  return me;
}

function set(next: Me | null): void {
  me = next;
  for (const fn of listeners) fn(me);
}

/** Asks the server again; keeps the last answer if it cannot be reached. */
export async function refreshSession(): Promise<Me | null> {
  try {
    set(await api.me());
  } catch {
    // The top bar keeps what it shows; pages report their own errors.
  }
  return me;
}

/** Forgets the signed-in user (after a 401 or signing out). */
export function clearUser(): void {
  if (me?.user) set({ ...me, user: null });
}

/** Calls `fn` on every change; returns the unsubscribe. */
export function onSession(fn: (me: Me | null) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
