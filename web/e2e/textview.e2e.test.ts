// End-to-end: long text configs (a git diff, a traceback) open in a readable,
// copyable viewer from the run page, the compare table and the runs table.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, client, startStack } from "./harness.mjs";

type Stack = Awaited<ReturnType<typeof startStack>>;

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const P = "e2e/textview";
const diff = (n: number) => `diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-lr = 1e-3\n+lr = ${n}e-4\n` + "+# padding line\n".repeat(20);
const TRACEBACK = 'Traceback (most recent call last):\n  File "train.py", line 3, in <module>\n    main()\nRuntimeError: CUDA out of memory';

beforeAll(async () => {
  stack = await startStack();
  const c = client(stack.api, P);
  for (const [id, n] of [["r1", 3], ["r2", 5]] as const) {
    await c.createRun({ run_id: id, name: id });
    await c.log(id, { configs: { "git/diff": diff(n), "monitoring/traceback": TRACEBACK, optimizer: "adamw" } });
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.web });
  page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Opens the viewer with `opener`, checks it holds `text` whole, and closes it. */
async function viewerShows(opener: string, title: string, text: string): Promise<void> {
  await page.click(opener);
  await page.waitForSelector("dialog.textview[open]");
  expect(await page.textContent("dialog.textview .textview-title")).toBe(title);
  expect(await page.$eval("dialog.textview .textview-pre", (el) => el.textContent)).toBe(text);
  expect(await page.$eval("dialog.textview .textview-pre", (el) => getComputedStyle(el).whiteSpace)).toBe("pre");
  await page.click("dialog.textview .textview-close");
  await page.waitForSelector("dialog.textview", { state: "detached" });
}

describe("long text values", () => {
  it("the run page shows a preview that opens the whole text, and Copy copies it", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/r1`);
    const opener = '.tree-leaf[title^="monitoring/traceback"] .text-open';
    await page.waitForSelector(opener);
    expect(await page.textContent(opener)).toBe("Traceback (most recent call last):…");
    // A short string stays as it was.
    expect(await page.textContent('.tree-leaf[title^="optimizer"] .leaf-v')).toBe('"adamw"');
    await page.click(opener);
    await page.waitForSelector("dialog.textview[open]");
    await page.click("dialog.textview .textview-copy");
    await page.waitForSelector("dialog.textview .textview-copy >> text=Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(TRACEBACK);
    await page.keyboard.press("Escape");
    await page.waitForSelector("dialog.textview", { state: "detached" });
    await viewerShows('.tree-leaf[title^="git/diff"] .text-open', "git/diff", diff(3));
  });

  it("the compare table opens each run's text", async () => {
    await page.goto(`${stack.web}/#/p/${P}/compare?run=r1&run=r2`);
    await page.waitForSelector(".diff-table .text-open");
    await viewerShows(".diff-table tr.differs td:nth-child(3) .text-open", "git/diff", diff(5));
  });

  it("the runs table opens a long text cell", async () => {
    await page.goto(`${stack.web}/#/p/${P}?sort=sys%2Fname&col=sys%2Fname&col=git%2Fdiff`);
    await page.waitForSelector('.tr[data-run="r2"] .text-open');
    await viewerShows('.tr[data-run="r2"] .text-open', "git/diff", diff(5));
  });
});
