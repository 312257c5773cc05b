// The runs filter input: the server's query language, with autocomplete of
// attribute names and the server's parse error shown inline.

import { complete, type Completion } from "../lib/autocomplete";
import { h, setChildren } from "../lib/dom";
import { filterPlaceholder, GENERIC_EXAMPLE } from "../lib/filter-example";
import { icon } from "./widgets";

export interface FilterBoxOptions {
  value: string;
  names(): readonly string[];
  onApply(text: string): void;
}

export class FilterBox {
  readonly el: HTMLDivElement;
  readonly input: HTMLInputElement;
  private menu: HTMLDivElement;
  private errorEl: HTMLDivElement;
  private comp: Completion | null = null;
  private active = -1;
  private applied: string;

  constructor(private opts: FilterBoxOptions) {
    this.applied = opts.value;
    this.input = h("input", {
      class: "filter-input",
      type: "text",
      spellcheck: "false",
      autocomplete: "off",
      "aria-label": "Filter runs",
      placeholder: filterPlaceholder(GENERIC_EXAMPLE),
      value: opts.value,
      oninput: () => this.suggest(),
      onkeydown: (e: KeyboardEvent) => this.onKey(e),
      onfocus: () => this.suggest(),
      onblur: () => setTimeout(() => this.close(), 150),
      onclick: () => this.suggest(),
    });
    this.menu = h("div", { class: "ac-menu", role: "listbox" });
    this.errorEl = h("div", { class: "filter-error", role: "alert" });
    const clear = h("button", {
      class: "icon-btn filter-clear", title: "Clear filter",
      onclick: () => {
        this.input.value = "";
        this.apply();
      },
    }, "×");
    this.el = h("div", { class: "filter-box" },
      h("div", { class: "filter-field" }, h("span", { class: "filter-icon" }, icon("filter")), this.input, clear, this.menu),
      this.errorEl,
    );
    this.close();
  }

  setValue(v: string): void {
    this.input.value = v;
    this.applied = v;
  }

  /** Shows `example` (a filter on the project's own paths) as the placeholder. */
  setExample(example: string): void {
    this.input.placeholder = filterPlaceholder(example);
  }

  setError(msg: string | null): void {
    this.el.classList.toggle("has-error", !!msg);
    setChildren(this.errorEl, msg ?? "");
  }

  private apply(): void {
    this.close();
    this.applied = this.input.value;
    this.opts.onApply(this.input.value);
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.comp?.items.length ?? 0;
    if (e.key === "ArrowDown" && n) {
      e.preventDefault();
      this.active = (this.active + 1) % n;
      this.drawMenu();
    } else if (e.key === "ArrowUp" && n) {
      e.preventDefault();
      this.active = (this.active - 1 + n) % n;
      this.drawMenu();
    } else if (e.key === "Tab" && n) {
      e.preventDefault();
      this.accept(Math.max(this.active, 0));
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (n && this.active >= 0) this.accept(this.active);
      else this.apply();
    } else if (e.key === "Escape") {
      if (n) this.close();
      else {
        this.input.value = this.applied;
      }
    }
  }

  private accept(i: number): void {
    const c = this.comp;
    if (!c) return;
    const item = c.items[i];
    const v = this.input.value;
    this.input.value = v.slice(0, c.from) + item.insert + v.slice(c.to);
    const caret = c.from + item.insert.length;
    this.input.setSelectionRange(caret, caret);
    this.input.focus();
    this.suggest();
  }

  private suggest(): void {
    if (document.activeElement !== this.input) return;
    const caret = this.input.selectionStart ?? this.input.value.length;
    this.comp = complete(this.input.value, caret, this.opts.names(), 10);
    this.active = -1;
    this.drawMenu();
  }

  private close(): void {
    this.comp = null;
    this.active = -1;
    this.drawMenu();
  }

  private drawMenu(): void {
    const c = this.comp;
    this.menu.hidden = !c;
    if (!c) return void (this.menu.textContent = "");
    setChildren(this.menu, c.items.map((it, i) => h("div", {
      class: "ac-item" + (i === this.active ? " active" : ""),
      role: "option",
      onmousedown: (e: MouseEvent) => {
        e.preventDefault();
        this.accept(i);
      },
    }, h("span", { class: `ac-kind ac-${it.kind}` }, it.kind[0]), it.label)));
  }
}
