import { describe, expect, it } from "vitest";
import { groupItems, matchSearch } from "../src/lib/search";

describe("series search", () => {
  it("matches all words, case-insensitively", () => {
    expect(matchSearch("train/Loss", "loss")).toBe(true);
    expect(matchSearch("train/loss", "train loss")).toBe(true);
    expect(matchSearch("train/loss", "eval loss")).toBe(false);
    expect(matchSearch("anything", "  ")).toBe(true);
  });

  it("supports /regex/ and survives a bad one", () => {
    expect(matchSearch("grads/layer_07", "/layer_0[5-9]/")).toBe(true);
    expect(matchSearch("grads/layer_17", "/layer_0[5-9]/")).toBe(false);
    expect(matchSearch("x", "/(/")).toBe(false);
  });

  it("groups by first segment, float charts before text logs", () => {
    const g = groupItems([
      { path: "train/loss", kind: "float" }, { path: "logs/stdout", kind: "string" },
      { path: "eval/acc", kind: "float" }, { path: "lr", kind: "float" }, { path: "train/acc", kind: "float" },
    ]);
    expect(Array.from(g.keys())).toEqual(["eval", "", "train", "text logs"]);
    expect(g.get("train")!.map((i) => i.path)).toEqual(["train/acc", "train/loss"]);
  });
});
