import { describe, expect, it } from "vitest";
import { newPanel, type Dashboard } from "../src/lib/dashboard";
import { decodeDashboard, encodeDashboard } from "../src/lib/dashboard-url";
import { formatRoute, parseRoute, type Route } from "../src/lib/url";

const d: Dashboard = { version: 1, sections: [
  { name: "tränen ✓", pinned: true, collapsed: false, panels: [{ ...newPanel(["train/loss", "/^val\\/.*$/"], "train/epoch"), size: "S" }] },
] };

describe("dashboard in the URL", () => {
  it("round-trips through base64url (non-ASCII included) and a route", () => {
    const s = encodeDashboard(d);
    expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeDashboard(s)).toEqual({ dashboard: d });
    const r: Route = { page: "dashboard", project: "w/p", filter: "config/lr > 1e-4", selected: ["a", "b"], name: "mine", layout: s };
    const hash = formatRoute(r);
    expect(hash.startsWith("#/p/w/p/dashboard?")).toBe(true);
    expect(parseRoute(hash)).toEqual(r);
    expect(parseRoute("#/p/w/p/dashboard")).toEqual({ page: "dashboard", project: "w/p", filter: "", selected: [] });
  });

  it("explains a damaged or foreign layout", () => {
    expect(decodeDashboard("%%%")).toEqual({ error: expect.stringMatching(/damaged/) });
    expect(decodeDashboard(btoa(JSON.stringify({ version: 1, filter: "" })))).toEqual({ error: expect.stringMatching(/not a dashboard/) });
    expect(decodeDashboard("A".repeat(300_000))).toEqual({ error: expect.stringMatching(/too long/) });
  });
});
