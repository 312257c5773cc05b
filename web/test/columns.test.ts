import { describe, expect, it } from "vitest";
import type { Run } from "../src/lib/api";
import {
  addColumn, cellValue, defaultColumns, MAX_DEFAULT_COLUMNS, moveColumn, nextSort, removeColumn, requestColumns,
} from "../src/lib/columns";

function run(id: string, attributes: Record<string, unknown>): Run {
  return {
    project: "a/b", run_id: id, name: id.toUpperCase(), experiment_name: "e", state: "running",
    created_at: 1, updated_at: 2, fork_run_id: null, fork_step: null, attributes,
  };
}

describe("columns", () => {
  it("defaults to sys columns, then configs, then metrics", () => {
    const cols = defaultColumns([
      run("a", { "train/loss": 1, "config/lr": 0.1, "sys/tags": ["x"] }),
      run("b", { "eval/acc": 0.5, "config/batch": 4 }),
    ]);
    expect(cols).toEqual(["sys/name", "sys/state", "sys/created_at", "sys/tags", "config/batch", "config/lr", "eval/acc", "train/loss"]);
  });

  it("caps the default set, keeping small metric groups before large families", () => {
    const attrs: Record<string, unknown> = { "train/loss": 1 };
    for (let i = 0; i < 5000; i++) attrs[`grads/layer_${i}`] = i;
    const cols = defaultColumns([run("a", attrs)]);
    expect(cols.length).toBe(MAX_DEFAULT_COLUMNS);
    expect(cols[4]).toBe("train/loss");
  });

  it("adds, removes and moves without duplicates", () => {
    let c = addColumn(["a"], "b");
    expect(addColumn(c, "b")).toEqual(["a", "b"]);
    expect(addColumn(c, "  ")).toEqual(["a", "b"]);
    c = addColumn(c, "c");
    expect(moveColumn(c, "c", 0)).toEqual(["c", "a", "b"]);
    expect(moveColumn(c, "a", 99)).toEqual(["b", "c", "a"]);
    expect(removeColumn(c, "b")).toEqual(["a", "c"]);
  });

  it("cycles sort none → asc → desc → none", () => {
    const a = nextSort(null, "x");
    expect(a).toEqual({ path: "x", order: "asc" });
    const d = nextSort(a, "x");
    expect(d).toEqual({ path: "x", order: "desc" });
    expect(nextSort(d, "x")).toBeNull();
    expect(nextSort(d, "y")).toEqual({ path: "y", order: "asc" });
  });

  it("reads cells from the run object and its attributes", () => {
    const r = run("r1", { "train/loss": "NaN", "sys/tags": ["t"] });
    expect(cellValue(r, "sys/name")).toBe("R1");
    expect(cellValue(r, "sys/id")).toBe("r1");
    expect(cellValue(r, "sys/state")).toBe("running");
    expect(cellValue(r, "train/loss")).toBe("NaN");
    expect(cellValue(r, "missing")).toBeUndefined();
  });

  it("asks the server only for attribute columns, never for all of them", () => {
    expect(requestColumns(["sys/name", "sys/state", "config/lr"])).toEqual(["config/lr", "sys/tags"]);
    expect(requestColumns(["sys/name"])).toEqual(["sys/tags"]);
  });
});
