// End-to-end: the sweeps page against the real server: parallel coordinates
// over the filtered runs (axes = the configs that vary and min(val/loss),
// computed by the server), brushing an axis to select runs, the selection
// shared with the runs table, and the scatter's points.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, type Page } from "playwright-core";
import { openPage } from "./browser";
import { client, startStack } from "./harness.mjs";

type Stack = Awaited<ReturnType<typeof startStack>>;

let stack: Stack;
let browser: Browser;
let page: Page;
const P = "e2e/sweeps";
// Lower loss with a larger lr; s6 is a different optimizer and is filtered out below.
const RUNS = [
  { id: "s1", lr: 1e-4, layers: 12, opt: "adam", best: 0.9 },
  { id: "s2", lr: 3e-4, layers: 24, opt: "adam", best: 0.7 },
  { id: "s3", lr: 1e-3, layers: 12, opt: "adam", best: 0.5 },
  { id: "s4", lr: 3e-3, layers: 24, opt: "adam", best: 0.3 },
  { id: "s5", lr: 1e-2, layers: 12, opt: "adam", best: 0.1 },
  { id: "s6", lr: 1e-2, layers: 12, opt: "sgd", best: 2 },
];

const hashParams = () => new URLSearchParams(new URL(page.url()).hash.split("?")[1] ?? "");
const selectedLines = () => page.$$eval(".pc-line.selected", (els) => els.map((e) => e.getAttribute("data-run")!).sort());

/** Drags along an axis of the parallel coordinates from unit position `from` to `to` (0: bottom). */
async function brush(path: string, from: number, to: number): Promise<void> {
  const box = (await (await page.$(`.pc-axis[data-path="${path}"] .pc-axis-line`))!.boundingBox())!;
  const y = (u: number) => box.y + box.height * (1 - u);
  await page.mouse.move(box.x + box.width / 2, y(from));
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, (y(from) + y(to)) / 2, { steps: 3 });
  await page.mouse.move(box.x + box.width / 2, y(to), { steps: 3 });
  await page.mouse.up();
}

beforeAll(async () => {
  stack = await startStack();
  const c = client(stack.api, P);
  for (const r of RUNS) {
    await c.createRun({ run_id: r.id, name: `run ${r.id}` });
    await c.log(r.id, {
      configs: { "config/lr": r.lr, "config/layers": r.layers, "config/opt": r.opt, "config/seed": 7 },
      series: [{ path: "val/loss", steps: [0, 1, 2], values: [r.best + 1, r.best, r.best + 0.2] }],
      state: "finished",
    });
  }
  ({ browser, page } = await openPage({ viewport: { width: 1300, height: 1000 } }));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("sweeps", () => {
  it("draws the filtered runs on the configs that vary and min(val/loss)", async () => {
    await page.goto(`${stack.web}/#/p/${P}?q=${encodeURIComponent('config/opt = "adam"')}`);
    await page.waitForSelector(".tr[data-run]");
    await page.click(".sweeps-link");
    await page.waitForSelector(".pc-line");
    expect(await page.textContent(".sweeps-note")).toBe('5 runs matching config/opt = "adam"');
    // config/opt and config/seed are the same in every run shown: no axis for them.
    expect(await page.$$eval(".pc-axis", (els) => els.map((e) => e.getAttribute("data-path")))).toEqual(["config/layers", "config/lr", "min(val/loss)"]);
    expect(await page.$$eval(".sweeps-axis", (els) => els.map((e) => (e as HTMLElement).dataset.axis))).toEqual(["config/layers", "config/lr", "min(val/loss)"]);
    expect(await page.$$eval(".pc-line", (els) => els.map((e) => e.getAttribute("data-run")).sort())).toEqual(["s1", "s2", "s3", "s4", "s5"]);
    // lr spans two decades: a log axis.
    expect(await page.textContent('.pc-axis[data-path="config/lr"] .pc-log')).toBe("log");
    // The scatter: x the first varying config, y min(val/loss), a point per run.
    expect(await page.$eval(".sweeps-sx", (e) => (e as HTMLInputElement).value)).toBe("config/layers");
    expect(await page.$eval(".sweeps-sy", (e) => (e as HTMLInputElement).value)).toBe("min(val/loss)");
    expect(await page.$$eval(".sc-point", (els) => els.length)).toBe(5);
  });

  it("brushes an axis to select runs, and the runs table shows that selection", async () => {
    // The lowest 45% of min(val/loss) (0.1 … 0.9): s4 (0.3) and s5 (0.1).
    await brush("min(val/loss)", 0, 0.45);
    await page.waitForFunction(() => document.querySelectorAll(".pc-line.selected").length === 2);
    expect(await selectedLines()).toEqual(["s4", "s5"]);
    expect(hashParams().getAll("sel").sort()).toEqual(["s4", "s5"]);
    expect(await page.$$eval(".sc-point.selected", (els) => els.map((e) => e.getAttribute("data-run")).sort())).toEqual(["s4", "s5"]);
    // A second brush narrows it: layers 24 only.
    await brush("config/layers", 0.6, 1);
    await page.waitForFunction(() => document.querySelectorAll(".pc-line.selected").length === 1);
    expect(await selectedLines()).toEqual(["s4"]);
    await page.click(".sweeps-to-table");
    await page.waitForSelector('.tr.selected[data-run="s4"]');
    expect(await page.$$eval(".tr.selected", (els) => els.map((e) => (e as HTMLElement).dataset.run))).toEqual(["s4"]);
    expect(hashParams().get("q")).toBe('config/opt = "adam"');
  });

  it("takes the table's selection, and a click on a scatter point toggles a run", async () => {
    await page.goto(`${stack.web}/#/p/${P}?sel=s1&sel=s2`);
    await page.waitForSelector(".tr[data-run]");
    await page.click(".sweeps-link");
    await page.waitForSelector(".pc-line.selected");
    expect(await selectedLines()).toEqual(["s1", "s2"]);
    // Unfiltered: s6 (sgd) is in, and config/opt varies now.
    expect(await page.$$eval(".pc-axis", (els) => els.map((e) => e.getAttribute("data-path")))).toEqual(["config/layers", "config/lr", "config/opt", "min(val/loss)"]);
    await page.click('.sc-point[data-run="s5"]');
    await page.waitForFunction(() => document.querySelectorAll(".pc-line.selected").length === 3);
    await page.click('.sc-point[data-run="s1"]');
    await page.waitForFunction(() => document.querySelectorAll(".pc-line.selected").length === 2);
    expect(await selectedLines()).toEqual(["s2", "s5"]);
    expect(await page.textContent(".sweeps-selected-count")).toBe("2 runs selected");
    // Another x for the scatter: a categorical config.
    await page.fill(".sweeps-sx", "config/opt");
    await page.press(".sweeps-sx", "Enter");
    await page.waitForFunction(() => new URLSearchParams(location.hash.split("?")[1]).get("sx") === "config/opt");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".sc-tick")).some((e) => e.textContent === "sgd"));
    expect(await page.$$eval(".sc-point", (els) => els.length)).toBe(6);
  });
});
