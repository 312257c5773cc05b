import { describe, expect, it } from "vitest";
import { aggregateName, parseAggregate } from "../src/lib/aggregates";
import { applySuggestion, filterText, replacePath, unknownText } from "../src/lib/unknown-paths";

describe("unknown paths", () => {
  it("replaces the unknown path with the suggestion, as a whole path only", () => {
    expect(replacePath("config/lr < 1e-3", "config/lr", "lr")).toBe("lr < 1e-3");
    expect(replacePath("config/lr < 1 and config/lr2 > 0 and xconfig/lr = 1", "config/lr", "lr"))
      .toBe("lr < 1 and config/lr2 > 0 and xconfig/lr = 1");
    expect(replacePath("(val/los<1)", "val/los", "val/loss")).toBe("(val/loss<1)");
    expect(replacePath("`config/lr` < 1", "config/lr", "lr")).toBe("lr < 1");
  });

  it("writes suggestions the filter language can read", () => {
    expect(replacePath("x < 1", "x", "my lr")).toBe("`my lr` < 1");
    expect(replacePath("min(val/los) < 0.3", "min(val/los)", "min(val/loss)")).toBe("min(val/loss) < 0.3");
    expect(filterText("and")).toBe("`and`");
    expect(unknownText({ path: "config/lr", did_you_mean: "lr" })).toBe("No run has config/lr");
  });

  it("puts the suggestion in the sort and columns too", () => {
    const route = { page: "runs" as const, project: "a/b", filter: "", sort: { path: "val/los", order: "desc" as const }, columns: ["sys/name", "val/los"], selected: [] };
    expect(applySuggestion(route, { path: "val/los", did_you_mean: "val/loss" }))
      .toEqual({ ...route, sort: { path: "val/loss", order: "desc" }, columns: ["sys/name", "val/loss"] });
    expect(applySuggestion({ ...route, columns: null }, { path: "x", did_you_mean: "y" })).toEqual({ ...route, columns: null });
  });

  it("parses aggregate names", () => {
    expect(parseAggregate("min(val/loss)")).toEqual({ fn: "min", path: "val/loss" });
    expect(parseAggregate("last_step(a/b)")).toEqual({ fn: "last_step", path: "a/b" });
    expect(parseAggregate("min(`a b`)")).toEqual({ fn: "min", path: "a b" });
    expect(parseAggregate("median(x)")).toBeNull();
    expect(parseAggregate("val/loss")).toBeNull();
    expect(aggregateName("max", "eval/acc")).toBe("max(eval/acc)");
  });
});
