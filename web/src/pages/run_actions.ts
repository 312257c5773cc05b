// Run management on the runs table: the bar of actions on the selected runs
// (tags, archive, trash, restore, delete forever) and the menu choosing which
// runs are listed. Every action is one request (delete forever: one per run);
// a refusal shows the server's message under the bar instead of failing
// silently.

import { api, ApiError, type RunsEdit } from "../lib/api";
import { h, setChildren } from "../lib/dom";
import { purgeRuns } from "../lib/purge";
import type { RunsShow } from "../lib/url";

/** The text to show for a failed action: the server's own message. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message || `the server answered ${e.status}`;
  return e instanceof Error ? e.message : String(e);
}

export interface BulkBarOptions {
  project: string;
  selected(): string[];
  show(): RunsShow | undefined;
  /** After a change: reload the table; `clear` when the runs left the view, `keep`: the runs to leave selected then. */
  changed(clear: boolean, keep?: string[]): void;
  /** A run's name for messages (its id when unknown). */
  nameOf?(runId: string): string;
}

export interface BulkBar {
  el: HTMLElement;
  /** Redraws for the current selection and view. */
  draw(): void;
  showError(msg: string | null): void;
}

export function bulkBar(o: BulkBarOptions): BulkBar {
  const el = h("div", { class: "bulk-bar", hidden: true });
  const error = h("div", { class: "action-error bulk-error", role: "alert", hidden: true });
  let tagMode: "add" | "remove" | null = null;
  /** "Delete forever" was pressed once: awaiting confirmation. */
  let confirmPurge = false;
  let busy = false;

  const showError = (msg: string | null) => {
    error.textContent = msg ?? "";
    error.hidden = !msg;
  };

  async function run(edit: Omit<RunsEdit, "run_ids">, clear: boolean): Promise<void> {
    const ids = o.selected();
    if (!ids.length || busy) return;
    busy = true;
    showError(null);
    try {
      await api.editRuns(o.project, { run_ids: ids, ...edit });
      tagMode = null;
      confirmPurge = false;
      o.changed(clear);
    } catch (e) {
      showError(errorText(e));
    } finally {
      busy = false;
      draw();
    }
  }

  /** Purges the selected runs; the ones refused stay selected, each with the server's message. */
  async function purge(): Promise<void> {
    const ids = o.selected();
    if (!ids.length || busy) return;
    busy = true;
    confirmPurge = false;
    showError(null);
    draw();
    try {
      const r = await purgeRuns(ids, (id) => api.purgeRun(o.project, id), errorText);
      const name = o.nameOf ?? ((id: string) => id);
      if (r.failed.length) {
        showError(r.failed.map((f) => `${name(f.runId)}: ${f.message}`).join("\n"));
        if (r.purged.length) o.changed(true, r.failed.map((f) => f.runId));
      } else o.changed(true);
    } finally {
      busy = false;
      draw();
    }
  }

  function purgeConfirm(n: number): HTMLElement {
    return h("span", { class: "confirm purge-confirm", role: "alertdialog" },
      h("span", { class: "purge-warning" }, `Delete ${n === 1 ? "this run" : `these ${n} runs`} forever, with ${n === 1 ? "its" : "their"} points and files? This cannot be undone.`),
      h("button", { class: "btn danger bulk-purge-confirm", disabled: busy, onclick: () => void purge() }, "Delete forever"),
      h("button", { class: "btn ghost bulk-purge-cancel", onclick: () => { confirmPurge = false; draw(); } }, "Cancel"));
  }

  function tagInput(mode: "add" | "remove"): HTMLElement {
    const input = h("input", { class: "input bulk-tag-input", placeholder: mode === "add" ? "Tag to add" : "Tag to remove", "aria-label": mode === "add" ? "Tag to add" : "Tag to remove" });
    const apply = () => {
      const tags = input.value.split(",").map((t) => t.trim()).filter(Boolean);
      if (!tags.length) return showError("Type a tag (several: separated by commas).");
      void run(mode === "add" ? { add_tags: tags } : { remove_tags: tags }, false);
    };
    input.addEventListener("keydown", (e: KeyboardEvent) => {
      if (e.key === "Enter") apply();
      else if (e.key === "Escape") { tagMode = null; draw(); }
    });
    queueMicrotask(() => input.focus());
    return h("span", { class: "bulk-tag" }, input,
      h("button", { class: "btn primary bulk-tag-apply", onclick: apply }, mode === "add" ? "Add" : "Remove"),
      h("button", { class: "btn ghost", onclick: () => { tagMode = null; draw(); } }, "Cancel"));
  }

  function draw(): void {
    const n = o.selected().length;
    el.hidden = n === 0;
    if (!n) {
      tagMode = null;
      confirmPurge = false;
      showError(null);
      return;
    }
    const show = o.show();
    const btn = (cls: string, label: string, title: string, fn: () => void) =>
      h("button", { class: `btn ${cls}`, title, disabled: busy, onclick: fn }, label);
    const actions: HTMLElement[] = [];
    if (show === "trash") {
      actions.push(btn("bulk-restore", "Restore", "Take the selected runs out of the trash", () => void run({ trashed: false }, true)),
        btn("danger bulk-purge", "Delete forever", "Delete the selected runs for good: their points and files", () => { confirmPurge = true; draw(); }));
    } else {
      actions.push(
        btn("bulk-add-tag", "Add tag", "Add a tag to the selected runs", () => { tagMode = "add"; draw(); }),
        btn("bulk-remove-tag", "Remove tag", "Remove a tag from the selected runs", () => { tagMode = "remove"; draw(); }),
        btn("bulk-archive", "Archive", "Hide the selected runs from the table (Show → archived lists them)", () => void run({ archived: true }, show !== "archived")));
      if (show === "archived") actions.push(btn("bulk-unarchive", "Unarchive", "List the selected runs in the table again", () => void run({ archived: false }, false)));
      actions.push(btn("bulk-trash", "Move to trash", "Move the selected runs to the trash (Show → trash restores them)", () => void run({ trashed: true }, true)));
    }
    setChildren(el,
      h("div", { class: "bulk-row" },
        h("span", { class: "bulk-count" }, n === 1 ? "1 run selected" : `${n} runs selected`),
        actions,
        tagMode ? tagInput(tagMode) : null,
        confirmPurge && show === "trash" ? purgeConfirm(n) : null),
      error);
  }

  return { el, draw, showError };
}

/** The menu choosing which runs the table lists. */
export function showSelect(current: RunsShow | undefined, onChange: (show: RunsShow | undefined) => void): HTMLSelectElement {
  const sel = h("select", { class: "input runs-show", title: "Which runs to list", "aria-label": "Which runs to list",
    onchange: () => onChange(sel.value === "archived" || sel.value === "trash" ? sel.value : undefined) },
    h("option", { value: "" }, "Active runs"),
    h("option", { value: "archived" }, "With archived"),
    h("option", { value: "trash" }, "Trash"));
  sel.value = current ?? "";
  return sel;
}

/** Removes one tag from one run (the × on a tag chip). */
export async function removeTag(project: string, runId: string, tag: string): Promise<void> {
  await api.patchRun(project, runId, { remove_tags: [tag] });
}
