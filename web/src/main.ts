import "./styles.css";
import { startApp, type PageFactory } from "./app";
import type { Route } from "./lib/url";
import { projectsPage } from "./pages/projects";
import { runsPage } from "./pages/runs";
import { runPage } from "./pages/run";
import { comparePage } from "./pages/compare";
import { notFoundPage } from "./pages/notfound";

function pageFor(route: Route): PageFactory {
  switch (route.page) {
    case "projects": return projectsPage;
    case "runs": return runsPage;
    case "run": return runPage;
    case "compare": return comparePage;
    default: return notFoundPage;
  }
}

startApp(document.getElementById("app")!, pageFor);
