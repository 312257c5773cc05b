// A readable, copyable view of a long text value: a modal dialog with the
// text in a scrollable monospace block and a Copy button. Cells that hold
// such a value show a one-line preview that opens it.

import { h } from "../lib/dom";
import { isLongText, textPreview, textSummary } from "../lib/textview";

/** Copies `text`; falls back to selecting `el` and the copy command (plain-HTTP pages have no clipboard API). */
export async function copyText(text: string, el: HTMLElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(el);
    const sel = window.getSelection();
    sel?.removeAllRanges();
    sel?.addRange(range);
    try {
      return document.execCommand("copy");
    } catch {
      return false;
    }
  }
}

/** Opens `text` in a modal viewer titled `title`; Escape, Close or a click outside closes it. */
export function openTextViewer(title: string, text: string): HTMLDialogElement {
  const pre = h("pre", { class: "textview-pre", tabindex: "0" }, text);
  const copy: HTMLButtonElement = h("button", {
    class: "btn textview-copy", onclick: async () => {
      copy.textContent = (await copyText(text, pre)) ? "Copied" : "Press Ctrl+C to copy";
    },
  }, "Copy");
  const dlg: HTMLDialogElement = h("dialog", { class: "textview", "aria-label": title },
    h("div", { class: "textview-head" },
      h("span", { class: "textview-title", title }, title),
      h("span", { class: "muted textview-size" }, textSummary(text)),
      h("span", { class: "spacer" }),
      copy,
      h("button", { class: "btn textview-close", onclick: () => close() }, "Close")),
    pre);
  // Without the dialog API (old browsers, test DOMs) the element is only shown and removed.
  const close = () => (typeof dlg.close === "function" ? dlg.close() : dlg.remove());
  // A click on the backdrop lands on the dialog itself.
  dlg.addEventListener("click", (e) => { if (e.target === dlg) close(); });
  dlg.addEventListener("close", () => dlg.remove());
  document.body.appendChild(dlg);
  if (typeof dlg.showModal === "function") dlg.showModal();
  else dlg.setAttribute("open", "");
  return dlg;
}

/** A value for a cell: a long text as a preview button that opens the viewer, anything else as `short(v)`. */
export function textCell(title: string, v: unknown, short: (v: unknown) => string): Node | string {
  if (!isLongText(v)) return short(v);
  return h("button", {
    class: "link text-open", title: `${textSummary(v)}: click to read and copy`,
    onclick: (e: Event) => { e.preventDefault(); e.stopPropagation(); openTextViewer(title, v); },
  }, textPreview(v));
}
