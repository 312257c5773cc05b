// The run page's editable parts: the name (renamed in place), and the
// archive and trash buttons. Each shows the server's message when refused.

import { api, type Attribute, type Run } from "../lib/api";
import { h, setChildren } from "../lib/dom";
import { errorText } from "./run_actions";

export interface RunTitle {
  el: HTMLElement;
  /** The name as stored (ignored while it is being edited). */
  set(name: string, runId: string): void;
}

/** The run's name as a heading; "Rename" (or a double click) edits it, Enter saves, Escape cancels. */
export function runTitle(save: (name: string) => Promise<void>): RunTitle {
  let name = "";
  let id = "";
  let editing = false;
  const el = h("div", { class: "run-name" });
  const error = h("span", { class: "action-error rename-error", role: "alert", hidden: true });

  function view(): void {
    editing = false;
    error.hidden = true;
    setChildren(el,
      h("h1", { title: "Double-click to rename", ondblclick: edit }, name || id),
      h("button", { class: "link rename-btn", title: "Rename this run", onclick: edit }, "Rename"),
      error);
  }

  function edit(): void {
    editing = true;
    const input = h("input", { class: "input rename-input", value: name || id, "aria-label": "Run name", maxlength: 1024 });
    const submit = async () => {
      const next = input.value.trim();
      if (next === name) return view();
      if (!next) return fail("A run name cannot be empty.");
      input.disabled = true;
      try {
        await save(next);
        name = next;
        view();
      } catch (e) {
        input.disabled = false;
        fail(errorText(e));
      }
    };
    const fail = (msg: string) => {
      error.textContent = msg;
      error.hidden = false;
      input.focus();
    };
    input.addEventListener("keydown", (e: KeyboardEvent) => {
      if (e.key === "Enter") void submit();
      else if (e.key === "Escape") view();
    });
    setChildren(el, input,
      h("button", { class: "btn primary rename-save", onclick: () => void submit() }, "Save"),
      h("button", { class: "btn ghost rename-cancel", onclick: view }, "Cancel"),
      error);
    input.focus();
    input.select();
  }

  return {
    el,
    set(next, runId) {
      id = runId;
      if (editing || (next === name && el.childElementCount)) return;
      name = next;
      view();
    },
  };
}

/** Whether a run's attributes mark it archived or trashed. */
export function runFlags(attrs: Attribute[]): { archived: boolean; trashed: boolean } {
  const flag = (p: string) => attrs.some((a) => a.path === p && a.value === true);
  return { archived: flag("sys/archived"), trashed: flag("sys/trashed") };
}

/** Archive / Unarchive and Move to trash / Restore; `done` reloads the page's run. */
export function runStateActions(project: string, run: Run, attrs: Attribute[], done: () => void, fail: (msg: string) => void): HTMLElement {
  const { archived, trashed } = runFlags(attrs);
  const act = (fn: () => Promise<unknown>) => async (e: Event) => {
    const btn = e.currentTarget as HTMLButtonElement;
    btn.disabled = true;
    try {
      await fn();
      done();
    } catch (err) {
      fail(errorText(err));
      btn.disabled = false;
    }
  };
  const id = run.run_id;
  return h("span", { class: "run-actions" },
    trashed ? h("span", { class: "state state-stale trashed-badge" }, "in the trash") : null,
    archived ? h("span", { class: "state state-stale archived-badge" }, "archived") : null,
    h("button", { class: "btn run-archive", onclick: act(() => api.patchRun(project, id, { archived: !archived })) }, archived ? "Unarchive" : "Archive"),
    trashed
      ? h("button", { class: "btn run-restore", onclick: act(() => api.restoreRun(project, id)) }, "Restore")
      : h("button", { class: "btn run-trash", onclick: act(() => api.trashRun(project, id)) }, "Move to trash"));
}
