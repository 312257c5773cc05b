// Under the filter box: the paths the filter or sort names that no run has
// ("No run has config/lr — did you mean lr?"), so an empty table explains
// itself. Clicking the suggestion puts it in place of the unknown path.

import type { UnknownPath } from "../lib/api";
import { h, setChildren } from "../lib/dom";
import { unknownText } from "../lib/unknown-paths";

export interface UnknownNotice {
  el: HTMLElement;
  set(list: readonly UnknownPath[]): void;
}

export function unknownNotice(onSuggest: (u: UnknownPath & { did_you_mean: string }) => void): UnknownNotice {
  const el = h("div", { class: "unknown-paths", role: "status", hidden: true });
  return {
    el,
    set(list) {
      el.hidden = list.length === 0;
      setChildren(el, list.map((u) => h("div", { class: "unknown-path", dataset: { path: u.path } },
        unknownText(u),
        u.did_you_mean === null ? "." : [" — did you mean ",
          h("button", { class: "link did-you-mean", title: `Use ${u.did_you_mean} instead of ${u.path}`,
            onclick: () => onSuggest(u as UnknownPath & { did_you_mean: string }) }, u.did_you_mean),
          "?"])));
    },
  };
}
