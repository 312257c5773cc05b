import { describe, expect, it } from "vitest";
import { complete, needsBackquote, quotePath, rankPaths } from "../src/lib/autocomplete";

const names = ["train/loss", "train/lr", "eval/loss", "config/lr", "config/batch_size", "sys/state", "sys/tags", "eval/top-1 acc (%)", "in"];

function at(text: string, names_ = names) {
  return complete(text, text.length, names_);
}

describe("autocomplete", () => {
  it("suggests paths at the start, prefix matches first", () => {
    const c = at("tr")!;
    expect(c.from).toBe(0);
    expect(c.items.map((i) => i.label).slice(0, 2)).toEqual(["train/lr", "train/loss"]);
    expect(c.items[0].insert).toBe("train/lr ");
  });

  it("matches a segment after a slash", () => {
    const labels = at("lr")!.items.map((i) => i.label);
    expect(labels).toContain("config/lr");
    expect(labels).toContain("train/lr");
  });

  it("suggests paths after and/or/not/(", () => {
    for (const t of ["x = 1 and ev", "x = 1 or ev", "not ev", "(ev", "exists(ev"]) {
      const c = at(t)!;
      expect(c.items[0].label, t).toBe("eval/loss");
      expect(c.from, t).toBe(t.length - 2);
    }
  });

  it("backquotes names that need it", () => {
    const c = at("eval/top")!;
    expect(c.items[0].insert).toBe("`eval/top-1 acc (%)` ");
    expect(quotePath("in")).toBe("`in`");
    expect(needsBackquote("1e5")).toBe(true);
    expect(needsBackquote("a/b-c.d_e")).toBe(false);
    expect(quotePath("a`b")).toBe("`a\\`b`");
  });

  it("completes inside an open backquote", () => {
    const c = at("`eval/to")!;
    expect(c.from).toBe(0);
    expect(c.items[0].label).toBe("eval/top-1 acc (%)");
  });

  it("suggests operators after a path", () => {
    const c = at("train/loss ")!;
    expect(c.items.map((i) => i.label)).toContain("<");
    expect(at("sys/tags co")!.items.map((i) => i.label)).toEqual(["contains"]);
  });

  it("suggests and/or after a complete condition", () => {
    expect(at("train/loss < 0.5 ")!.items.map((i) => i.label)).toEqual(["and", "or"]);
    expect(at("(a = 1) o")!.items.map((i) => i.label)).toEqual(["or"]);
    expect(at('sys/name ~ "x" a')!.items.map((i) => i.label)).toEqual(["and"]);
  });

  it("offers run states for sys/state", () => {
    expect(at("sys/state = ")!.items.map((i) => i.label)).toEqual(["running", "finished", "failed", "stale"]);
    const c = at('sys/state = "fa')!;
    expect(c.items.map((i) => i.insert)).toEqual(['"failed" ']);
    expect(c.from).toBe(12);
  });

  it("stays quiet inside ordinary strings and after numbers being typed", () => {
    expect(at('sys/name ~ "tra')).toBeNull();
    expect(at("train/loss < 0.5")).toBeNull();
  });

  it("replaces the whole word under the caret", () => {
    const text = "trai and x = 1";
    const c = complete(text, 2, names)!;
    expect(c.from).toBe(0);
    expect(c.to).toBe(4);
  });

  it("ranks and caps", () => {
    const many = Array.from({ length: 100 }, (_, i) => `m/${i}`);
    expect(rankPaths(many, "m/", 5)).toHaveLength(5);
    expect(rankPaths(["abc", "xabc", "x/abc", "abcd"], "abc", 10)).toEqual(["abcd", "x/abc", "xabc"]);
  });
});
