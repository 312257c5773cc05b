// The app shell: routing between pages and the top bar.

import { h, setChildren } from "./lib/dom";
import { formatRoute, parseRoute, type Route } from "./lib/url";

export interface Page {
  /** Applies a route of the same page kind in place; false to remount. */
  update?(route: Route): boolean;
  destroy(): void;
}

export type PageFactory = (root: HTMLElement, route: Route) => Page;

let crumbsEl: HTMLElement;
let current: { route: Route; page: Page } | null = null;

/**
 * Shows `route`. `replace` rewrites the current history entry without
 * remounting (for state changes inside a page: filter, sort, zoom).
 */
export function navigate(route: Route, replace = false): void {
  const hash = formatRoute(route);
  if (replace) {
    history.replaceState(history.state, "", hash);
    if (current) current.route = route;
  } else if (location.hash !== hash) {
    location.hash = hash;
  }
}

export function href(route: Route): string {
  return formatRoute(route);
}

/** Sets the breadcrumbs: [label, route or null] from the root down. */
export function setCrumbs(items: [string, Route | null][]): void {
  const parts: (HTMLElement | string)[] = [];
  items.forEach(([label, route], i) => {
    if (i > 0) parts.push(h("span", { class: "crumb-sep" }, "/"));
    parts.push(route ? h("a", { href: href(route), class: "crumb" }, label) : h("span", { class: "crumb current" }, label));
  });
  setChildren(crumbsEl, parts);
}

export function setTitle(t: string): void {
  document.title = t ? `${t} · Sextant` : "Sextant";
}

/** Extra parts of the shell: the top bar's right end, a banner under it. */
export interface Chrome {
  topRight?: HTMLElement;
  banner?: HTMLElement;
}

export function startApp(root: HTMLElement, pageFor: (route: Route) => PageFactory, chrome: Chrome = {}): void {
  crumbsEl = h("nav", { class: "crumbs" });
  const main = h("main", { class: "page" });
  setChildren(root,
    h("header", { class: "topbar" },
      h("a", { class: "brand", href: "#/" }, h("span", { class: "logo" }, "◭"), "Sextant"),
      crumbsEl,
      chrome.topRight,
    ),
    chrome.banner,
    main,
  );
  const render = () => {
    const route = parseRoute(location.hash);
    if (current && current.route.page === route.page && current.page.update?.(route)) {
      current.route = route;
      return;
    }
    current?.page.destroy();
    main.textContent = "";
    main.className = `page page-${route.page}`;
    current = { route, page: pageFor(route)(main, route) };
  };
  window.addEventListener("hashchange", render);
  render();
}

export function currentRoute(): Route {
  return current?.route ?? parseRoute(location.hash);
}
