// One chromium page for a browser test file: Debian's chromium, headless,
// with the harness's flags, and page errors printed to the test log.
import { chromium, type Browser, type BrowserContextOptions, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "./harness.mjs";

export async function openPage(options: BrowserContextOptions): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage(options);
  page.on("pageerror", (e) => console.error("page error:", e));
  return { browser, page };
}
