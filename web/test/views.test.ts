import { describe, expect, it } from "vitest";
import { applyView, parseView, serializeView, viewFromRoute, viewNameError } from "../src/lib/views";
import { formatRoute, parseRoute, type Route } from "../src/lib/url";

type RunsRoute = Extract<Route, { page: "runs" }>;

const route: RunsRoute = {
  page: "runs", project: "t/p", filter: "config/lr < 1e-3", sort: { path: "train/loss", order: "desc" },
  columns: ["sys/name", "config/lr"], selected: ["r1"], group: "config/model",
};

describe("saved views", () => {
  it("round-trips a route through JSON", () => {
    const state = JSON.parse(JSON.stringify(serializeView(viewFromRoute(route))));
    expect(state).toEqual({
      version: 1, filter: "config/lr < 1e-3", sort: { path: "train/loss", order: "desc" },
      columns: ["sys/name", "config/lr"], group: "config/model",
    });
    const back = applyView({ page: "runs", project: "t/p", filter: "x", sort: null, columns: null, selected: ["r1"] }, parseView(state));
    expect(back).toEqual(route);
  });

  it("keeps default columns and no grouping as such", () => {
    const r: RunsRoute = { page: "runs", project: "t/p", filter: "", sort: null, columns: null, selected: [] };
    const v = parseView(JSON.parse(JSON.stringify(viewFromRoute(r))));
    expect(v).toEqual({ version: 1, filter: "", sort: null, columns: null, group: null });
    expect(applyView(r, v)).toEqual(r);
    expect(applyView(r, { ...v, columns: [] }).columns).toEqual([]);
  });

  it("reads foreign or damaged state tolerantly", () => {
    expect(parseView(null)).toEqual({ version: 1, filter: "", sort: null, columns: null, group: null });
    expect(parseView({ filter: 3, sort: { path: "a" }, columns: ["a", 1, ""], group: "", extra: true }))
      .toEqual({ version: 1, filter: "", sort: { path: "a", order: "asc" }, columns: ["a"], group: null });
    expect(parseView({ sort: { order: "desc" }, columns: "a" })).toMatchObject({ sort: null, columns: null });
  });

  it("the restored view is reflected in the URL", () => {
    const r = applyView({ page: "runs", project: "t/p", filter: "", sort: null, columns: null, selected: [] }, parseView(viewFromRoute(route)));
    expect(parseRoute(formatRoute(r))).toEqual({ ...route, selected: [] });
    expect(formatRoute(r)).toContain("group=config%2Fmodel");
  });

  it("validates names and size", () => {
    expect(viewNameError(" ")).toBeTruthy();
    expect(viewNameError("a/b")).toBeTruthy();
    expect(viewNameError("my view")).toBeNull();
    expect(() => serializeView({ version: 1, filter: "x".repeat(70_000), sort: null, columns: null, group: null })).toThrow();
  });
});

describe("the archived/trash listing", () => {
  it("is saved and restored with the view, through the URL", () => {
    const r: RunsRoute = { page: "runs", project: "t/p", filter: "", sort: null, columns: null, selected: [], show: "trash" };
    const state = JSON.parse(JSON.stringify(serializeView(viewFromRoute(r))));
    expect(state.show).toBe("trash");
    const back = applyView({ page: "runs", project: "t/p", filter: "x", sort: null, columns: null, selected: ["r1"] }, parseView(state));
    // Another listing: the selection (runs of the old one) is dropped.
    expect(back).toEqual(r);
    expect(parseRoute(formatRoute(back))).toEqual(r);
    expect(formatRoute(back)).toContain("show=trash");
    expect(applyView({ ...r, selected: ["r1"] }, parseView({ show: "trash" })).selected).toEqual(["r1"]);
  });

  it("a view without it lists the active runs, whatever the table showed", () => {
    const active = viewFromRoute({ page: "runs", project: "t/p", filter: "", sort: null, columns: null, selected: [] });
    expect("show" in active).toBe(false);
    const back = applyView({ page: "runs", project: "t/p", filter: "", sort: null, columns: null, selected: ["r1"], show: "archived" }, parseView(active));
    expect(back.show).toBeUndefined();
    expect(parseView({ show: "everything" }).show).toBeUndefined();
    expect(parseView({ show: "archived" }).show).toBe("archived");
  });
});

describe("column widths", () => {
  it("round-trip through the URL and a view", () => {
    const r: RunsRoute = {
      page: "runs", project: "t/p", filter: "", sort: null, columns: ["sys/name", "a:b"], selected: [],
      widths: { "sys/name": 300, "a:b": 90 },
    };
    const hash = formatRoute(r);
    expect(hash).toContain("w=a%3Ab%3A90");
    expect(parseRoute(hash)).toEqual(r);
    const v = parseView(JSON.parse(JSON.stringify(viewFromRoute(r))));
    expect(v.widths).toEqual({ "sys/name": 300, "a:b": 90 });
    expect(applyView({ ...r, widths: undefined }, v)).toEqual(r);
  });
  it("are clamped and validated", () => {
    expect(parseRoute("#/p/t/p?w=x:5&w=y:abc&w=z:99999&w=:3")).toMatchObject({ widths: { x: 40, z: 1000 } });
    expect(parseView({ widths: { a: 10, b: "x", c: 120.4 } }).widths).toEqual({ a: 40, c: 120 });
    expect(parseView({ widths: [] }).widths).toBeUndefined();
  });
});

import { viewKind, viewsOfKind } from "../src/lib/views";
import { serializeDashboard } from "../src/lib/dashboard";

describe("views and dashboards share the store", () => {
  it("tells them apart by kind, so each menu lists only its own", () => {
    const list = [
      { name: "a", state: serializeView(viewFromRoute(route)) },
      { name: "b", state: serializeDashboard({ version: 1, sections: [] }) },
      { name: "c", state: { kind: "something-newer" } },
    ];
    expect(viewKind(list[1].state)).toBe("dashboard");
    expect(viewsOfKind(list, "table").map((v) => v.name)).toEqual(["a"]);
    expect(viewKind(list[2].state)).toBe("other");
    expect(viewsOfKind(list, "dashboard").map((v) => v.name)).toEqual(["b"]);
  });
});
