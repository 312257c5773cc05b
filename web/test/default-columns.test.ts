import { describe, expect, it } from "vitest";
import type { ProjectAttribute, Run } from "../src/lib/api";
import { defaultColumns, headerParts } from "../src/lib/columns";
import { chooseDefaultColumns, DEFAULT_CONFIGS } from "../src/lib/default-columns";
import { filterExample, GENERIC_EXAMPLE } from "../src/lib/filter-example";

const SYS = ["sys/name", "sys/state", "sys/created_at", "sys/tags"];
const DIGEST = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

function attr(path: string, type: string, runs: number): ProjectAttribute {
  return { path, types: { [type]: runs }, runs };
}
function run(id: string, attributes: Record<string, unknown>): Run {
  return {
    project: "a/b", run_id: id, name: id, experiment_name: "", state: "finished",
    created_at: 1, updated_at: 2, fork_run_id: null, fork_step: null, attributes,
  };
}

describe("default columns", () => {
  it("shows shared scalar configs and loss series, never files, histograms or rare configs", () => {
    const attrs = [
      attr("lr", "float", 10), attr("optimizer", "string", 10), attr("use_amp", "bool", 9), attr("layers", "int", 10),
      attr("rare_flag", "int", 2), attr("sys/tags", "string_set", 10),
      attr("train/loss", "float_series", 10), attr("val/loss", "float_series", 8), attr("eval/acc", "float_series", 10),
      attr("model.ckpt", "file", 10), attr("samples", "file_series", 10), attr("grads/l0", "histogram_series", 10),
      attr("notes", "string_series", 10),
    ];
    const sample = [run("a", { lr: 0.1, optimizer: "adam", use_amp: true, layers: 12 }), run("b", { lr: 0.01, optimizer: "adam", use_amp: true, layers: 24 })];
    // Configs that differ between runs (the sweep's) come first.
    expect(chooseDefaultColumns(attrs, sample)).toEqual([...SYS, "layers", "lr", "optimizer", "use_amp", "train/loss", "val/loss"]);
  });

  it("keeps a handful of configs", () => {
    const attrs = Array.from({ length: 40 }, (_, i) => attr(`c${String(i).padStart(2, "0")}`, "float", 5));
    const cols = chooseDefaultColumns(attrs, []);
    expect(cols.length).toBe(SYS.length + DEFAULT_CONFIGS);
    expect(cols.slice(SYS.length, SYS.length + 2)).toEqual(["c00", "c01"]);
  });

  it("an empty project gets the built-in columns", () => {
    expect(chooseDefaultColumns([], [])).toEqual(SYS);
  });

  it("without the project's paths, leaves out digests and histograms seen in runs", () => {
    expect(defaultColumns([run("a", { "config/lr": 0.1, "model.bin": DIGEST, "grad/l0": { edges: [0, 1], counts: [1] }, "train/loss": 1 })]))
      .toEqual([...SYS, "config/lr", "train/loss"]);
  });
});

describe("filter example", () => {
  it("uses a numeric config and a loss series of the project, with values from its runs", () => {
    const attrs = [attr("opt", "string", 3), attr("lr", "float", 3), attr("eval/acc", "float_series", 3), attr("val/loss", "float_series", 3)];
    expect(filterExample(attrs, [run("a", { lr: 0.00123, "val/loss": 0.4567 })])).toBe("lr <= 0.0012 and min(val/loss) < 0.46");
    expect(filterExample(attrs, [])).toBe("lr > 0 and min(val/loss) < 1");
  });

  it("falls back to a generic example", () => {
    expect(filterExample([attr("opt", "string", 3)], [])).toBe(GENERIC_EXAMPLE);
  });
});

describe("column headers", () => {
  it("splits a path and keeps an aggregate's function with the name", () => {
    expect(headerParts("train/loss")).toEqual({ group: "train", name: "loss" });
    expect(headerParts("min(val/loss)")).toEqual({ group: "val", name: "min(loss)" });
    expect(headerParts("max(acc)")).toEqual({ group: "", name: "max(acc)" });
    expect(headerParts("sys/created_at")).toEqual({ group: "", name: "Created" });
  });
});
