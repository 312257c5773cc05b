// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { isLongText, lineCount, textPreview, textSummary } from "../src/lib/textview";
import { openTextViewer, textCell } from "../src/pages/textviewer";

const TRACEBACK = 'Traceback (most recent call last):\n  File "train.py", line 3, in <module>\n    main()\nRuntimeError: CUDA out of memory\n';

describe("isLongText", () => {
  it("takes multi-line and long strings", () => {
    expect(isLongText(TRACEBACK)).toBe(true);
    expect(isLongText("x".repeat(201))).toBe(true);
    expect(isLongText("a\r\nb")).toBe(true);
  });
  it("leaves short strings and other values in the cell", () => {
    expect(isLongText("x".repeat(200))).toBe(false);
    expect(isLongText("adamw")).toBe(false);
    expect(isLongText(123)).toBe(false);
    expect(isLongText(["a\nb"])).toBe(false);
    expect(isLongText(null)).toBe(false);
  });
});

describe("previews", () => {
  it("shows the first non-blank line with an ellipsis", () => {
    expect(textPreview(TRACEBACK)).toBe("Traceback (most recent call last):…");
    expect(textPreview("\n\n  \nnumpy==2.1\ntorch==2.5")).toBe("numpy==2.1…");
  });
  it("cuts a long line to fit", () => {
    const p = textPreview("y".repeat(500), 80);
    expect(p).toHaveLength(80);
    expect(p.endsWith("…")).toBe(true);
  });
  it("counts lines and characters", () => {
    expect(lineCount(TRACEBACK)).toBe(4);
    expect(lineCount("a\nb")).toBe(2);
    expect(lineCount("")).toBe(0);
    expect(textSummary("a\nb")).toBe("2 lines · 3 chars");
    expect(textSummary("x".repeat(1234))).toBe("1 line · 1,234 chars");
  });
});

describe("text viewer", () => {
  afterEach(() => { document.body.textContent = ""; });

  it("a long value's cell opens the whole text, monospace and scrollable, and Copy copies it", async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const cell = textCell("monitoring/traceback", TRACEBACK, String) as HTMLButtonElement;
    expect(cell.textContent).toBe("Traceback (most recent call last):…");
    document.body.appendChild(cell);
    cell.click();
    const dlg = document.querySelector<HTMLDialogElement>("dialog.textview")!;
    expect(dlg).not.toBeNull();
    expect(dlg.querySelector(".textview-pre")!.textContent).toBe(TRACEBACK);
    expect(dlg.querySelector(".textview-title")!.textContent).toBe("monitoring/traceback");
    expect(dlg.querySelector(".textview-size")!.textContent).toBe("4 lines · 118 chars");
    const copy = dlg.querySelector<HTMLButtonElement>(".textview-copy")!;
    copy.click();
    await vi.waitFor(() => expect(copy.textContent).toBe("Copied"));
    expect(writeText).toHaveBeenCalledWith(TRACEBACK);
  });

  it("keeps a short value as it is", () => expect(textCell("opt", "adamw", (v) => JSON.stringify(v))).toBe('"adamw"'));

  it("goes away when closed", () => {
    const dlg = openTextViewer("x", "a\nb");
    dlg.querySelector<HTMLButtonElement>(".textview-close")!.click();
    expect(document.querySelector("dialog.textview")).toBeNull();
  });
});
