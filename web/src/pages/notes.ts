// Editable Markdown notes: a run's description or a project's. Shows the
// rendered (sanitized) Markdown with an Edit button; editing swaps in a
// textarea with Save and Cancel. A refused save keeps the text and shows the
// server's message.

import { h, setChildren } from "../lib/dom";
import { renderMarkdown } from "../lib/markdown";
import { errorText } from "./run_actions";

export interface NotesOptions {
  /** class of the outer element (for styling and tests) */
  class: string;
  /** what an empty note offers: "Add a description" */
  emptyLabel: string;
  save(text: string): Promise<void>;
}

export interface NotesEditor {
  el: HTMLElement;
  /** The stored text (a refresh from the server); ignored while editing. */
  set(text: string): void;
}

export function notesEditor(opts: NotesOptions): NotesEditor {
  let text = "";
  let editing = false;
  const el = h("section", { class: `notes ${opts.class}` });
  const body = h("div", { class: "notes-body markdown" });
  const error = h("div", { class: "action-error", role: "alert", hidden: true });

  const showError = (msg: string | null) => {
    error.textContent = msg ?? "";
    error.hidden = !msg;
  };

  function view(): void {
    editing = false;
    showError(null);
    if (!text.trim()) {
      setChildren(el, h("button", { class: "link notes-add", onclick: edit }, opts.emptyLabel), error);
      return;
    }
    renderMarkdown(body, text);
    setChildren(el, body, h("button", { class: "link notes-edit", title: "Edit (Markdown)", onclick: edit }, "Edit"), error);
  }

  function edit(): void {
    editing = true;
    const area = h("textarea", { class: "input notes-input", rows: 8, spellcheck: "true", placeholder: "Markdown: **bold**, `code`, - lists, [links](https://…)" });
    area.value = text;
    const saveBtn: HTMLButtonElement = h("button", { class: "btn primary notes-save", onclick: () => void save() }, "Save");
    const save = async () => {
      saveBtn.disabled = true;
      try {
        await opts.save(area.value);
        text = area.value;
        view();
      } catch (e) {
        showError(errorText(e));
        saveBtn.disabled = false;
      }
    };
    area.addEventListener("keydown", (e: KeyboardEvent) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void save();
      else if (e.key === "Escape") view();
    });
    setChildren(el, area,
      h("div", { class: "notes-actions" }, saveBtn, h("button", { class: "btn ghost notes-cancel", onclick: view }, "Cancel"),
        h("span", { class: "muted notes-hint" }, "Markdown · Ctrl+Enter saves")),
      error);
    area.focus();
  }

  view();
  return {
    el,
    set(next: string) {
      if (editing || next === text) return;
      text = next;
      view();
    },
  };
}
