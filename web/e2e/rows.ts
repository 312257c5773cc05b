// The runs table as a browser test sees it: row ids top to bottom, and a
// wait for an exact list of them.
import type { Page } from "playwright-core";

/** Run ids in the order the table shows them. */
export async function tableRuns(page: Page): Promise<string[]> {
  return page.$$eval(".tr[data-run]", (els) =>
    els.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).map((e) => (e as HTMLElement).dataset.run!));
}

/** Waits until the table shows exactly `expected`, in that order. */
export async function waitForRuns(page: Page, expected: string[]): Promise<void> {
  await page.waitForFunction((exp) => {
    const ids = Array.from(document.querySelectorAll<HTMLElement>(".tr[data-run]"))
      .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).map((e) => e.dataset.run);
    return JSON.stringify(ids) === JSON.stringify(exp);
  }, expected, { timeout: 10_000 }).catch(async (e) => {
    throw new Error(`expected rows ${JSON.stringify(expected)}, have ${JSON.stringify(await tableRuns(page))}: ${e}`);
  });
}
