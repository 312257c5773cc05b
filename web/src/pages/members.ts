// A project's members: list, and (for project admins) add, change, remove.

import { setCrumbs, setTitle, type Page } from "../app";
import { api, ApiError, ROLES, type Member, type Role } from "../lib/api";
import { memberErrorText } from "../lib/auth";
import { h, setChildren } from "../lib/dom";
import type { Route } from "../lib/url";

const runsRoute = (project: string): Route => ({ page: "runs", project, filter: "", sort: null, columns: null, selected: [] });

export function membersPage(root: HTMLElement, route: Route): Page {
  const project = route.page === "members" ? route.project : "";
  const ws = project.slice(0, project.indexOf("/"));
  setCrumbs([["Projects", { page: "projects" }], [project, runsRoute(project)], ["Members", null]]);
  setTitle(`Members · ${project}`);
  let members: Member[] | null = null;
  let loadError = "";
  let destroyed = false;
  const ctl = new AbortController();

  const principal = h("input", { class: "input member-principal", required: true, placeholder: "user or service name", "aria-label": "Principal" });
  const roleSel = h("select", { class: "input member-role", "aria-label": "Role" }, ROLES.map((r) => h("option", { value: r }, r)));
  const addBtn = h("button", { class: "btn primary member-add", type: "submit" }, "Add member");
  const actionError = h("div", { class: "error-box member-error", role: "alert", hidden: true });
  const list = h("div", { class: "members-list" });

  const fail = (e: unknown) => {
    if (destroyed) return;
    actionError.textContent = memberErrorText(e);
    actionError.hidden = false;
  };

  /**
   * Runs a change, then reloads the list; errors (403 included) show above
   * the list, which is reloaded too (a refused role change resets its menu).
   */
  const change = async (fn: () => Promise<unknown>) => {
    actionError.hidden = true;
    try {
      await fn();
    } catch (e) {
      fail(e);
    }
    await load();
  };

  const add = async (e: Event) => {
    e.preventDefault();
    const who = principal.value.trim();
    if (!who) return;
    addBtn.disabled = true;
    await change(() => api.putMember(project, who, roleSel.value as Role));
    if (actionError.hidden) principal.value = "";
    addBtn.disabled = false;
  };

  root.appendChild(h("div", { class: "narrow members-page" },
    h("div", { class: "page-head" }, h("h1", null, "Members of ", h("span", { class: "dim" }, project))),
    h("p", { class: "muted" }, "Viewers read, writers also log runs, admins also manage members. ",
      `Roles set on the workspace (scope “workspace”) apply to every project in ${ws}.`),
    h("form", { class: "member-form", onsubmit: (e: Event) => void add(e) },
      h("label", { class: "field wide" }, h("span", null, "Principal"), principal),
      h("label", { class: "field" }, h("span", null, "Role"), roleSel),
      h("div", { class: "field" }, h("span", null, "\u00a0"), addBtn),
    ),
    actionError,
    list,
  ));

  const row = (m: Member): HTMLElement => {
    const own = m.scope === "project";
    const sel = h("select", {
      class: "input member-role-cell", "aria-label": `Role of ${m.principal}`, disabled: !own,
      onchange: () => void change(() => api.putMember(project, m.principal, sel.value as Role)),
    }, ROLES.map((r) => h("option", { value: r }, r)));
    sel.value = m.role;
    return h("tr", { class: "member-row", dataset: { principal: m.principal, scope: m.scope } },
      h("td", { class: "member-name" }, m.principal),
      h("td", null, own ? sel : h("span", { class: "member-role-text" }, m.role)),
      h("td", { class: "member-scope" }, own ? "project" : h("span", { title: `set on workspace ${ws}` }, "workspace")),
      h("td", { class: "actions" }, own
        ? h("button", { class: "btn member-remove", onclick: () => void change(() => api.deleteMember(project, m.principal)) }, "Remove")
        : h("span", { class: "dim" }, "")),
    );
  };

  const draw = () => {
    if (loadError) return setChildren(list, h("div", { class: "error-box" }, loadError));
    if (!members) return setChildren(list, h("div", { class: "muted pad" }, "Loading…"));
    if (members.length === 0) return setChildren(list, h("div", { class: "empty-state" }, h("h2", null, "No members"),
      h("p", null, "Only the server's owners can see this project.")));
    setChildren(list, h("table", { class: "simple-table members-table" },
      h("thead", null, h("tr", null, h("th", null, "Principal"), h("th", null, "Role"), h("th", null, "Scope"), h("th", null, ""))),
      h("tbody", null, members.map(row)),
    ));
  };

  async function load(): Promise<void> {
    try {
      const next = await api.members(project, ctl.signal);
      members = next.sort((a, b) => a.scope.localeCompare(b.scope) || a.principal.localeCompare(b.principal));
      loadError = "";
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      loadError = e instanceof ApiError && e.status === 404 ? `No project ${project} (or you cannot see it).` : memberErrorText(e);
    }
    if (!destroyed) draw();
  }

  draw();
  void load();
  return {
    destroy() {
      destroyed = true;
      ctl.abort();
    },
  };
}
