import { describe, expect, it } from "vitest";
import type { ProjectAttribute, Run } from "../src/lib/api";
import {
  aggregatePaths, axisValue, brushed, configPaths, defaultMetric, makeScale, niceStep, ticks, toUnit, varyingConfigs,
} from "../src/lib/sweeps";

const run = (id: string, attributes: Record<string, unknown>): Run => ({
  project: "w/p", run_id: id, name: id, experiment_name: "", state: "finished", created_at: 0, updated_at: 0,
  fork_run_id: null, fork_step: null, attributes,
});
const attr = (path: string, types: ProjectAttribute["types"]): ProjectAttribute => ({ path, types, runs: 1 });

describe("axis scales", () => {
  it("goes logarithmic when values span two decades or more", () => {
    const lr = makeScale("lr", [1e-4, 3e-4, 1e-3, 1e-2]);
    expect(lr).toMatchObject({ kind: "num", log: true, min: 1e-4, max: 1e-2 });
    expect(toUnit(lr, 1e-3)).toBeCloseTo(0.5);
    expect(toUnit(lr, 0)).toBeNull();
    expect(ticks(lr).map((t) => [t.label, Number(t.at.toFixed(3))])).toEqual([["1e-4", 0], ["0.001", 0.5], ["0.01", 1]]);
    const lin = makeScale("layers", [12, 24, 48]);
    expect(lin.log).toBe(false);
    expect(toUnit(lin, 24)).toBeCloseTo(1 / 3);
  });

  it("pads a constant axis and keeps linear ticks round", () => {
    const s = makeScale("x", [5, 5, null]);
    expect([s.min, s.max]).toEqual([4.5, 5.5]);
    expect(toUnit(s, 5)).toBeCloseTo(0.5);
    const t = ticks(makeScale("y", [0.13, 0.97]));
    expect(t.map((x) => x.label)).toEqual(["0.2", "0.4", "0.6", "0.8"]);
    expect(t.every((x) => x.at >= 0 && x.at <= 1)).toBe(true);
    expect([0.3, 1.5, 7, 0.012].map(niceStep)).toEqual([0.5, 2, 10, 0.02]);
  });

  it("puts strings and booleans on a categorical axis, missing values nowhere", () => {
    const s = makeScale("opt", ["sgd", "adam", null, "adamw"]);
    expect(s).toMatchObject({ kind: "cat", cats: ["adam", "adamw", "sgd"] });
    expect(toUnit(s, "adamw")).toBe(0.5);
    expect(toUnit(s, null)).toBeNull();
    expect(toUnit(makeScale("b", ["true"]), "true")).toBe(0.5);
    expect(axisValue(run("a", { b: true, n: "NaN", agg: 0.5, tags: ["y", "x"] }), "b")).toBe("true");
    expect(axisValue(run("a", { n: "NaN" }), "n")).toBeNull();
    expect(axisValue(run("a", { t: ["y", "x"] }), "t")).toBe("x, y");
  });
});

describe("brushing", () => {
  it("keeps the rows inside every brush; a row missing a brushed value is out", () => {
    const scales = [makeScale("a", [0, 10]), makeScale("b", ["x", "y"])];
    const rows = [
      { id: "r1", values: [2, "x"] }, { id: "r2", values: [8, "x"] }, { id: "r3", values: [8, "y"] }, { id: "r4", values: [null, "x"] },
    ];
    expect(brushed(rows, scales, new Map([["a", [0.5, 1]]]))).toEqual(["r2", "r3"]);
    expect(brushed(rows, scales, new Map([["a", [0.5, 1]], ["b", [0, 0.2]]]))).toEqual(["r2"]);
    expect(brushed(rows, scales, new Map())).toEqual(["r1", "r2", "r3", "r4"]);
  });
});

describe("default axes", () => {
  const attrs = [
    attr("config/lr", { float: 3 }), attr("config/opt", { string: 3 }), attr("config/seed", { int: 3 }), attr("sys/name", { string: 3 }),
    attr("val/loss", { float_series: 3 }), attr("train/loss", { float_series: 3 }), attr("monitoring/cpu", { float_series: 3 }),
  ];
  it("offers configs outside sys/ and aggregates of non-monitoring series", () => {
    expect(configPaths(attrs)).toEqual(["config/lr", "config/opt", "config/seed"]);
    expect(aggregatePaths(attrs)).toEqual(["min(train/loss)", "max(train/loss)", "last(train/loss)", "min(val/loss)", "max(val/loss)", "last(val/loss)"]);
  });
  it("judges by the lowest validation loss, and keeps the configs that vary", () => {
    expect(defaultMetric(attrs)).toBe("min(val/loss)");
    expect(defaultMetric([attr("acc", { float_series: 1 })])).toBe("last(acc)");
    expect(defaultMetric([])).toBeNull();
    const runs = [run("a", { "config/lr": 1, "config/opt": "adam", "config/seed": 1 }), run("b", { "config/lr": 2, "config/opt": "adam", "config/seed": 2 })];
    expect(varyingConfigs(configPaths(attrs), runs)).toEqual(["config/lr", "config/seed"]);
  });
});
