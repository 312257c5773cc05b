// Markdown notes (run and project descriptions) rendered for display. The
// text is whatever anyone with write access typed, so the HTML that `marked`
// makes is passed through DOMPurify before it reaches the page: no scripts,
// no event-handler attributes, no `javascript:` URLs.

import DOMPurify from "dompurify";
import { marked } from "marked";

let hooked = false;

/** Links in notes open in a new tab and do not hand this page to the target. */
function hookLinks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A" && node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });
}

// Plain HTML only (no SVG/MathML), and no elements that could pose as the UI's own controls.
const PURIFY = { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "input", "textarea", "button", "select"] };

function toHtml(src: string): string {
  hookLinks();
  return marked.parse(src, { async: false, gfm: true }) as string;
}

/** Markdown (GitHub flavour) to sanitized HTML. */
export function markdownToSafeHtml(src: string): string {
  return DOMPurify.sanitize(toHtml(src), PURIFY);
}

/** Replaces `el`'s content with the rendered Markdown, as nodes parsed from the sanitized HTML. */
export function renderMarkdown(el: HTMLElement, src: string): void {
  el.replaceChildren(DOMPurify.sanitize(toHtml(src), { ...PURIFY, RETURN_DOM_FRAGMENT: true }));
}
