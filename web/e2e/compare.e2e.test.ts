// End-to-end: the compare page with runs that log different series, and with
// more runs than the 12-colour palette, against the real server.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, type Page } from "playwright-core";
import { openPage } from "./browser";
import { client, startStack } from "./harness.mjs";

type Stack = Awaited<ReturnType<typeof startStack>>;

let stack: Stack;
let browser: Browser;
let page: Page;
const P = "e2e/compare";
const N = 14;
const ids = Array.from({ length: N }, (_, i) => `c${String(i).padStart(2, "0")}`);
const nameOf = (id: string) => `trial ${id.slice(1)}`;
const steps = (n: number) => Array.from({ length: n }, (_, i) => i);
const line = (path: string, k: number) => ({ path, steps: steps(10), values: steps(10).map((s) => k + s / 10) });

/** Distinct line colours (alpha ≥ 200) drawn in a chart's canvas with at least `min` pixels each. */
async function lineColours(path: string, min = 15): Promise<number> {
  return page.$eval(`.card[data-path="${path}"] canvas`, (el, min) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    const counts = new Map<number, number>();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] < 250) continue;
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) < 40) continue; // greys: axes, grid, text
      const key = (r << 16) | (g << 8) | b;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return Array.from(counts.values()).filter((n) => n >= min).length;
  }, min);
}

beforeAll(async () => {
  stack = await startStack();
  const c = client(stack.api, P);
  for (const [i, id] of ids.entries()) {
    await c.createRun({ run_id: id, name: nameOf(id) });
    const series = [line("train/loss", i)];
    if (i < 2) series.push(line("eval/acc", i)); // only c00, c01
    if (id !== "c05") series.push(line("val/loss", i)); // all but c05
    await c.log(id, { series });
  }
  ({ browser, page } = await openPage({ viewport: { width: 1280, height: 900 } }));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("compare", () => {
  it("charts series only some runs have, noting the runs that lack them", async () => {
    await page.goto(`${stack.web}/#/p/${P}/compare?run=c00&run=c01&run=c05`);
    await page.waitForSelector('.card[data-path="train/loss"] .card-body[data-points="30"] canvas');
    // val/loss: c05 lacks it; its chart draws the other two and says so, by name.
    await page.waitForSelector('.card[data-path="val/loss"] .card-body[data-points="20"] canvas');
    expect(await page.textContent('.card[data-path="val/loss"] .card-note')).toBe("not in trial 05");
    await page.waitForSelector('.card[data-path="eval/acc"] .card-body[data-points="20"] canvas');
    expect(await page.textContent('.card[data-path="eval/acc"] .card-note')).toBe("not in trial 05");
    expect(await page.$('.card[data-path="train/loss"] .card-note')).toBeNull();
    // The chart's readout names each run, in the compare colours.
    const names = await page.$$eval('.card[data-path="val/loss"] .ro-name', (els) => els.map((e) => e.textContent));
    expect(names).toEqual(["trial 00", "trial 01"]);
  });

  it("draws more runs than the palette has colours, each in its own, with a wrapping legend", async () => {
    await page.setViewportSize({ width: 1280, height: 2000 }); // every chart in view: they mount when seen
    await page.goto(`${stack.web}/#/p/${P}/compare?${ids.map((id) => `run=${id}`).join("&")}`);
    await page.waitForSelector(`.card[data-path="train/loss"] .card-body[data-points="${10 * N}"] canvas`);
    const chips = await page.$$eval(".legend-chip", (els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { text: e.textContent ?? "", top: Math.round(r.top), right: r.right, color: getComputedStyle(e.querySelector(".swatch")!).backgroundColor };
    }));
    expect(chips.length).toBe(N);
    expect(chips.map((c) => c.text)).toEqual(ids.map((id) => expect.stringContaining(nameOf(id))));
    expect(new Set(chips.map((c) => c.color)).size).toBe(N); // no colour repeats past 12
    expect(new Set(chips.map((c) => c.top)).size).toBeGreaterThan(1); // wrapped onto several lines
    for (const c of chips) expect(c.right).toBeLessThanOrEqual(1280);
    // Every run's line is drawn in its own colour.
    expect(await lineColours("train/loss")).toBeGreaterThanOrEqual(N);
    // val/loss: 13 of 14; the note names the one lacking it.
    await page.waitForSelector(`.card[data-path="val/loss"] .card-body[data-points="${10 * (N - 1)}"] canvas`);
    expect(await page.textContent('.card[data-path="val/loss"] .card-note')).toBe("not in trial 05");
    // eval/acc: 2 of 14; the note is shortened and the tooltip names them all.
    await page.waitForSelector('.card[data-path="eval/acc"] .card-body[data-points="20"] canvas');
    expect(await page.textContent('.card[data-path="eval/acc"] .card-note')).toBe("not in trial 02, trial 03, trial 04 +9 more");
    const title = await page.getAttribute('.card[data-path="eval/acc"] .card-note', "title");
    expect(title).toContain("trial 13");
  });
});
