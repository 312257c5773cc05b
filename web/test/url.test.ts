import { describe, expect, it } from "vitest";
import { formatRoute, parseRoute, type Route } from "../src/lib/url";

const chart = { log: false, smooth: 0, range: null };

describe("routes", () => {
  const cases: [string, Route][] = [
    ["#/", { page: "projects" }],
    ["#/p/team/llm", { page: "runs", project: "team/llm", filter: "", sort: null, columns: null, selected: [] }],
    ["#/p/team/llm?q=config%2Flr+%3C+1e-3&sort=train%2Floss&order=desc&col=sys%2Fname&col=a%2Cb&sel=r1&sel=r%3A2", {
      page: "runs", project: "team/llm", filter: "config/lr < 1e-3",
      sort: { path: "train/loss", order: "desc" }, columns: ["sys/name", "a,b"], selected: ["r1", "r:2"],
    }],
    ["#/p/team/llm?show=trash", { page: "runs", project: "team/llm", filter: "", sort: null, columns: null, selected: [], show: "trash" }],
    ["#/p/team/llm?show=archived&sel=a", { page: "runs", project: "team/llm", filter: "", sort: null, columns: null, selected: ["a"], show: "archived" }],
    ["#/p/team/llm/r/run%3A1%2Fx", { page: "run", project: "team/llm", runId: "run:1/x", search: "", chart }],
    ["#/p/t/p/r/a?s=loss&log=1&smooth=0.6&from=10&to=200.5", {
      page: "run", project: "t/p", runId: "a", search: "loss", chart: { log: true, smooth: 0.6, range: [10, 200.5] },
    }],
    ["#/p/t/p/compare?run=a&run=b", { page: "compare", project: "t/p", runs: ["a", "b"], search: "", chart }],
    ["#/p/t/p/members", { page: "members", project: "t/p" }],
    ["#/login", { page: "login" }],
    ["#/login?next=%23%2Fp%2Ft%2Fp%3Fq%3Dx", { page: "login", next: "#/p/t/p?q=x" }],
    ["#/tokens", { page: "tokens" }],
  ];
  for (const [hash, route] of cases) {
    it(`parses ${hash}`, () => expect(parseRoute(hash)).toEqual(route));
    it(`formats back to ${hash}`, () => expect(formatRoute(route)).toBe(hash));
  }

  it("keeps the x axis mode, step by default", () => {
    const r = parseRoute("#/p/t/p/r/a?x=relative");
    expect(r).toEqual({ page: "run", project: "t/p", runId: "a", search: "", chart: { ...chart, x: "relative" } });
    expect(formatRoute(r)).toBe("#/p/t/p/r/a?x=relative");
    expect(parseRoute("#/p/t/p/compare?run=a&x=wall")).toMatchObject({ chart: { x: "wall" } });
    expect(parseRoute("#/p/t/p/r/a?x=bogus")).toEqual({ page: "run", project: "t/p", runId: "a", search: "", chart });
    expect(formatRoute({ page: "run", project: "t/p", runId: "a", search: "", chart: { ...chart, x: "step" } })).toBe("#/p/t/p/r/a");
  });

  it("round-trips awkward values", () => {
    const r: Route = {
      page: "runs", project: "w.s/p-1", filter: 'sys/tags contains "a&b=c" and `x y` > 1 # %',
      sort: { path: "eval/top-1 acc (%)", order: "asc" }, columns: [], selected: [],
    };
    expect(parseRoute(formatRoute(r))).toEqual(r);
  });

  it("keeps an empty column list distinct from the default", () => {
    const hash = formatRoute({ page: "runs", project: "a/b", filter: "", sort: null, columns: [], selected: [] });
    expect(hash).toBe("#/p/a/b?cols=none");
    expect((parseRoute(hash) as { columns: string[] | null }).columns).toEqual([]);
  });

  it("rejects bad chart params", () => {
    const r = parseRoute("#/p/a/b/r/x?smooth=abc&from=5&to=1") as Extract<Route, { page: "run" }>;
    expect(r.chart).toEqual(chart);
    const r2 = parseRoute("#/p/a/b/r/x?smooth=7") as Extract<Route, { page: "run" }>;
    expect(r2.chart.smooth).toBeLessThan(1);
  });

  it("treats unknown paths as not found", () => {
    expect(parseRoute("#/nope").page).toBe("notfound");
    expect(parseRoute("#/p/onlyws").page).toBe("notfound");
    expect(parseRoute("#/p/a/b/zzz").page).toBe("notfound");
    expect(parseRoute("").page).toBe("projects");
  });
});

import { formatDuration } from "../src/lib/format";

describe("formatDuration", () => {
  it("is compact", () => {
    expect([0, 45, 60, 750, 3600, 12000, 90000, 172800, -30].map(formatDuration))
      .toEqual(["0s", "45s", "1m", "12m30s", "1h", "3h20m", "1d1h", "2d", "-30s"]);
  });
});
