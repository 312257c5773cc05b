import { describe, expect, it } from "vitest";
import type { Run } from "../src/lib/api";
import { groupItems, groupRuns } from "../src/lib/grouping";

const run = (id: string, attributes: Record<string, unknown>, state = "finished"): Run => ({
  project: "t/p", run_id: id, name: id, experiment_name: "", state: state as Run["state"], created_at: 0, updated_at: 0,
  fork_run_id: null, fork_step: null, attributes,
});

describe("grouping", () => {
  const runs = [
    run("a", { "config/model": "gpt" }), run("b", { "config/model": "bert" }), run("c", { "config/model": "gpt" }),
    run("d", {}), run("e", { "config/model": 1 }), run("f", { "config/model": "1" }),
  ];
  it("groups by value in order of first appearance", () => {
    const g = groupRuns(runs, "config/model");
    expect(g.map((x) => [x.label, x.runs.map((r) => r.run_id)])).toEqual([
      ["gpt", ["a", "c"]], ["bert", ["b"]], ["(no value)", ["d"]], ["1", ["e"]], ["1", ["f"]],
    ]);
  });
  it("groups by built-in paths and tag sets", () => {
    const g = groupRuns([run("a", { "sys/tags": ["y", "x"] }), run("b", { "sys/tags": ["x", "y"] }), run("c", { "sys/tags": [] }, "failed")], "sys/tags");
    expect(g.map((x) => [x.label, x.runs.length])).toEqual([["x, y", 2], ["(none)", 1]]);
    expect(groupRuns(runs.slice(0, 2), "sys/state").map((x) => x.label)).toEqual(["finished"]);
  });
  it("lists headers and hides collapsed groups' rows", () => {
    const g = groupRuns(runs.slice(0, 3), "config/model");
    const items = groupItems(g, new Set([g[1].key]));
    expect(items.map((i) => (i.kind === "group" ? `[${i.label} ${i.count}${i.collapsed ? " +" : ""}]` : i.run!.run_id)))
      .toEqual(["[gpt 2]", "a", "c", "[bert 1 +]"]);
  });
});
