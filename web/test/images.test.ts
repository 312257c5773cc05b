import { describe, expect, it } from "vitest";
import { filePoints, formatBytes, isInlineImage, pickIndex } from "../src/lib/images";
import { groupItems } from "../src/lib/search";

describe("isInlineImage", () => {
  it("takes the types the server serves inline", () => {
    for (const t of ["image/png", "image/jpeg", "image/gif", "image/webp", "IMAGE/PNG", "image/png; charset=binary"]) expect(isInlineImage(t)).toBe(true);
  });
  it("refuses anything else, SVG included", () => {
    for (const t of ["application/octet-stream", "image/svg+xml", "text/html", ""]) expect(isInlineImage(t)).toBe(false);
  });
});

describe("filePoints", () => {
  it("reads a file series answer", () => {
    expect(filePoints([1, 2.5], [{ digest: "ab", size: 10, name: "a.png" }, { digest: "cd", size: 20 }], [100, 200])).toEqual([
      { step: 1, timestamp: 100, name: "a.png", size: 10, digest: "ab" },
      { step: 2.5, timestamp: 200, name: "", size: 20, digest: "cd" },
    ]);
  });
  it("is empty for an empty series", () => expect(filePoints(undefined, undefined)).toEqual([]));
});

describe("pickIndex", () => {
  const steps = [0, 10, 20, 30];
  it("shows the newest first", () => expect(pickIndex(steps, null, false)).toBe(3));
  it("follows new points when the slider was at the end", () => expect(pickIndex([...steps, 40], 30, true)).toBe(4));
  it("keeps the step the slider chose", () => expect(pickIndex([...steps, 40], 10, false)).toBe(1));
  it("falls back to the nearest step before a vanished one", () => expect(pickIndex([0, 20, 30], 10, false)).toBe(0));
  it("is -1 without points", () => expect(pickIndex([], null, true)).toBe(-1));
});

describe("formatBytes", () => {
  it("uses binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(20 * 1024 * 1024)).toBe("20 MiB");
  });
});

describe("grid items", () => {
  it("puts file series after charts and heatmaps, single files after them, logs last", () => {
    const g = groupItems([
      { path: "img/pred", kind: "files" }, { path: "img/loss", kind: "float" }, { path: "img/plot.png", kind: "file" },
      { path: "img/h", kind: "histogram" }, { path: "img/out", kind: "string" },
    ]);
    expect(g.get("img")!.map((i) => i.kind)).toEqual(["float", "histogram", "files", "file"]);
    expect(g.get("text logs")!.map((i) => i.path)).toEqual(["img/out"]);
  });
});
