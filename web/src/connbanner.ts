// A banner while the server cannot be reached (the page keeps what it shows
// and retries; the banner goes away by itself when the server answers again).

import { h } from "./lib/dom";
import { connection } from "./lib/connection";

export const DISCONNECTED_TEXT = "Disconnected: the server cannot be reached. What you see may be out of date; retrying…";

export function connectionBanner(): HTMLElement {
  const el = h("div", { class: "banner conn-banner", role: "status", "aria-live": "polite", hidden: true }, DISCONNECTED_TEXT);
  connection.subscribe((ok) => { el.hidden = ok; });
  return el;
}
