import "./styles.css";
import { href, startApp, type Page, type PageFactory } from "./app";
import { setUnauthorizedHandler } from "./lib/api";
import { loginRouteFor } from "./lib/auth";
import type { Route } from "./lib/url";
import { projectsPage } from "./pages/projects";
import { runsPage } from "./pages/runs";
import { runPage } from "./pages/run";
import { comparePage } from "./pages/compare";
import { notFoundPage } from "./pages/notfound";
import { loginPage } from "./pages/login";
import { tokensPage } from "./pages/tokens";
import { membersPage } from "./pages/members";
import { clearUser, refreshSession } from "./session";
import { userBar } from "./userbar";
import { connectionBanner } from "./connbanner";
import { h } from "./lib/dom";

/**
 * A page whose code loads when first shown (its own chunk), so pages most
 * visits never open do not weigh on the first load.
 */
function lazyPage(load: () => Promise<PageFactory>): PageFactory {
  return (root, route) => {
    let page: Page | null = null;
    let gone = false;
    load().then((factory) => {
      if (!gone) page = factory(root, route);
    }, (e: Error) => {
      if (!gone) root.append(h("div", { class: "error-box" }, `Could not load this page: ${e.message}`));
    });
    return {
      // Until the page is there, a new route remounts (and loads nothing twice: the module is cached).
      update: (r) => page?.update?.(r) ?? false,
      destroy() {
        gone = true;
        page?.destroy();
      },
    };
  };
}

const dashboardPage = lazyPage(() => import("./pages/dashboard").then((m) => m.dashboardPage));
const sweepsPage = lazyPage(() => import("./pages/sweeps").then((m) => m.sweepsPage));

function pageFor(route: Route): PageFactory {
  switch (route.page) {
    case "projects": return projectsPage;
    case "runs": return runsPage;
    case "run": return runPage;
    case "compare": return comparePage;
    case "dashboard": return dashboardPage;
    case "sweeps": return sweepsPage;
    case "members": return membersPage;
    case "login": return loginPage;
    case "tokens": return tokensPage;
    default: return notFoundPage;
  }
}

// Any API call answering 401: to the login page, which returns here afterwards.
setUnauthorizedHandler(() => {
  clearUser();
  const login = loginRouteFor(location.hash);
  if (login) location.replace(href(login)); // replace: Back must not return to the refused page
});

const bar = userBar();
startApp(document.getElementById("app")!, pageFor, { topRight: bar.topRight, banner: h("div", { class: "banners" }, connectionBanner(), bar.banner) });
void refreshSession();
