import { setCrumbs, setTitle, type Page } from "../app";
import { h } from "../lib/dom";
import type { Route } from "../lib/url";

export function notFoundPage(root: HTMLElement, route: Route): Page {
  setCrumbs([]);
  setTitle("Not found");
  root.appendChild(h("div", { class: "empty-state" },
    h("h2", null, "Nothing here"),
    h("p", null, `No page at ${route.page === "notfound" ? route.path : ""}. `, h("a", { href: "#/" }, "All projects")),
  ));
  return { destroy() {} };
}
