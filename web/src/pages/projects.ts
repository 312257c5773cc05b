// The projects list.

import { href, setCrumbs, setTitle, type Page } from "../app";
import { api, ApiError, type Project } from "../lib/api";
import { h, setChildren } from "../lib/dom";
import { formatAgo, formatTime } from "../lib/format";
import { live } from "../lib/live";

export function projectsPage(root: HTMLElement): Page {
  setCrumbs([["Projects", null]]);
  setTitle("Projects");
  let projects: Project[] | null = null;
  let error = "";
  const search = h("input", {
    class: "input search", type: "search", placeholder: "Search projects", "aria-label": "Search projects",
    oninput: () => draw(),
  });
  const body = h("div", { class: "projects-body" });
  root.appendChild(h("div", { class: "narrow" },
    h("div", { class: "page-head" }, h("h1", null, "Projects"), search),
    body,
  ));

  const draw = () => {
    if (error) return setChildren(body, h("div", { class: "error-box" }, error));
    if (!projects) return setChildren(body, h("div", { class: "muted pad" }, "Loading…"));
    if (projects.length === 0) {
      return setChildren(body, h("div", { class: "empty-state" },
        h("h2", null, "No projects yet"),
        h("p", null, "A project appears when the first run is logged to it, e.g. ",
          h("code", null, "POST /api/v1/projects/team/llm/runs"), "."),
      ));
    }
    const q = search.value.trim().toLowerCase();
    const shown = projects.filter((p) => p.project.toLowerCase().includes(q));
    setChildren(body, h("table", { class: "simple-table" },
      h("thead", null, h("tr", null, h("th", null, "Project"), h("th", { class: "num" }, "Runs"), h("th", null, "Created"), h("th", null, ""))),
      h("tbody", null, shown.map((p) => h("tr", null,
        h("td", null, h("a", { class: "project-link", href: href({ page: "runs", project: p.project, filter: "", sort: null, columns: null, selected: [] }) },
          h("span", { class: "dim" }, p.workspace + " / "), p.name)),
        h("td", { class: "num" }, p.runs.toLocaleString()),
        h("td", { title: formatTime(p.created_at) }, formatAgo(p.created_at)),
        h("td", { class: "actions" },
          h("a", { class: "members-link", href: href({ page: "members", project: p.project }) }, "Members"),
          h("a", {
            class: "export-link", href: api.exportUrl(p.project), download: "",
            title: "Every run, value, point and file as one NDJSON file; `sextant import sextant FILE` reads it back",
          }, "Export")),
      ))),
    ));
  };

  const ctl = new AbortController();
  const load = async () => {
    try {
      const next = (await api.projects(ctl.signal)).sort((a, b) => a.project.localeCompare(b.project));
      if (projects && !error && JSON.stringify(next) === JSON.stringify(projects)) return;
      projects = next;
      error = "";
    } catch (e) {
      if ((e as Error).name === "AbortError") return;
      error = e instanceof ApiError ? e.message : String(e);
    }
    draw();
  };
  draw();
  void load();
  const unsub = live().subscribe({ kind: "project", project: "*" }, load);
  return {
    destroy() {
      ctl.abort();
      unsub();
    },
  };
}
