// The login page: name and password, then back to where the user was.

import { setCrumbs, setTitle, type Page } from "../app";
import { api } from "../lib/api";
import { afterLoginHash, loginErrorText } from "../lib/auth";
import { h } from "../lib/dom";
import type { Route } from "../lib/url";
import { refreshSession } from "../session";

export function loginPage(root: HTMLElement, route: Route): Page {
  setCrumbs([["Sign in", null]]);
  setTitle("Sign in");
  const next = route.page === "login" ? route.next : undefined;
  let destroyed = false;

  const name = h("input", { class: "input", name: "name", autocomplete: "username", required: true, "aria-label": "Name" });
  const password = h("input", {
    class: "input", name: "password", type: "password", autocomplete: "current-password", required: true, "aria-label": "Password",
  });
  const submit = h("button", { class: "btn primary login-submit", type: "submit" }, "Sign in");
  const error = h("div", { class: "error-box login-error", role: "alert", hidden: true });
  const note = h("p", { class: "muted login-note", hidden: true });

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await api.login(name.value.trim(), password.value);
      await refreshSession();
      if (!destroyed) location.hash = afterLoginHash(next);
    } catch (err) {
      if (destroyed) return;
      error.textContent = loginErrorText(err);
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
    }
  };

  root.appendChild(h("div", { class: "login-wrap" },
    h("form", { class: "login-form", onsubmit: (e: Event) => void onSubmit(e) },
      h("h1", null, "Sign in to Sextant"),
      h("label", { class: "field" }, h("span", null, "Name"), name),
      h("label", { class: "field" }, h("span", null, "Password"), password),
      error,
      submit,
      note,
    ),
  ));
  name.focus();

  // A server that asks for no credentials: say so, and offer the way back.
  void refreshSession().then((me) => {
    if (destroyed || !me) return;
    if (!me.auth_required) {
      note.hidden = false;
      note.append("This server does not require signing in. ", h("a", { href: afterLoginHash(next) }, "Continue"));
    } else if (me.user) {
      note.hidden = false;
      note.append(`Signed in as ${me.user.name}. `, h("a", { href: afterLoginHash(next) }, "Continue"));
    }
  });
  return {
    destroy() {
      destroyed = true;
    },
  };
}
