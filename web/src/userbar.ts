// The signed-in user in the top bar (name, Tokens, Sign out) and the warning
// banner of a server started with --insecure-no-auth.

import { navigate } from "./app";
import { api, type Me } from "./lib/api";
import { h, setChildren } from "./lib/dom";
import { clearUser, onSession } from "./session";

export const INSECURE_WARNING =
  "This server runs with --insecure-no-auth: anyone who can reach it can read and change everything.";

export function userBar(): { topRight: HTMLElement; banner: HTMLElement } {
  const topRight = h("div", { class: "topbar-user" });
  const banner = h("div", { class: "banner insecure-banner", role: "alert", hidden: true }, INSECURE_WARNING);

  const signOut = async (btn: HTMLButtonElement) => {
    btn.disabled = true;
    try {
      await api.logout();
    } catch {
      // Going to the login page anyway: the next request shows whether the session still works.
    }
    clearUser();
    navigate({ page: "login" });
  };

  const draw = (me: Me | null) => {
    banner.hidden = !me?.insecure_no_auth;
    const user = me?.user;
    if (!user) return setChildren(topRight);
    const btn: HTMLButtonElement = h("button", { class: "topbar-btn sign-out", onclick: () => void signOut(btn) }, "Sign out");
    setChildren(topRight,
      h("a", { class: "topbar-link tokens-link", href: "#/tokens" }, "Tokens"),
      h("span", { class: "user-name", title: `${user.kind}${user.owner ? ", owner" : ""}` }, user.name),
      btn,
    );
  };
  onSession(draw);
  return { topRight, banner };
}
