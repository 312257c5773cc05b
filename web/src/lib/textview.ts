// Long text values (tracebacks, git diffs, package lists): which values get a
// viewer instead of a one-line cell, and the one-line preview they show.

/** Longer than this, or on several lines, a string opens in the text viewer. */
export const LONG_TEXT_CHARS = 200;
const PREVIEW_CHARS = 80;

export function isLongText(v: unknown): v is string {
  return typeof v === "string" && (v.length > LONG_TEXT_CHARS || /[\r\n]/.test(v));
}

/** Lines in a text (a last line ending in a newline does not add one). */
export function lineCount(text: string): number {
  if (text === "") return 0;
  const n = text.split(/\r\n|\r|\n/).length;
  return /(\r\n|\r|\n)$/.test(text) ? n - 1 : n;
}

/** The first non-blank line, cut to fit a cell, with an ellipsis when anything is left out. */
export function textPreview(text: string, max = PREVIEW_CHARS): string {
  const lines = text.split(/\r\n|\r|\n/);
  const first = lines.find((l) => l.trim() !== "") ?? "";
  const cut = first.length > max ? first.slice(0, max - 1) : first;
  return cut + (cut.length < text.trim().length ? "…" : "");
}

/** "51 lines · 2,304 chars": what the viewer's header says about a text. */
export function textSummary(text: string): string {
  const n = lineCount(text);
  return `${n.toLocaleString("en-US")} line${n === 1 ? "" : "s"} · ${text.length.toLocaleString("en-US")} chars`;
}
