// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { markdownToSafeHtml, renderMarkdown } from "../src/lib/markdown";

describe("markdown notes", () => {
  it("renders Markdown", () => {
    const html = markdownToSafeHtml("# Title\n\nSome **bold** and `code`.\n\n- a\n- b\n\n[docs](https://example.com/x)");
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<code>code</code>");
    expect(html).toContain("<li>a</li>");
    expect(html).toMatch(/<a href="https:\/\/example.com\/x" target="_blank" rel="noopener noreferrer">docs<\/a>/);
  });

  it("neutralises script, event handlers and javascript: URLs", () => {
    const payload = [
      "<script>window.pwned = 1</script>",
      '<img src="x" onerror="window.pwned = 2">',
      "[click](javascript:window.pwned=3)",
      '<a href="javascript:window.pwned=4">raw link</a>',
      '<iframe src="https://evil.example"></iframe>',
      '<svg><script>window.pwned=5</script></svg>',
      '<div style="x" onclick="window.pwned=6">div</div>',
      "<form action=\"https://evil.example\"><input name=a></form>",
    ].join("\n\n");
    const html = markdownToSafeHtml(payload);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/onerror|onclick/i);
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toMatch(/<iframe|<form|<input/i);
    expect(html).toContain("raw link");

    const el = document.createElement("div");
    renderMarkdown(el, payload);
    expect(el.querySelector("script, iframe, form, input")).toBeNull();
    for (const node of el.querySelectorAll("*")) {
      for (const a of Array.from(node.attributes)) {
        expect(a.name.startsWith("on")).toBe(false);
        expect(a.value.toLowerCase()).not.toContain("javascript:");
      }
    }
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });

  it("keeps text that looks like HTML as text inside code", () => {
    const el = document.createElement("div");
    renderMarkdown(el, "`<script>alert(1)</script>`");
    expect(el.querySelector("script")).toBeNull();
    expect(el.textContent).toContain("<script>alert(1)</script>");
  });
});
