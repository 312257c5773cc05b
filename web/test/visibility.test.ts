import { describe, expect, it } from "vitest";
import { isArchived, visibilityQuery } from "../src/lib/visibility";
import { parseRoute } from "../src/lib/url";

describe("runs table visibility", () => {
  it("asks for active runs by default, archived ones too, or the trash", () => {
    expect(visibilityQuery(undefined)).toEqual({});
    expect(visibilityQuery("archived")).toEqual({ archived: "include" });
    expect(visibilityQuery("trash")).toEqual({ trashed: "only", archived: "include" });
  });

  it("ignores an unknown show= value", () => {
    expect(parseRoute("#/p/a/b?show=everything")).not.toHaveProperty("show");
  });

  it("reads sys/archived", () => {
    expect(isArchived({ "sys/archived": true })).toBe(true);
    expect(isArchived({})).toBe(false);
    expect(isArchived(undefined)).toBe(false);
  });
});
