// "Your API tokens": list, create (the secret is shown once), revoke.

import { setCrumbs, setTitle, type Page } from "../app";
import { api, ApiError, ROLES, type ApiToken, type NewToken, type Role } from "../lib/api";
import {
  formatExpiry, formatLastUsed, formatScope, formatUs, parseExpiryDays, parseProjectList, tokenStatus,
} from "../lib/auth";
import { h, setChildren } from "../lib/dom";
import { onSession, session } from "../session";
import { copyText } from "./textviewer";

const errorText = (e: unknown) => (e instanceof ApiError ? e.message : String(e));

export function tokensPage(root: HTMLElement): Page {
  setCrumbs([["Projects", { page: "projects" }], ["API tokens", null]]);
  setTitle("API tokens");
  let tokens: ApiToken[] | null = null;
  let loadError = "";
  let showAll = false;
  /** The token whose revoke button was pressed once (awaiting confirmation). */
  let confirming: number | null = null;
  let destroyed = false;
  const ctl = new AbortController();

  // ---- create form ----
  const name = h("input", { class: "input token-name", name: "name", required: true, placeholder: "e.g. ci-runner", "aria-label": "Token name" });
  const projects = h("input", { class: "input token-projects", name: "projects", placeholder: "all projects, or ws/p, ws/*", "aria-label": "Projects" });
  const role = h("select", { class: "input token-role", "aria-label": "Role" },
    h("option", { value: "" }, "my roles"), ROLES.map((r) => h("option", { value: r }, r)));
  const expiry = h("input", { class: "input token-expiry", type: "number", min: "1", step: "1", placeholder: "never", "aria-label": "Expires in days" });
  const createBtn = h("button", { class: "btn primary token-create", type: "submit" }, "Create token");
  const formError = h("div", { class: "error-box token-form-error", role: "alert", hidden: true });
  const secretBox = h("div", { class: "secret-box", hidden: true });
  const allToggle = h("input", { type: "checkbox", class: "tokens-all", onchange: () => { showAll = allToggle.checked; void load(); } });
  const allLabel = h("label", { class: "ctl", hidden: true, title: "Every user's tokens (owner)" }, allToggle, "All users");
  const list = h("div", { class: "tokens-list" });

  const showSecret = (tokenName: string, secret: string) => {
    const code = h("code", { class: "token-secret" }, secret);
    const copy: HTMLButtonElement = h("button", { class: "btn copy-secret", type: "button", onclick: async () => {
      copy.textContent = (await copyText(secret, code)) ? "Copied" : "Press Ctrl+C to copy";
    } }, "Copy");
    setChildren(secretBox,
      h("div", { class: "secret-head" }, h("strong", null, `New token “${tokenName}”`)),
      h("p", { class: "secret-warning" }, "Copy the secret now: it will not be shown again. It is sent as ",
        h("code", null, "Authorization: Bearer <secret>"), "."),
      h("div", { class: "secret-row" }, code, copy,
        h("button", { class: "btn ghost", type: "button", onclick: () => { secretBox.hidden = true; setChildren(secretBox); } }, "Done")),
    );
    secretBox.hidden = false;
  };

  const create = async (e: Event) => {
    e.preventDefault();
    formError.hidden = true;
    const p = parseProjectList(projects.value);
    const d = parseExpiryDays(expiry.value);
    const err = p.error ?? d.error ?? (name.value.trim() ? undefined : "Give the token a name.");
    if (err) {
      formError.textContent = err;
      formError.hidden = false;
      return;
    }
    const body: NewToken = { name: name.value.trim() };
    if (p.projects) body.projects = p.projects;
    if (role.value) body.role = role.value as Role;
    if (d.days !== undefined) body.expires_in_days = d.days;
    createBtn.disabled = true;
    try {
      const res = await api.createToken(body);
      if (destroyed) return;
      showSecret(res.token.name, res.secret);
      name.value = projects.value = expiry.value = role.value = "";
      await load();
    } catch (e2) {
      formError.textContent = errorText(e2);
      formError.hidden = false;
    } finally {
      createBtn.disabled = false;
    }
  };

  const revoke = async (t: ApiToken) => {
    try {
      await api.revokeToken(t.id);
      confirming = null;
      await load();
    } catch (e) {
      loadError = `Revoking “${t.name}”: ${errorText(e)}`;
      draw();
    }
  };

  root.appendChild(h("div", { class: "narrow tokens-page" },
    h("div", { class: "page-head" }, h("h1", null, "API tokens"), allLabel),
    h("p", { class: "muted" }, "Tokens let scripts and the client library use the API as you, optionally limited to some projects, a lower role, and a lifetime."),
    h("form", { class: "token-form", onsubmit: (e: Event) => void create(e) },
      h("label", { class: "field" }, h("span", null, "Name"), name),
      h("label", { class: "field wide" }, h("span", null, "Projects"), projects),
      h("label", { class: "field" }, h("span", null, "Role"), role),
      h("label", { class: "field" }, h("span", null, "Expires in (days)"), expiry),
      h("div", { class: "field" }, h("span", null, "\u00a0"), createBtn),
    ),
    formError,
    secretBox,
    list,
  ));

  const actions = (t: ApiToken): HTMLElement => {
    if (t.revoked) return h("span");
    if (confirming === t.id) {
      return h("span", { class: "confirm" }, "Revoke? ",
        h("button", { class: "btn danger revoke-confirm", onclick: () => void revoke(t) }, "Revoke"),
        h("button", { class: "btn ghost", onclick: () => { confirming = null; draw(); } }, "Cancel"));
    }
    return h("button", { class: "btn revoke", onclick: () => { confirming = t.id; draw(); } }, "Revoke");
  };

  const draw = () => {
    const me = session();
    allLabel.hidden = !me?.user?.owner;
    const parts: HTMLElement[] = [];
    if (loadError) parts.push(h("div", { class: "error-box" }, loadError));
    if (!tokens) {
      if (!loadError) parts.push(h("div", { class: "muted pad" }, "Loading…"));
      return setChildren(list, parts);
    }
    if (tokens.length === 0) {
      parts.push(h("div", { class: "empty-state" }, h("h2", null, "No tokens yet")));
      return setChildren(list, parts);
    }
    const principals = showAll;
    const now = Date.now() * 1000;
    parts.push(h("table", { class: "simple-table tokens-table" },
      h("thead", null, h("tr", null,
        h("th", null, "Name"), principals && h("th", null, "Principal"), h("th", null, "Projects"), h("th", null, "Role"),
        h("th", null, "Created"), h("th", null, "Expires"), h("th", null, "Last used"), h("th", null, "Status"), h("th", null, ""))),
      h("tbody", null, tokens.map((t) => {
        const status = tokenStatus(t, now);
        return h("tr", { dataset: { tokenId: String(t.id) }, class: `token-row token-${status}` },
          h("td", { class: "token-name-cell" }, t.name),
          principals && h("td", null, t.principal),
          h("td", { class: "token-scope" }, formatScope(t.projects)),
          h("td", { class: "token-role-cell" }, t.role ?? h("span", { class: "dim" }, "my roles")),
          h("td", { title: formatUs(t.created_us) }, formatUs(t.created_us).slice(0, 10)),
          h("td", { class: "token-expires", title: formatUs(t.expires_us) }, formatExpiry(t.expires_us, now)),
          h("td", { class: "token-last-used", title: formatUs(t.last_used_us) }, formatLastUsed(t.last_used_us, now)),
          h("td", null, h("span", { class: `token-status status-${status}` }, status)),
          h("td", { class: "actions" }, actions(t)),
        );
      })),
    ));
    setChildren(list, parts);
  };

  async function load(): Promise<void> {
    try {
      const next = await api.tokens(showAll, ctl.signal);
      tokens = next.sort((a, b) => Number(a.revoked) - Number(b.revoked) || b.created_us - a.created_us);
      loadError = "";
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      loadError = errorText(e);
    }
    if (!destroyed) draw();
  }

  const unsub = onSession(() => draw());
  draw();
  void load();
  return {
    destroy() {
      destroyed = true;
      ctl.abort();
      unsub();
    },
  };
}
